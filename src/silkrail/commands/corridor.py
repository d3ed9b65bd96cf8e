"""``silkrail corridor``, ``dependency`` and ``resilience``: the corridor analyses on the command
line, each a thin shell over :mod:`silkrail.analysis`. Exit codes as for ``route``: 2 bad
input, 3 no route."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from silkrail.commands import console
from silkrail.commands import options as opt
from silkrail.commands.console import Table
from silkrail.commands.options import (
    AsJson,
    Avoid,
    MapFile,
    Mode,
    ModeChoice,
    ObjectiveChoice,
    Optimize,
    Year,
)
from silkrail.errors import DataError, SilkrailError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import TaskID

    from silkrail.analysis.dependency import Dependency
    from silkrail.analysis.resilience import Element, Outcome, Resilience
    from silkrail.analysis.sections import Corridor, Section


def register(app: typer.Typer) -> None:
    """Add the corridor commands to the ``silkrail`` application."""
    app.command("corridor")(corridor_cmd)
    app.command("dependency")(dependency_cmd)
    app.command("resilience")(resilience_cmd)


SCHEDULER_HELP_LOCAL = (
    "local (the default: a Dask LocalCluster of --workers processes), none or serial (run here), "
    "or tcp://HOST:PORT (a running Dask scheduler)"
)


def _check_html(path: Path | None, option: str) -> None:
    if path is not None and path.suffix.lower() not in (".html", ".htm"):
        console.fail(DataError(f"{path}: {option} writes HTML; name the file *.html", field=option[2:]))


def corridor_cmd(
    origin: opt.Origin,
    destination: opt.Destination,
    mode: Mode = ModeChoice.rail,
    optimize: opt.RouteOptimize = None,
    avoid: Avoid = "",
    year: Year = None,
    as_json: AsJson = False,
    map_file: MapFile = None,
    report: Annotated[Path | None, typer.Option("--report", help="write an offline HTML report")] = None,
    electrify: Annotated[
        str | None,
        typer.Option(help="what-if: this section (an id of interoperability.yaml) electrified; needs --flow"),
    ] = None,
    flow: Annotated[
        float | None, typer.Option(help="with --electrify: the corridor's flow, TEU a year")
    ] = None,
) -> None:
    """Interoperability along the best route: each section's gauge, power supply, train control,
    axle load, train length, tracks and speed (with its basis), and the change points; with
    --electrify SECTION --flow TEU, the CO2e a year that electrifying the section would save."""
    from silkrail.analysis.sections import analyse_route
    from silkrail.network.interop import load_interoperability
    from silkrail.routing.router import router_for

    for f, option in ((map_file, "--map"), (report, "--report")):
        _check_html(f, option)
    query = opt.route_query(origin, destination, objective=optimize, mode=mode, avoid=avoid, year=year)
    net = console.load_network_or_exit()
    try:
        router = router_for(net)
        route = router.route(query)
        corridor = analyse_route(router, route, load_interoperability())
        saving = None
        if electrify is not None or flow is not None:
            if electrify is None or flow is None:
                raise DataError("--electrify SECTION and --flow TEU_PER_YEAR go together", field="electrify")
            from silkrail.routing.emissions import electrification_saving

            saving = electrification_saving(net, route, electrify, flow, model=router.graph.model)
    except SilkrailError as exc:
        console.fail(exc)
    title = f"{route.origin.name} → {route.destination.name}: interoperability"
    written = []
    if map_file:
        from silkrail.viz.maps import write_route_map

        written.append(write_route_map([route], map_file, title=title))
    if report:
        from silkrail.analysis.report import write_corridor_report

        written.append(write_corridor_report(corridor, report, title=title))
    if as_json:
        doc = corridor.to_dict() | ({"electrify": saving.to_dict()} if saving is not None else {})
        typer.echo(json.dumps(doc, ensure_ascii=False))
        return
    _print_corridor(console.out.get(), corridor, title)
    if saving is not None:
        teu = saving.route_teu
        console.out.print(
            f"electrifying {saving.name} ({saving.km:,.0f} km of this route): CO2e per TEU well-to-wheel "
            f"{saving.before_wtw_kg / teu:,.0f} -> {saving.after_wtw_kg / teu:,.0f} kg, tank-to-wheel "
            f"{saving.before_ttw_kg / teu:,.0f} -> {saving.after_ttw_kg / teu:,.0f} kg; "
            f"at {saving.teu_per_year:,.0f} TEU a year it saves {saving.saved_wtw_t_per_year:,.0f} t CO2e "
            f"well-to-wheel ({saving.saved_ttw_t_per_year:,.0f} t tank-to-wheel)"
        )
    for f in written:
        console.out.print(f"wrote {f}")


def _print_corridor(out: Console, corridor: Corridor, title: str) -> None:
    from silkrail.analysis.sections import LINE_CLASS, UNKNOWN

    t = Table(title=title, title_justify="left")
    columns = (
        "from",
        "to",
        "km",
        "cc",
        "gauge",
        "power",
        "train control",
        "axle t",
        "max train",
        "tracks",
        "km/h",
    )
    for col in columns:
        t.add_column(col, justify="right" if col in ("km", "axle t", "km/h") else "left")

    def cell(s: Section, name: str, text: str | None = None) -> str:
        v = s.attributes.get(name)
        if v is None:
            return "–"
        if v.basis == UNKNOWN:
            return "[dim]unknown[/]"
        shown = text if text is not None else str(v.value)
        mark = "" if v.basis == "curated" else "ᶜ" if v.basis.startswith(LINE_CLASS) else "ᵈ"
        return f"[yellow]{shown}?[/]{mark}" if v.weak else shown + mark

    for s in corridor.sections:
        if s.mode != "rail":
            t.add_row(s.from_, s.to, f"{s.km:,.0f}", s.country, s.mode, "", "", "", "", "", "")
            continue
        train = s.value("max_train") or {}
        train_text = ", ".join(f"{v:g} {'m' if k == 'metres' else 'wagons'}" for k, v in train.items())
        gauge = f"{s.gauge_mm:,}" if s.gauge_mm else "–"
        if s.attributes["gauge"].note:
            gauge += " (dual)"
        t.add_row(
            s.from_,
            s.to,
            f"{s.km:,.0f}",
            s.country,
            gauge,
            cell(s, "electrification", s.electrification),
            cell(s, "train_control"),
            cell(s, "axle_load_t"),
            cell(s, "max_train", train_text),
            cell(s, "tracks"),
            cell(s, "speed_kmh", _speed_text(s)),
        )
    out.print(t)
    c = Table(title="change points", title_justify="left")
    for col in ("km", "at", "change", "from", "to", "what it means for the train", "basis"):
        c.add_column(col, justify="right" if col == "km" else "left")
    for ch in corridor.changes:
        c.add_row(
            f"{ch.km:,.0f}", ch.at, ch.kind.replace("_", " "), ch.from_, ch.to, ch.consequence, ch.basis
        )
    out.print(c)
    for ch in corridor.changes:
        if ch.note:
            out.print(f"[dim]{ch.at}, {ch.kind.replace('_', ' ')}: {ch.note}[/]")
    out.print(
        "[dim]plain: curated for the line or section; ᵈ: the country's default; ᶜ: km/h by the line "
        "classes (the transit model's commercial speed, fitted to published times), where no record gives "
        "the line speed; [yellow]?[/yellow]: weak or conflicting source; unknown: no source found (never "
        "guessed)[/]"
    )
    share = corridor.to_dict()["known_km_share"].get("speed_kmh")
    if share is not None:
        out.print(f"[dim]speed known on {share:.0%} of the rail km[/]")


def _speed_text(s: Section) -> str | None:
    v = s.value("speed_kmh")
    return None if v is None else f"{v:,.0f}"


def dependency_cmd(
    origin: Annotated[
        str | None, typer.Argument(help=opt.PLACE_HELP, metavar="ORIGIN", show_default=False)
    ] = None,
    destination: Annotated[
        str | None, typer.Argument(help=opt.PLACE_HELP, metavar="DESTINATION", show_default=False)
    ] = None,
    flows: Annotated[
        str | None, typer.Option(help="instead of A B: a scenario or CSV OD file, weighted by TEU a year")
    ] = None,
    alternatives: Annotated[int, typer.Option(help="also the K best routes through other corridors")] = 0,
    variant: Annotated[
        list[str] | None,
        typer.Option(
            help="a named corridor to compare, repeatable: LABEL:avoid=CC+CC;year=YYYY;mode=rail;via=id+id"
        ),
    ] = None,
    mode: Mode = ModeChoice.any,
    optimize: opt.RouteOptimize = None,
    avoid: Avoid = "",
    year: Year = None,
    as_json: AsJson = False,
    report: Annotated[Path | None, typer.Option("--report", help="write an offline HTML report")] = None,
) -> None:
    """How much of a flow's distance, time and cost lies in each country, and how concentrated
    (HHI, 0-10,000), for the best route, its alternative corridors and named variants; or for a
    flow set (--flows), each flow and the whole set weighted by volume. The same per operator
    where a sourced record names one; the rest is 'unknown', left out of the operators' HHI."""
    from silkrail.analysis.dependency import compute_dependency, flow_set_dependency, parse_variant
    from silkrail.routing.router import router_for

    _check_html(report, "--report")
    if (flows is None) == (origin is None or destination is None) or (flows and (origin or destination)):
        console.fail(DataError("give an origin and a destination, or --flows (not both)", field="flows"))
    if flows is not None:
        from silkrail.analysis.flows import load_flows

        try:
            flow_set = load_flows(flows, mode=None if mode == "any" else mode.value)
        except DataError as exc:
            console.fail(exc)
        options = opt.route_options(objective=optimize, year=year, avoid=avoid)
        net = console.load_network_or_exit()
        try:
            deps = flow_set_dependency(router_for(net), flow_set, options)
        except SilkrailError as exc:
            console.fail(exc)
        _dependency_out(deps, f"{flows}: dependency on each country", as_json, report)
        return
    assert origin is not None and destination is not None
    query = opt.route_query(
        origin, destination, alternatives=alternatives, mode=mode, objective=optimize, avoid=avoid, year=year
    )
    try:
        variants = [parse_variant(v) for v in variant or []]
    except DataError as exc:
        console.fail(exc)
    net = console.load_network_or_exit()
    try:
        deps = compute_dependency(router_for(net), query, variants=variants)
    except SilkrailError as exc:
        console.fail(exc)
    _dependency_out(
        deps, f"{deps[0].origin} → {deps[0].destination}: dependency on each country", as_json, report
    )


def _dependency_out(deps: list[Dependency], title: str, as_json: bool, report: Path | None) -> None:
    if report:
        from silkrail.analysis.report import write_dependency_report

        write_dependency_report(deps, report, title=title)
    if as_json:
        headline = ("origin", "destination", "shares", "hhi")  # the best route's, then every corridor
        doc = {k: v for k, v in deps[0].to_dict().items() if k in headline}
        doc |= {"corridors": [d.to_dict() for d in deps]}
        typer.echo(json.dumps(doc, ensure_ascii=False))
        return
    _print_dependency(console.out.get(), deps, title)
    if report:
        console.out.print(f"wrote {report}")


def _print_dependency(out: Console, deps: list[Dependency], title: str) -> None:
    from silkrail.analysis.dependency import MEASURES

    t = Table(title=title, title_justify="left")
    for col in (
        "corridor",
        "route",
        "km",
        "days",
        "USD/TEU",
        "HHI distance",
        "HHI time",
        "HHI cost",
        "largest",
    ):
        t.add_column(col, justify="left" if col in ("corridor", "route", "largest") else "right")
    for d in deps:
        if d.note:
            t.add_row(d.label, f"[yellow]{d.note}[/]", *[""] * 7)
            continue
        top = d.top()
        t.add_row(
            d.label,
            " → ".join(d.countries),
            f"{d.distance_km:,.0f}" if d.distance_km else "–",
            f"{d.duration_h / 24:,.1f}" if d.distance_km else "–",
            f"{d.cost_usd:,.0f}" if d.distance_km else "–",
            *(f"{d.hhi[m]:,.0f}" for m in MEASURES),  # the HHI columns: distance, time, cost
            f"{top.country} {top.shares['distance']:.0%}" if top else "–",
        )
    out.print(t)
    countries = list(dict.fromkeys(s.country for d in deps for s in d.shares))
    s_table = Table(title="share of distance / time / cost per country", title_justify="left")
    s_table.add_column("country")
    deps = [d for d in deps if not d.note]
    for d in deps:
        s_table.add_column(d.label, justify="right")
    for cc in countries:
        cells = []
        for d in deps:
            share = next((s for s in d.shares if s.country == cc), None)
            cells.append(
                "–"
                if share is None
                else " / ".join(f"{share.shares[m]:.0%}" for m in ("distance", "time", "cost"))
            )
        s_table.add_row(cc, *cells)
    out.print(s_table)
    o_table = Table(title="share of distance / time / cost per operator", title_justify="left")
    o_table.add_column("operator")
    for d in deps:
        o_table.add_column(d.label, justify="right")
    o_table.add_row("[dim]HHI distance / time / cost[/]", *[_hhi_cell(d.operator_hhi) for d in deps])
    for op in dict.fromkeys(s.operator for d in deps for s in d.operators):
        cells = []
        for d in deps:
            o = next((s for s in d.operators if s.operator == op), None)
            cells.append(
                "–" if o is None else " / ".join(f"{o.shares[m]:.0%}" for m in ("distance", "time", "cost"))
            )
        o_table.add_row(op, *cells)
    out.print(o_table)
    out.print(
        "[dim]HHI: sum of squared percentage shares of the national part (10,000 = one country holds "
        "everything); events between two countries are split half and half. Operators: where a sourced "
        "record names one; 'unknown' (sea, ports, unsourced track) is left out of their HHI[/]"
    )


def _hhi_cell(index: dict[str, float]) -> str:
    return " / ".join(f"{index[m]:,.0f}" if m in index else "–" for m in ("distance", "time", "cost"))


def resilience_cmd(
    flows: Annotated[
        str, typer.Option(help="a scenario (file or shipped name) or a CSV OD file with TEU a year")
    ] = "baseline-2025",
    select: Annotated[
        list[str] | None, typer.Option(help="keep the flows whose name contains this text (repeatable)")
    ] = None,
    elements: Annotated[
        str,
        typer.Option(
            help="kinds (crossings, lines, ports, ferries, passages) and/or element ids, comma-separated"
        ),
    ] = "crossings,lines,ports",
    combine: Annotated[
        list[str] | None,
        typer.Option(help="elements removed together, repeatable: red-sea, or NAME=id+id"),
    ] = None,
    days: Annotated[float | None, typer.Option(help="a closure of N days instead of a year")] = None,
    ignore_via: Annotated[
        bool,
        typer.Option(
            "--ignore-via", metavar="", help="route every flow its best way, not through its via crossings"
        ),
    ] = False,
    mode: Annotated[
        ModeChoice | None,
        typer.Option(help="route every flow by rail, sea or any (default: its own)", show_default=False),
    ] = None,
    optimize: Optimize = ObjectiveChoice.time,
    year: Year = None,
    scheduler: Annotated[str, typer.Option(help=SCHEDULER_HELP_LOCAL)] = "local",
    workers: Annotated[int, typer.Option(help="workers of a local cluster")] = 2,
    top: Annotated[int, typer.Option(help="elements to list (all with --json)")] = 20,
    as_json: AsJson = False,
    map_file: MapFile = None,
    report: Annotated[Path | None, typer.Option("--report", help="write an offline HTML report")] = None,
) -> None:
    """Remove each element in turn (and named combinations) and rank them by what the flows
    lose: stranded TEU, extra time, cost and CO2, and the routes they take instead."""
    from rich.progress import Progress

    from silkrail.analysis.flows import load_flows
    from silkrail.analysis.resilience import (
        NetworkFlowRouter,
        check_flows,
        compute_resilience,
        network_elements,
    )
    from silkrail.routing.router import router_for
    from silkrail.settings import get_settings
    from silkrail.simulation.scheduler import parse_scheduler, require_dask

    for f, option in ((map_file, "--map"), (report, "--report")):
        _check_html(f, option)
    try:
        sched = parse_scheduler(scheduler)
        if sched is not None:
            require_dask(f"resilience --scheduler {sched} (or --scheduler serial)")
        if not 1 <= workers <= 64:
            raise DataError(f"give 1 to 64 workers (got {workers})", field="--workers")
        flow_set = load_flows(flows, mode=mode and mode.value, select=select, keep_via=not ignore_via)
    except SilkrailError as exc:
        console.fail(exc)
    net = console.load_network_or_exit()
    settings = get_settings()
    flow_router = NetworkFlowRouter(settings, objective=optimize.value, year=year)
    try:
        router = router_for(net)
        check_flows(router, flow_set)
        network_elements(net, elements, combinations=combine or [])  # unknown ids fail before any routing

        def chosen(baselines: list[Outcome | None]) -> Sequence[Element]:
            used = frozenset(k for b in baselines if b is not None for k in b.uses)
            return network_elements(net, elements, used=used, combinations=combine or [])

        with Progress(console=console.err.get(), transient=True) as bar:
            task = bar.add_task("re-routing the flows that use each element", total=None)

            def advance(n: int, t: TaskID = task, b: Progress = bar) -> None:
                b.advance(t, n)

            result = compute_resilience(
                flow_set, chosen, flow_router, days=days, scheduler=sched, workers=workers, progress=advance
            )
    except SilkrailError as exc:
        console.fail(exc)
    if report or map_file:
        from silkrail.analysis.report import write_resilience_report
        from silkrail.analysis.resilience import element_positions

        positions = element_positions(net)
        for f in (map_file, report):
            if f:
                write_resilience_report(
                    result, f, title="Resilience: the cost of losing each element", positions=positions
                )
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    _print_resilience(console.out.get(), result, top)
    for f in (map_file, report):
        if f:
            console.out.print(f"wrote {f}")


def _print_resilience(out: Console, r: Resilience, top: int) -> None:
    period = f"{r.days:g} days of closure" if r.days else "a year"
    total = sum(f.teu_per_year for f in r.flows)
    trains = sum(f.trains_per_year for f in r.flows if f.passenger)
    passengers = f" and {trains:,.0f} passenger trains" if trains else ""
    out.print(
        f"[bold]{len(r.flows)} flows[/], {total:,.0f} TEU a year{passengers}; {len(r.impacts)} elements, "
        f"{r.reroutes} re-routings; impact over {period}, against each flow's own best route"
    )
    t = Table(title="elements ranked by what their loss costs the flows", title_justify="left")
    for col in (
        "#",
        "element",
        "kind",
        "stranded TEU",
        "stranded trains",
        "extra TEU-days",
        "cost change USD",
        "CO2 change t",
        "instead",
    ):
        t.add_column(col, justify="left" if col in ("element", "kind", "instead") else "right")
    for i in r.impacts[:top]:
        instead = "; ".join(
            f"{d.flow}{' (passenger)' if d.unit == 'trains' else ''}: "
            f"{'stranded' if d.route is None else f'{d.extra_h / 24:+.1f} d via {d.route}'}"
            + (" [dim](held to its published crossings)[/]" if d.pinned else "")
            for d in i.detours[:2]
        ) + (f" (+{len(i.detours) - 2} more)" if len(i.detours) > 2 else "")
        t.add_row(
            str(i.rank),
            f"{i.element.name} [dim]({i.element.key})[/]",
            i.element.kind,
            f"{i.stranded_teu:,.0f}",
            f"{i.passenger_trains_stranded:,.0f}",
            f"{i.extra_time_h / 24:,.0f}",
            f"{i.extra_cost_usd:,.0f}",
            f"{i.extra_co2_t:,.0f}",
            instead or "[dim]no flow uses it[/]",
        )
    out.print(t)
    objective = r.impacts[0].objective if r.impacts else "time"
    out.print(
        f"[dim]changes against each flow's own best route by {objective} (never a gain); a slower "
        "detour may cost less; stranded trains: passenger services (no TEU)[/]"
    )
    if r.unrouted:
        out.print(f"[yellow]no route at all, left out: {', '.join(r.unrouted)}[/]")
    routed = sum(f.teu_per_year for f, b in zip(r.flows, r.baselines, strict=True) if b is not None)
    scale = (r.days / 365.0) if r.days else 1.0
    for i in r.impacts:
        if routed and i.stranded_teu >= routed * scale * (1 - 1e-9):
            out.print(f"[red]removing {i.element.name} strands every flow[/]")
