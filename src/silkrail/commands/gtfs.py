"""``silkrail gtfs export|import`` and ``silkrail fleet``: thin shells over silkrail.timetable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from silkrail.commands.console import EXIT_BAD_INPUT, Table, fail, out
from silkrail.commands.options import AsJson
from silkrail.errors import DataError, SilkrailError

gtfs_app = typer.Typer(
    help="Timetables: export the corridor services as GTFS, import a feed.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add the gtfs group and the fleet command to the main app."""
    app.add_typer(gtfs_app, name="gtfs")
    app.command("fleet")(fleet_cmd)


@gtfs_app.command("export")
def export_cmd(
    path: Annotated[Path, typer.Argument(help="the GTFS zip to write")],
    services: Annotated[
        Path | None, typer.Option(help="a services YAML file (default: the package's corridor services)")
    ] = None,
    shapes: Annotated[
        bool,
        typer.Option(help="each trip's shape along the track (shapes.txt; shape_dist_traveled in km)"),
    ] = True,
) -> None:
    """Write the corridor services as a GTFS feed (stop times past 24:00:00, stop_timezone, shapes)."""
    from silkrail.timetable.export import write_gtfs
    from silkrail.timetable.services import load_services

    if path.suffix.lower() != ".zip":
        fail(DataError(f"{path}: a GTFS feed is a zip; name the file *.zip", field="path"))
    try:
        feed = load_services(services)
    except SilkrailError as exc:
        fail(exc)
    router = None
    if shapes:
        from silkrail.commands.console import load_network_or_exit
        from silkrail.routing.router import router_for

        router = router_for(load_network_or_exit())
    try:
        counts = write_gtfs(feed, path, router=router)
    except SilkrailError as exc:
        fail(exc)
    out.print(f"wrote {path}: " + ", ".join(f"{n} {name.removesuffix('.txt')}" for name, n in counts.items()))


@gtfs_app.command("import")
def import_cmd(
    path: Annotated[Path, typer.Argument(help="an operator's GTFS zip (or a directory of its files)")],
    name: Annotated[str | None, typer.Option(help="the name it is kept under (default: the file's)")] = None,
) -> None:
    """Add an operator's GTFS feed to the timetables (every row checked; its stops matched to the network)."""
    from silkrail.commands.console import load_network_or_exit as _load
    from silkrail.routing.router import router_for
    from silkrail.settings import get_settings
    from silkrail.timetable.gtfs_import import FeedError, import_feed

    net = _load()
    try:
        feed, matches, target = import_feed(path, get_settings().home, router_for(net).places, name=name)
    except FeedError as exc:
        more = exc.total - len(exc.problems)
        lines = [*(str(p) for p in exc.problems), *([f"… and {more} more problems"] if more > 0 else [])]
        fail(f"{path}: {exc.total} problems; nothing was imported", code=EXIT_BAD_INPUT, problems=lines)
    except SilkrailError as exc:
        fail(exc)
    unmatched = [m for m in matches if not m.matched]
    out.print(
        f"imported {path} as {target.name}: {len(feed.trips):,} trips, {len(feed.stops):,} stops, "
        f"{len(matches) - len(unmatched):,} matched to the network"
    )
    if unmatched:
        table = Table(title="stops not matched to the network's track", title_justify="left")
        for col in ("stop", "name", "km to the nearest track"):
            table.add_column(col)
        for m in unmatched[:50]:
            table.add_row(m.stop, m.name, "beyond reach" if m.km is None else f"{m.km:,.1f}")
        out.print(table)
        if len(unmatched) > 50:
            out.print(f"… and {len(unmatched) - 50} more")


def fleet_cmd(
    target: Annotated[
        str,
        typer.Argument(help="'corridors' (the package's services), a GTFS zip, or a plan id of fleet.yaml"),
    ],
    as_json: AsJson = False,
    chart: Annotated[
        Path | None, typer.Option("--chart", help="write a PNG chart of trainsets by phase")
    ] = None,
) -> None:
    """Trainsets needed to run a timetable or a planned service pattern, with the maintenance reserve."""
    from silkrail.timetable.fleet import fleet_report

    try:
        report = fleet_report(target)
    except SilkrailError as exc:
        fail(exc)
    if chart is not None:
        from silkrail.timetable.fleet import write_phase_chart

        write_phase_chart(report.rows, chart, title=report.title)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    table = Table(title=report.title, title_justify="left")
    for col in (
        "service / line",
        "phase",
        "trips a week",
        "cycle h",
        "in service",
        "with reserve",
        "published",
    ):
        table.add_column(col, justify="left" if col == "service / line" else "right")
    for r in report.rows:
        table.add_row(
            r.name,
            str(r.phase or "–"),
            f"{r.trips_per_week:,.0f}",
            f"{r.cycle_h:,.1f}",
            str(r.in_service),
            str(r.total),
            str(r.compare or "–"),
        )
    out.print(table)
    if report.phases:
        phases = Table(title="trainsets by phase (with reserve)", title_justify="left")
        for col in ("year", "added", "in all"):
            phases.add_column(col, justify="right")
        for year, added, total in report.phases:
            phases.add_row(str(year), str(added), str(total))
        out.print(phases)
    for line in report.notes:
        out.print(f"[dim]{line}[/]", soft_wrap=True)
    if chart is not None:
        out.print(f"wrote {chart}")
