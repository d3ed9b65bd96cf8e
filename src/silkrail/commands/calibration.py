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
    cases: Annotated[Path | None, typer.Option(help="published figures (default: the package's)")] = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="where to write the fitted values (default: the package's)")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Fit the cost model to the published figures (cross-validated) and write the fitted values;
    with --report, print each case's held-out prediction and the accuracy per category."""
    from silkrail.calibration.fit import calibrate, write_fitted
    from silkrail.calibration.report import render, to_dict

    net = _load()
    try:
        result = calibrate(net, cases=cases)
    except SilkrailError as exc:
        fail(exc)
    if not report:
        path = write_fitted(result, out_file, cases_file=(cases.name if cases else "calibration.yaml"))
    if as_json:
        typer.echo(json.dumps(to_dict(result), ensure_ascii=False))
    elif report:
        typer.echo(render(result))
    if not report:
        err.print(f"wrote {path} ({len(result.fitted.values)} parameters, {result.seconds:.1f} s)")
