"""``silkrail calibrate``: fit the cost model to the published figures, and its accuracy report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from silkrail.commands.console import err, fail
from silkrail.commands.console import load_network_or_exit as _load
from silkrail.commands.options import AsJson
from silkrail.errors import SilkrailError


def register(app: typer.Typer) -> None:
    """Add the calibrate command to the ``silkrail`` application."""
    app.command("calibrate")(calibrate_cmd)


def calibrate_cmd(
    report: Annotated[
        bool, typer.Option("--report", metavar="", help="print the accuracy report; do not write")
    ] = False,
    evidence: Annotated[
        Path | None, typer.Option(help="a directory of published figures (default: the package's evidence/)")
    ] = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="where to write the fitted values (default: the package's)")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Fit the transit model to the evidence base and write the fitted values; every figure is
    first predicted by a fit that never saw its corridor. With --report, print those held-out
    predictions and the accuracy by corridor and traffic type beside the round-2 model's."""
    from rich.progress import Progress

    from silkrail.calibration.fit import calibrate, write_fitted
    from silkrail.calibration.report import render, to_dict

    net = _load()
    try:
        with Progress(console=err.get(), transient=True) as bar:
            task = bar.add_task("routing the published figures", total=None)

            def tick(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            result = calibrate(net, evidence=evidence, progress=tick)
    except SilkrailError as exc:
        fail(exc)
    if not report:
        path = write_fitted(result, out_file)
    if as_json:
        typer.echo(json.dumps(to_dict(result), ensure_ascii=False))
    elif report:
        typer.echo(render(result))
    if not report:
        err.print(f"wrote {path} ({len(result.fitted)} parameters, {result.seconds:.1f} s)")
