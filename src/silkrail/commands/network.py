"""``silkrail network build|info|validate|export``: the network, built, described, checked and
exported for GIS."""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from silkrail.commands.console import Table, fail, out
from silkrail.commands.console import load_network_or_exit as _load
from silkrail.commands.options import AsJson
from silkrail.errors import DataError, SilkrailError


class ExportFormat(StrEnum):
    """The GIS formats of ``network export``."""

    geojson = "geojson"
    gpkg = "gpkg"
    parquet = "parquet"


network_app = typer.Typer(help="Build, inspect, validate and export the network.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the network group to the ``silkrail`` application."""
    app.add_typer(network_app, name="network")


@network_app.command("build")
def network_build(
    force: Annotated[
        bool, typer.Option("--force", metavar="", help="rebuild even if the cache is current")
    ] = False,
) -> None:
    """Build the network from the sources (cached; rebuilt only when an input changes)."""
    net = _load(rebuild=force)
    _print_summary(net.summary(), net.meta)


@network_app.command("info")
def network_info(as_json: AsJson = False) -> None:
    """Headline figures: nodes, edges, km by gauge and by country, crossings, ports."""
    net = _load()
    summary = net.summary()
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=1))
        return
    _print_summary(summary, net.meta)


def _print_summary(summary: Mapping[str, object], meta: Mapping[str, object]) -> None:
    from silkrail.commands._records import NetworkSummary

    s = NetworkSummary.model_validate(summary)
    head = Table(title="silkrail network", show_header=False, title_justify="left")
    head.add_column(style="bold")
    head.add_column(justify="right")
    head.add_row("nodes / edges", f"{s.nodes:,} / {s.edges:,}")
    head.add_row("rail km (open)", f"{s.rail_km:,.0f}")
    head.add_row("dual-gauge km", f"{s.dual_gauge_km:,.0f}")
    head.add_row("planned / under construction km", f"{s.planned_km:,.0f}")
    head.add_row("sea km", f"{s.sea_km:,.0f}")
    inland = s.inland_water_km or {}
    head.add_row("inland waterways km", ", ".join(f"{k} {v:,.0f}" for k, v in inland.items()) or "none")
    head.add_row("rail ferries", ", ".join(s.ferries or []) or "none")
    c = s.crossings
    head.add_row(
        "crossings",
        f"{c.curated} curated, {c.uncurated} uncurated; {c.gauge_changes} with a gauge change",
    )
    head.add_row("ports", f"{s.ports.all:,} sea ports, {s.ports.rail_connected} rail-connected")
    head.add_row("lines added", ", ".join(s.lines_added))
    head.add_row("fragments dropped", f"{s.fragments_dropped} ({s.fragments_dropped_km:,.0f} km)")
    head.add_row("inputs hash", s.inputs_hash[:16])
    head.add_row("built", f"{meta.get('built_at')} in {meta.get('build_seconds')} s")
    out.print(head)
    gauges = Table(title="rail km by gauge", title_justify="left")
    gauges.add_column("gauge mm")
    gauges.add_column("km", justify="right")
    for g, km in s.rail_km_by_gauge.items():
        gauges.add_row(g, f"{km:,.0f}")
    out.print(gauges)
    countries = Table(title="rail km by country (top 20)", title_justify="left")
    countries.add_column("country")
    countries.add_column("km", justify="right")
    for code, km in list(s.rail_km_by_country.items())[:20]:
        countries.add_row(code, f"{km:,.0f}")
    out.print(countries)
    out.print(f"[dim]{meta.get('attribution', '')}[/]")


@network_app.command("validate")
def network_validate(
    show_warnings: Annotated[
        bool, typer.Option("--warnings/--errors-only", metavar="", help="list warnings too")
    ] = True,
) -> None:
    """Check the curated data and the built network; exit 1 if there are errors."""
    from silkrail.network.validate import check_data, check_network
    from silkrail.settings import get_settings

    problems = check_data(get_settings().data_dir)
    if not problems:
        problems = check_network(_load())
    table = Table(title="network problems", title_justify="left")
    for col in ("severity", "message", "where"):
        table.add_column(col)
    shown = [p for p in problems if show_warnings or p.severity == "error"]
    for p in sorted(shown, key=lambda p: (p.severity != "error", p.where)):
        style = "red" if p.severity == "error" else "yellow"
        table.add_row(f"[{style}]{p.severity}[/]", p.message, p.where)
    if shown:
        out.print(table)
    errors = sum(p.severity == "error" for p in problems)
    warnings = sum(p.severity == "warning" for p in problems)
    out.print(f"{errors} errors, {warnings} warnings")
    raise typer.Exit(1 if errors else 0)


@network_app.command("export")
def network_export(
    path: Annotated[Path, typer.Argument(help="output file: .geojson, .gpkg, or a .parquet directory")],
    sea: Annotated[bool, typer.Option("--sea", metavar="", help="include the maritime network")] = False,
    fmt: Annotated[
        ExportFormat | None,
        typer.Option("--format", help="the format (default: from the file name)", show_default=False),
    ] = None,
) -> None:
    """Export the network for GIS: GeoJSON (rail edges with gauge and country, crossings, ports),
    or with the 'geo' extra a GeoPackage or GeoParquet with one table per record type."""
    from silkrail.network.export import FORMAT_SUFFIXES, export_gis

    chosen = fmt.value if fmt else FORMAT_SUFFIXES.get(path.suffix.lower())
    if chosen not in ("geojson", "gpkg", "parquet"):
        fail(
            DataError(
                f"{path}: the export is GeoJSON, GeoPackage or GeoParquet; "
                "name the file *.geojson, *.gpkg or *.parquet, or give --format",
                field="PATH",
            )
        )
    try:
        counts = export_gis(_load(), path, fmt=chosen, include_sea=sea)
    except SilkrailError as exc:
        fail(exc)
    if chosen == "geojson":
        out.print(f"wrote {counts['features']:,} features to {path}")
    else:
        tables = ", ".join(f"{n:,} {name}" for name, n in counts.items())
        out.print(f"wrote {tables} to {path}")


Objective = Annotated[str, typer.Option("--optimize", help="time, cost or co2")]

