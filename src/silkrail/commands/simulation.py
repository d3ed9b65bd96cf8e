"""``silkrail simulate``: a scenario's trains queueing at the crossings, its KPIs, and the
comparison of two scenarios."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from silkrail.commands.console import Table, duration, duration_unit, err, escape, fail, out
from silkrail.commands.console import load_network_or_exit as _load
from silkrail.commands.options import AsJson
from silkrail.errors import DataError, SilkrailError
from silkrail.simulation.scheduler import SCHEDULER_HELP, parse_scheduler, require_dask

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from silkrail.simulation.kpi import Comparison, Interval, Kpis


def register(app: typer.Typer) -> None:
    """Add the simulate command to the ``silkrail`` application."""
    app.command("simulate")(simulate_cmd)


def simulate_cmd(
    scenarios: Annotated[
        list[str],
        typer.Argument(
            help="SCENARIO.yaml (or a shipped name), or: compare A.yaml B.yaml, or: list (the shipped ones)",
            metavar="SCENARIO | compare A B | list",
        ),
    ],
    replications: Annotated[int, typer.Option(help="independent runs (seeds seed, seed+1, ...)")] = 1,
    seed: Annotated[int | None, typer.Option(help="first seed (default: the scenario's)")] = None,
    days: Annotated[
        int | None, typer.Option(help="simulate this many days instead of the scenario's")
    ] = None,
    scheduler: Annotated[str | None, typer.Option(help=SCHEDULER_HELP)] = None,
    workers: Annotated[int, typer.Option(help="workers of a local cluster")] = 2,
    as_json: AsJson = False,
    plots: Annotated[Path | None, typer.Option("--plots", help="write PNG charts to this directory")] = None,
) -> None:
    """Simulate a scenario (trains queueing at crossings) and print KPIs; or compare two; or list
    the shipped scenarios."""
    from rich.progress import Progress

    from silkrail.simulation.runner import compare, simulate, write_plots
    from silkrail.simulation.scenario import load_scenario

    if scenarios == ["list"]:
        return _list_scenarios(as_json)
    comparing = scenarios[0] == "compare"
    files = scenarios[1:] if comparing else scenarios
    if (comparing and len(files) != 2) or (not comparing and len(files) != 1):
        fail(DataError("give one scenario, or: compare A.yaml B.yaml", field="scenario"))
    try:
        scheduler = parse_scheduler(scheduler)
        if scheduler is not None:
            require_dask(f"simulate --scheduler {scheduler}")
        for f in files:  # a missing or malformed scenario is said before any work
            load_scenario(f)
    except SilkrailError as exc:
        fail(exc)
    net = _load()
    results = []
    try:
        for f in files:
            with Progress(console=err.get(), transient=True) as bar:
                task = bar.add_task(f"simulating {f}", total=replications)

                def advance(n: int, t: TaskID = task, b: Progress = bar) -> None:
                    b.advance(t, n)

                results.append(
                    simulate(
                        net,
                        f,
                        replications=replications,
                        seed=seed,
                        days=days,
                        scheduler=scheduler,
                        workers=workers,
                        trace=plots is not None,
                        progress=advance,
                    )
                )
    except SilkrailError as exc:
        fail(exc)
    if plots:
        for r in results:
            for p in write_plots(r, plots):
                err.print(f"wrote {p}")
    if comparing:
        diff = compare(results[0], results[1])
        if as_json:
            typer.echo(json.dumps(diff.to_dict(), ensure_ascii=False, default=float))
            return
        _print_comparison(diff)
        return
    if as_json:
        typer.echo(json.dumps(results[0].to_dict(), ensure_ascii=False, default=float))
        return
    _print_kpis(results[0])


def _list_scenarios(as_json: bool) -> None:
    from silkrail.simulation.scenario import shipped_scenarios

    try:
        found = shipped_scenarios()
    except SilkrailError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps({"scenarios": [s.to_dict() for s in found]}, ensure_ascii=False))
        return
    # names and dates whole at any width (they are what a user types next); on a narrow terminal
    # the descriptions follow the table instead of being squeezed into a column of it
    wide = out.get().width >= 110
    t = Table(title="shipped scenarios (silkrail simulate NAME)", title_justify="left")
    for col in ("name", "extends", "start", "days", "services", "changes"):
        t.add_column(col, justify="right" if col in ("days", "services", "changes") else "left", no_wrap=True)
    if wide:
        t.add_column("what it describes", ratio=1)
    for s in found:
        row = [s.name, s.extends or "–", s.start.isoformat(), str(s.days), str(s.services), str(s.changes)]
        t.add_row(*row, *([escape(s.description)] if wide else []))
    out.print(t)
    if not wide:
        for s in found:
            out.print(f"\n[bold]{escape(s.name)}[/bold]: {escape(s.description)}")


def _fmt(v: Interval, scale: float = 1.0, digits: int = 1) -> str:
    import math

    mean, ci = v.mean / scale, v.ci95 / scale
    if math.isnan(mean):
        return "–"
    return f"{mean:,.{digits}f}" + ("" if math.isnan(ci) else f" ± {ci:,.{digits}f}")


def _fmt_h(v: Interval, unit_of: float) -> str:
    """A duration in hours with its interval, in the unit of ``unit_of`` (the row's)."""
    scale, unit = duration_unit(unit_of)
    text = _fmt(v, scale)
    return text if text == "–" else f"{text} {unit}"


def _print_kpis(k: Kpis) -> None:
    out.print(
        f"[bold]{k.scenario}[/]: {k.days:.0f} days from {k.start}, {k.replications} "
        f"replication(s), {k.events:,} events (± = 95 % confidence interval)"
    )
    t = Table(title="services (times in h below two days, else d)", title_justify="left")
    columns = ("service", "trains delivered", "planned", "transit mean", "p50", "p95", "rerouted", "stranded")
    for col in columns:
        t.add_column(col, justify="left" if col == "service" else "right")
    for s in k.services:
        t.add_row(
            s.name,
            _fmt(s.trains_delivered, digits=0),
            duration(s.planned_h),
            _fmt_h(s.transit_mean_h, s.planned_h),
            _fmt_h(s.transit_p50_h, s.planned_h),
            _fmt_h(s.transit_p95_h, s.planned_h),
            _fmt(s.rerouted, digits=0),
            _fmt(s.stranded, digits=0),
        )
    out.print(t)
    c = Table(title="crossings", title_justify="left")
    for col in ("crossing", "servers", "trains", "wait mean h", "wait p95 h", "utilisation", "max queue"):
        c.add_column(col, justify="left" if col == "crossing" else "right")
    for x in k.crossings:
        c.add_row(
            x.name,
            str(x.servers),
            _fmt(x.trains, digits=0),
            _fmt(x.wait_mean_h),
            _fmt(x.wait_p95_h),
            _fmt(x.utilisation, digits=2),
            _fmt(x.max_queue, digits=0),
        )
    out.print(c)


def _print_comparison(d: Comparison) -> None:
    out.print(f"[bold]{d.b}[/] against [bold]{d.a}[/] (means; change = B - A)")
    for kind, rows in (("services", d.services), ("crossings", d.crossings)):
        t = Table(title=kind, title_justify="left")
        t.add_column("name")
        cols = list(rows[0].changes) if rows else []
        for col in cols:
            name = col.removesuffix("_h") if col.endswith("_h") else col
            t.add_column(name.replace("_", " "), justify="right")
        for row in rows:
            cells = []
            for col in cols:
                v = row.changes[col]
                if col.endswith("_h"):  # durations as in the KPI tables: h below two days, else d
                    scale, unit = duration_unit(max(abs(v.a), abs(v.b)))
                    a, b, change = v.a / scale, v.b / scale, v.change / scale
                    cells.append(f"{a:,.2f} → {b:,.2f} ({change:+,.2f}) {unit}")
                else:
                    cells.append(f"{v.a:,.2f} → {v.b:,.2f} ({v.change:+,.2f})")
            t.add_row(row.name, *cells)
        out.print(t)
