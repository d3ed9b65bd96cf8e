"""The ``silkrail`` command: a thin shell over the library. Exit codes: 0 ok, 1 failed checks,
2 bad input, 3 no route."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from silkrail.errors import DataError, NoRouteError, SilkrailError, UnknownPlaceError

app = typer.Typer(help="silkrail: freight on the Eurasian rail corridors, across gauges, borders and the sea.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
network_app = typer.Typer(help="Build, inspect, validate and export the network.", no_args_is_help=True)
app.add_typer(network_app, name="network")

out = Console()
err = Console(stderr=True)


def _fail(exc: SilkrailError) -> None:
    code = 3 if isinstance(exc, NoRouteError) else 2
    err.print(f"[red]error:[/] {exc}")
    raise typer.Exit(code)


def _load(rebuild: bool = False) -> Any:
    from silkrail.network.store import load_network

    try:
        return load_network(rebuild=rebuild)
    except (DataError, UnknownPlaceError, NoRouteError) as exc:
        _fail(exc)
    except SilkrailError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None


@network_app.command("build")
def network_build(force: Annotated[bool, typer.Option("--force", help="rebuild even if the cache is current")] = False) -> None:
    """Build the network from the sources (cached; rebuilt only when an input changes)."""
    net = _load(rebuild=force)
    _print_summary(net.summary(), net.meta)


@network_app.command("info")
def network_info(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Headline figures: nodes, edges, km by gauge and by country, crossings, ports."""
    net = _load()
    summary = net.summary()
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=1))
        return
    _print_summary(summary, net.meta)


def _print_summary(s: dict[str, Any], meta: dict[str, Any]) -> None:
    head = Table(title="silkrail network", show_header=False, title_justify="left")
    head.add_column(style="bold")
    head.add_column(justify="right")
    head.add_row("nodes / edges", f"{s['nodes']:,} / {s['edges']:,}")
    head.add_row("rail km (open)", f"{s['rail_km']:,.0f}")
    head.add_row("dual-gauge km", f"{s['dual_gauge_km']:,.0f}")
    head.add_row("planned / under construction km", f"{s['planned_km']:,.0f}")
    head.add_row("sea km", f"{s['sea_km']:,.0f}")
    c = s["crossings"]
    head.add_row("crossings", f"{c['curated']} curated, {c['uncurated']} uncurated; {c['gauge_changes']} with a gauge change")
    head.add_row("ports", f"{s['ports']['all']:,} sea ports, {s['ports']['rail_connected']} rail-connected")
    head.add_row("lines added", ", ".join(s["lines_added"]))
    head.add_row("fragments dropped", f"{s['fragments_dropped']} ({s['fragments_dropped_km']:,.0f} km)")
    head.add_row("inputs hash", str(s["inputs_hash"])[:16])
    head.add_row("built", f"{meta.get('built_at')} in {meta.get('build_seconds')} s")
    out.print(head)
    gauges = Table(title="rail km by gauge", title_justify="left")
    gauges.add_column("gauge mm")
    gauges.add_column("km", justify="right")
    for g, km in s["rail_km_by_gauge"].items():
        gauges.add_row(g, f"{km:,.0f}")
    out.print(gauges)
    countries = Table(title="rail km by country (top 20)", title_justify="left")
    countries.add_column("country")
    countries.add_column("km", justify="right")
    for code, km in list(s["rail_km_by_country"].items())[:20]:
        countries.add_row(code, f"{km:,.0f}")
    out.print(countries)
    out.print(f"[dim]{meta.get('attribution', '')}[/]")


@network_app.command("validate")
def network_validate(
    show_warnings: Annotated[bool, typer.Option("--warnings/--errors-only", help="list warnings too")] = True,
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
    path: Annotated[Path, typer.Argument(help="output .geojson file")],
    sea: Annotated[bool, typer.Option("--sea", help="include the maritime network")] = False,
) -> None:
    """Export the network as GeoJSON (rail edges with gauge and country, crossings, ports)."""
    from silkrail.network.export import export_geojson

    if path.suffix.lower() not in (".geojson", ".json"):
        err.print(f"[red]error:[/] {path}: the export is GeoJSON; name the file *.geojson")
        raise typer.Exit(2)
    n = export_geojson(_load(), path, include_sea=sea)
    out.print(f"wrote {n:,} features to {path}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
