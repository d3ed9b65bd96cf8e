"""The ``silkrail`` command: a thin shell over the library. Exit codes: 0 ok, 1 failed checks,
2 bad input, 3 no route."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from silkrail.commands import corridor as corridor_commands
from silkrail.commands import gtfs as _gtfs
from silkrail.commands import programme as _programme
from silkrail.commands.console import Table, err, out
from silkrail.commands.console import fail as _fail
from silkrail.commands.console import load_network_or_exit as _load
from silkrail.errors import DataError, MissingExtraError, SilkrailError
from silkrail.simulation.scheduler import SCHEDULER_HELP, parse_scheduler

if TYPE_CHECKING:
    from silkrail.simulation.kpi import Comparison, Interval, Kpis

app = typer.Typer(
    help="silkrail: freight on the Eurasian rail corridors, across gauges, borders and the sea.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
network_app = typer.Typer(help="Build, inspect, validate and export the network.", no_args_is_help=True)
app.add_typer(network_app, name="network")
tracking_app = typer.Typer(help="Maintain the tracking database.", no_args_is_help=True)
app.add_typer(tracking_app, name="tracking")
corridor_commands.register(app)
_gtfs.register(app)
_programme.register(app)




@network_app.command("build")
def network_build(
    force: Annotated[bool, typer.Option("--force", help="rebuild even if the cache is current")] = False,
) -> None:
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
    inland = s.get("inland_water_km") or {}
    head.add_row("inland waterways km", ", ".join(f"{k} {v:,.0f}" for k, v in inland.items()) or "none")
    head.add_row("rail ferries", ", ".join(s.get("ferries") or []) or "none")
    c = s["crossings"]
    head.add_row(
        "crossings",
        f"{c['curated']} curated, {c['uncurated']} uncurated; {c['gauge_changes']} with a gauge change",
    )
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
    path: Annotated[Path, typer.Argument(help="output file: .geojson, .gpkg, or a .parquet directory")],
    sea: Annotated[bool, typer.Option("--sea", help="include the maritime network")] = False,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="geojson, gpkg or parquet (default: from the file name)"),
    ] = None,
) -> None:
    """Export the network for GIS: GeoJSON (rail edges with gauge and country, crossings, ports),
    or with the 'geo' extra a GeoPackage or GeoParquet with one table per record type."""
    from silkrail.network.export import FORMAT_SUFFIXES, export_gis

    chosen = fmt.lower() if fmt else FORMAT_SUFFIXES.get(path.suffix.lower())
    if chosen not in ("geojson", "gpkg", "parquet"):
        if fmt:
            err.print(f"[red]error:[/] --format {fmt}: use geojson, gpkg or parquet")
        else:
            err.print(
                f"[red]error:[/] {path}: the export is GeoJSON, GeoPackage or GeoParquet; "
                "name the file *.geojson, *.gpkg or *.parquet, or give --format"
            )
        raise typer.Exit(2)
    try:
        counts = export_gis(_load(), path, fmt=chosen, include_sea=sea)  # type: ignore[arg-type]
    except SilkrailError as exc:
        _fail(exc)
    if chosen == "geojson":
        out.print(f"wrote {counts['features']:,} features to {path}")
    else:
        tables = ", ".join(f"{n:,} {name}" for name, n in counts.items())
        out.print(f"wrote {tables} to {path}")


Objective = Annotated[str, typer.Option("--optimize", help="time, cost or co2")]


@app.command("route")
def route_cmd(
    origin: Annotated[str, typer.Argument(help="place name, station, UN/LOCODE or 'lat,lon'")],
    destination: Annotated[str, typer.Argument(help="place name, station, UN/LOCODE or 'lat,lon'")],
    mode: Annotated[str, typer.Option(help="rail, sea or any")] = "any",
    optimize: Objective = "time",
    avoid: Annotated[str, typer.Option(help="ISO country codes to avoid, comma-separated")] = "",
    year: Annotated[int | None, typer.Option(help="the network as of this year (planned lines open)")] = None,
    teu: Annotated[float, typer.Option(help="cargo in TEU")] = 1.0,
    alternatives: Annotated[int, typer.Option(help="also find K routes through other corridors")] = 0,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="price sea legs at the lane rates of this date (YYYY-MM-DD)")
    ] = None,
    inland_water: Annotated[
        bool, typer.Option("--inland-water", help="let water legs use rivers and canals between seas")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    geojson: Annotated[Path | None, typer.Option("--geojson", help="write the route as GeoJSON")] = None,
    map_file: Annotated[Path | None, typer.Option("--map", help="write a standalone HTML map")] = None,
    depart: _gtfs.Depart = None,
    arrive: _gtfs.Arrive = None,
    traffic: _gtfs.Traffic = "any",
) -> None:
    """The best route between two places, across gauges, borders and modes."""
    from silkrail.routing.router import router_for

    if alternatives < 0 or alternatives > 10:
        _fail(DataError(f"--alternatives takes 0 to 10 (got {alternatives})", field="alternatives"))
    if depart or arrive:
        _gtfs.check_scheduled(optimize, alternatives, geojson or map_file)
    net = _load()
    if depart or arrive:
        args = (depart, arrive, traffic, mode, avoid, year, teu, as_json)
        return _gtfs.scheduled_route(net, origin, destination, *args)
    try:
        r = router_for(net).route(
            origin,
            destination,
            objective=optimize,
            mode=mode,
            avoid=[avoid] if avoid else [],
            year=year,
            teu=teu,
            alternatives=alternatives,
            as_of=as_of,
            inland_water=inland_water,
        )
    except SilkrailError as exc:
        _fail(exc)
    if geojson:
        geojson.write_text(json.dumps(r.to_geojson(), ensure_ascii=False))
    if map_file:
        from silkrail.viz.maps import write_route_map

        write_route_map(
            [r, *r.alternatives], map_file, title=f"{r.origin.name} → {r.destination.name} ({r.objective})"
        )
    if as_json:
        typer.echo(json.dumps(r.to_dict(), ensure_ascii=False))
        return
    _print_route(r)
    for i, alt in enumerate(r.alternatives, 1):
        out.rule(f"alternative {i}")
        _print_route(alt)
    for f in (geojson, map_file):
        if f:
            out.print(f"wrote {f}")


def _print_route(r: Any) -> None:
    head = f"[bold]{r.origin.name} → {r.destination.name}[/]"
    if r.label:
        head += f" [dim]({r.label})[/]"
    lo, hi = r.duration_h_range
    c_lo, c_hi = r.cost_usd_range
    out.print(
        f"{head}: {r.distance_km:,.0f} km, {_days(r.duration_h)} d ({_days(lo)}–{_days(hi)}), "
        f"${r.cost_usd:,.0f} (${c_lo:,.0f}–{c_hi:,.0f}), {r.co2_kg / 1000:,.2f} t CO2 "
        f"({'WTW' if r.co2_basis == 'well-to-wheel' else 'TTW'}) for {r.teu:g} TEU; "
        f"via {' → '.join(r.countries)}"
    )
    for place, access in ((r.origin, r.origin_access), (r.destination, r.destination_access)):
        if place.note:
            out.print(f"[dim]note: {place.note}[/]")
        if access is not None:
            by = "rail" if access.mode == "rail" else "sea"
            out.print(f"[dim]{place.name}: {by} access {access.km:,.0f} km away, {access.name}[/]")
    legs = Table(title="legs", title_justify="left")
    for col in ("mode", "from", "to", "km", "hours", "gauge mm", "countries", "basis"):
        legs.add_column(col, justify="right" if col in ("km", "hours") else "left")
    for leg in r.legs:
        legs.add_row(
            leg.mode,
            leg.from_,
            leg.to,
            f"{leg.distance_km:,.0f}",
            f"{leg.duration_h:,.1f}",
            str(leg.gauge_mm or "–"),
            ", ".join(leg.countries),
            _basis(leg.basis),
        )
    out.print(legs)
    if r.events:
        ev = Table(
            title="terminals, border crossings, gauge changes, port transfers and ferries",
            title_justify="left",
        )
        for col in ("event", "at", "countries", "gauges mm", "hours", "USD", "basis"):
            ev.add_column(col, justify="right" if col in ("hours", "USD") else "left")
        for e in r.events:
            gauges = f"{e.from_gauge_mm or '–'} → {e.to_gauge_mm or '–'}"
            hours = f"{e.duration_h:,.1f}"
            if e.duration_h_range and e.duration_h > 0:
                hours += f" ({e.duration_h_range[0]:,.1f}–{e.duration_h_range[1]:,.1f})"
            ev.add_row(
                e.kind.replace("_", " "),
                e.at,
                f"{e.from_country} → {e.to_country}",
                gauges,
                hours,
                f"{e.cost_usd:,.0f}",
                _basis(e.basis, e.record),
            )
        out.print(ev)
    out.print(
        "[dim]ranges: 10th–90th percentile; basis: curated (published figure), fitted (to published "
        "figures), modelled (general rule), [yellow]default[/yellow] (an estimate)[/]"
    )


def _days(h: float) -> str:
    return f"{h / 24:,.1f}"


def _basis(basis: str, record: str | None = None) -> str:
    text = f"{basis} ({record})" if record and basis == "curated" else basis
    return f"[yellow]{text}[/]" if basis == "default" else text


@app.command("compare")
def compare_cmd(
    origin: Annotated[str, typer.Argument(help="place name, station, UN/LOCODE or 'lat,lon'")],
    destination: Annotated[str, typer.Argument(help="place name, station, UN/LOCODE or 'lat,lon'")],
    optimize: Objective = "time",
    teu: Annotated[float, typer.Option(help="cargo in TEU")] = 1.0,
    year: Annotated[int | None, typer.Option(help="the network as of this year")] = None,
    avoid: Annotated[str, typer.Option(help="ISO country codes to avoid, comma-separated")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    map_file: Annotated[
        Path | None, typer.Option("--map", help="write a standalone HTML map of the options")
    ] = None,
    chart: Annotated[
        Path | None, typer.Option("--chart", help="write a PNG chart (default: beside --map)")
    ] = None,
) -> None:
    """The best rail, sea and rail+sea options side by side."""
    from silkrail.routing.router import router_for

    net = _load()
    try:
        options = router_for(net).compare(
            origin, destination, objective=optimize, teu=teu, year=year, avoid=[avoid] if avoid else []
        )
    except SilkrailError as exc:
        _fail(exc)
    labels = ", ".join(o.label or "" for o in options)
    title = f"{options[0].origin.name} → {options[0].destination.name}: {labels}"
    if map_file:
        from silkrail.viz.maps import write_route_map

        write_route_map(options, map_file, title=title)
        chart = chart or map_file.with_suffix(".png")
    if chart:
        from silkrail.viz.charts import write_comparison_chart

        write_comparison_chart(options, chart, title=title)
    if as_json:
        typer.echo(json.dumps({"options": [o.to_dict() for o in options]}, ensure_ascii=False))
        return
    table = Table(title=title, title_justify="left")
    for col in ("option", "km", "days", "USD", "t CO2", "border crossings", "gauge changes", "countries"):
        table.add_column(col, justify="left" if col in ("option", "countries") else "right")
    for o in options:
        table.add_row(
            o.label,
            f"{o.distance_km:,.0f}",
            f"{_days(o.duration_h)} ({_days(o.duration_h_range[0])}–{_days(o.duration_h_range[1])})",
            f"{o.cost_usd:,.0f} ({o.cost_usd_range[0]:,.0f}–{o.cost_usd_range[1]:,.0f})",
            f"{o.co2_kg / 1000:,.2f}",
            str(len(o.border_crossings)),
            str(len(o.gauge_changes)),
            " → ".join(o.countries),
        )
    out.print(table)
    for f in (map_file, chart):
        if f:
            out.print(f"wrote {f}")


@app.command("calibrate")
def calibrate_cmd(
    report: Annotated[bool, typer.Option("--report", help="print the accuracy report; do not write")] = False,
    cases: Annotated[Path | None, typer.Option(help="published figures (default: the package's)")] = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="where to write the fitted values (default: the package's)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Fit the cost model to the published figures (cross-validated) and write the fitted values;
    with --report, print each case's held-out prediction and the accuracy per category."""
    from silkrail.calibration.fit import calibrate, write_fitted
    from silkrail.calibration.report import render, to_dict

    net = _load()
    try:
        result = calibrate(net, cases=cases)
    except SilkrailError as exc:
        _fail(exc)
    if not report:
        path = write_fitted(result, out_file, cases_file=(cases.name if cases else "calibration.yaml"))
    if as_json:
        typer.echo(json.dumps(to_dict(result), ensure_ascii=False))
    elif report:
        typer.echo(render(result))
    if not report:
        err.print(f"wrote {path} ({len(result.fitted.values)} parameters, {result.seconds:.1f} s)")


@app.command("simulate")
def simulate_cmd(
    scenarios: Annotated[
        list[str], typer.Argument(help="SCENARIO.yaml (or a shipped name), or: compare A.yaml B.yaml")
    ],
    replications: Annotated[int, typer.Option(help="independent runs (seeds seed, seed+1, ...)")] = 1,
    seed: Annotated[int | None, typer.Option(help="first seed (default: the scenario's)")] = None,
    days: Annotated[
        int | None, typer.Option(help="simulate this many days instead of the scenario's")
    ] = None,
    scheduler: Annotated[str | None, typer.Option(help=SCHEDULER_HELP)] = None,
    workers: Annotated[int, typer.Option(help="workers of a local cluster")] = 2,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    plots: Annotated[Path | None, typer.Option("--plots", help="write PNG charts to this directory")] = None,
) -> None:
    """Simulate a scenario (trains queueing at crossings) and print KPIs; or compare two."""
    from rich.progress import Progress

    from silkrail.simulation.runner import compare, simulate, write_plots

    comparing = scenarios[0] == "compare"
    files = scenarios[1:] if comparing else scenarios
    if (comparing and len(files) != 2) or (not comparing and len(files) != 1):
        _fail(DataError("give one scenario, or: compare A.yaml B.yaml", field="scenario"))
    try:
        scheduler = parse_scheduler(scheduler)
    except DataError as exc:
        _fail(exc)
    net = _load()
    results = []
    try:
        for f in files:
            with Progress(console=err.get(), transient=True) as bar:
                task = bar.add_task(f"simulating {f}", total=replications)

                def advance(n: int, t: Any = task, b: Any = bar) -> None:
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
        _fail(exc)
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


def _fmt(v: Interval, scale: float = 1.0, digits: int = 1) -> str:
    import math

    mean, ci = v.mean / scale, v.ci95 / scale
    if math.isnan(mean):
        return "–"
    return f"{mean:,.{digits}f}" + ("" if math.isnan(ci) else f" ± {ci:,.{digits}f}")


def _print_kpis(k: Kpis) -> None:
    out.print(
        f"[bold]{k.scenario}[/]: {k.days:.0f} days from {k.start}, {k.replications} "
        f"replication(s), {k.events:,} events (± = 95 % confidence interval)"
    )
    t = Table(title="services", title_justify="left")
    for col in (
        "service",
        "trains delivered",
        "planned d",
        "transit mean d",
        "p50 d",
        "p95 d",
        "rerouted",
        "stranded",
    ):
        t.add_column(col, justify="left" if col == "service" else "right")
    for s in k.services:
        t.add_row(
            s.name,
            _fmt(s.trains_delivered, digits=0),
            f"{s.planned_h / 24:.1f}",
            _fmt(s.transit_mean_h, 24),
            _fmt(s.transit_p50_h, 24),
            _fmt(s.transit_p95_h, 24),
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
            t.add_column(col.replace("_", " "), justify="right")
        for row in rows:
            cells = []
            for col in cols:
                v = row.changes[col]
                cells.append(f"{v.a:,.2f} → {v.b:,.2f} ({v.change:+,.2f})")
            t.add_row(row.name, *cells)
        out.print(t)


@app.command("serve")
def serve_cmd(
    db: Annotated[
        str | None, typer.Option("--db", help="database URL (default: SQLite in $SILKRAIL_HOME)")
    ] = None,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            envvar="SILKRAIL_INGEST_PROCESSES",
            help="ingest processes: posted batches are stored by whichever is free, one core each; "
            "0 stores them in the service's own process",
        ),
    ] = min(2, os.cpu_count() or 1),
) -> None:
    """Run the tracking and routing service and dashboard; writes need a bearer token
    (Authorization: Bearer $SILKRAIL_API_TOKEN)."""
    from silkrail.extras import needs_extra

    with needs_extra("silkrail serve"):
        import uvicorn

        from silkrail.service.app import ServiceSettings, create_app
        from silkrail.service.protocol import SERVER_OPTIONS
        from silkrail.tracking.store import migrate

    if not 0 <= workers <= 64:
        _fail(DataError(f"--workers {workers}: give 0 to 64 ingest processes", field="workers"))
    _check_port(host, port)
    try:
        settings = ServiceSettings.from_env(db_url=db)
    except DataError as exc:
        _fail(exc)
    except ValueError as exc:
        _fail(DataError(str(exc)))
    if not settings.tokens:
        err.print("[yellow]no SILKRAIL_API_TOKEN or SILKRAIL_API_TOKENS_FILE: every write will be refused[/]")
    _load()  # build the network before listening, with a progress bar
    try:
        migrate(settings.db_url)  # once, before the workers start
    except Exception as exc:  # the driver's own words say what is wrong with the URL or server
        err.print(
            f"[red]error:[/] cannot open the database {_safe_url(settings.db_url)}: {exc}".split("\n")[0]
        )
        raise typer.Exit(2) from None
    settings.ingest_processes = workers
    out.print(f"dashboard: http://{host}:{port}/   API: http://{host}:{port}/docs")
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=10,  # open streams must not keep a stopping service alive
        **SERVER_OPTIONS,  # header deadline, header size and connection caps
    )


@tracking_app.command("repair")
def tracking_repair(
    db: Annotated[
        str | None, typer.Option("--db", help="database URL (default: SQLite in $SILKRAIL_HOME)")
    ] = None,
) -> None:
    """Recompute every crossing's learned dwell from the stored events, with today's bounds."""
    from silkrail.extras import needs_extra
    from silkrail.settings import get_settings

    with needs_extra("silkrail tracking repair"):
        from silkrail.tracking.store import default_url, make_engine, migrate
        from silkrail.tracking.tracker import Tracker

    url = db or default_url(get_settings().home)
    migrate(url)
    engine = make_engine(url)
    try:
        learned = Tracker(engine, net=None).repair()
    finally:
        engine.dispose()
    for crossing, (n, mean) in learned.items():
        out.print(f"{crossing}: {n} waits, mean {mean:,.1f} h")
    out.print(f"recomputed the learned dwell of {len(learned)} crossings")


def _check_port(host: str, port: int) -> None:
    """Fail with a clear message, before any work, when the address cannot be listened on."""
    import socket

    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except OSError as exc:
        _fail(
            DataError(f"cannot listen on {host}:{port} ({exc.strerror}); give another --port", field="port")
        )


def _safe_url(url: str) -> str:
    """A database URL without its password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unparseable URL)"


@app.command("demo-feed")
def demo_feed_cmd(
    out_file: Annotated[Path, typer.Option("--out", help="JSON Lines file to write")] = Path(
        "out/demo-feed.jsonl"
    ),
    trains_per_service: Annotated[int, typer.Option(help="trains under way per seed service")] = 3,
    every: Annotated[int, typer.Option(help="minutes between position reports")] = 15,
    ahead: Annotated[
        float, typer.Option(help="hours of the 24 that lie ahead of now (for replay --live)")
    ] = 0.0,
) -> None:
    """Write a realistic 24 hours of events (by default the last 24) for the seed corridors' services."""
    from silkrail.tracking.feed import demo_day, demo_feed, write_feed

    if not 1 <= trains_per_service <= 50 or not 1 <= every <= 1440:
        _fail(
            DataError(
                "give 1-50 trains per service and 1-1440 minutes between reports", field="trains-per-service"
            )
        )
    if not 0 <= ahead <= 24:
        _fail(DataError(f"--ahead {ahead}: give 0 to 24 hours", field="ahead"))
    out_file.parent.mkdir(parents=True, exist_ok=True)
    n = write_feed(
        demo_feed(_load(), demo_day(ahead), trains_per_service=trains_per_service, every_min=every), out_file
    )
    out.print(f"wrote {n:,} lines to {out_file}")


@app.command("replay")
def replay_cmd(
    feed: Annotated[Path, typer.Argument(help="JSON Lines feed (see demo-feed)")],
    url: Annotated[str, typer.Option(help="service base URL")] = "http://127.0.0.1:8000",
    speed: Annotated[float, typer.Option(help="times real time; 0 = as fast as possible")] = 60.0,
    live: Annotated[
        bool, typer.Option("--live", help="each event when its time comes: the past at once, the rest as due")
    ] = False,
    token: Annotated[str | None, typer.Option(envvar="SILKRAIL_API_TOKEN", help="bearer token")] = None,
) -> None:
    """Post a recorded feed to a running service, paced at SPEED times real time (or --live)."""
    from rich.progress import Progress

    from silkrail.client import ServiceUnreachable
    from silkrail.extras import needs_extra
    from silkrail.tracking.feed import replay

    with needs_extra("silkrail replay"):
        import httpx  # noqa: F401  (the client's transport: say which extra before anything else)

    if not feed.is_file():
        _fail(DataError(f"{feed}: no such file"))
    if not token:
        _fail(DataError("give --token or set SILKRAIL_API_TOKEN", field="token"))
    total = sum(1 for line in feed.read_text(encoding="utf-8").splitlines() if '"type": "event"' in line)
    try:
        with Progress(console=err.get()) as bar:
            task = bar.add_task("replaying", total=total)

            def advance(n: int, t: Any = task, b: Any = bar) -> None:
                b.advance(t, n)

            def caught_up(so_far: dict[str, int], due: Any, b: Any = bar) -> None:
                b.console.print(
                    f"caught up: {so_far['trains']} trains, {so_far['accepted']:,} events accepted, "
                    f"{so_far['rejected']:,} rejected; the rest follow in real time from {due:%H:%M} UTC",
                    soft_wrap=True,
                )

            totals = replay(
                feed, url, token or "", speed=speed, live=live, progress=advance, caught_up=caught_up
            )
    except ServiceUnreachable as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    except SilkrailError as exc:
        _fail(exc)
    out.print(
        f"{totals['trains']} trains; events: {totals['accepted']:,} accepted, "
        f"{totals['duplicates']:,} duplicates, {totals['rejected']:,} rejected"
    )


def main() -> None:
    """The ``silkrail`` command: the library's warnings (a network being rebuilt, another
    process building it) are shown on stderr."""
    import logging

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("silkrail")
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    try:
        app()
    except MissingExtraError as exc:  # an optional package a command needs is not installed
        from rich.markup import escape

        err.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
