"""``silkrail route`` and ``silkrail compare``: the best route between two places (by the
network model, or by the timetable with ``--depart``/``--arrive``), and the rail, sea and
rail+sea options side by side. Each builds one :class:`~silkrail.routing.query.RouteQuery`."""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from silkrail.commands import options as opt
from silkrail.commands.console import Table, duration, err, escape, fail, out
from silkrail.commands.console import load_network_or_exit as _load
from silkrail.errors import SilkrailError


class EmissionsChoice(StrEnum):
    """The CO2e basis shown (``--emissions``): well-to-wheel or tank-to-wheel (ISO 14083)."""

    wtw = "wtw"
    ttw = "ttw"


Emissions = Annotated[
    EmissionsChoice,
    typer.Option(
        "--emissions",
        help="the CO2e basis shown, by the traction of each section: well-to-wheel or tank-to-wheel "
        "(--json carries both)",
    ),
]


def co2e_t(r: Route, basis: str) -> tuple[float, str]:
    """(tonnes, basis label) of the route's CO2e on ``basis`` ('wtw' or 'ttw'), from its legs;
    the transit model's figure where the legs have none."""
    value = r.co2e_wtw_kg if basis == "wtw" else r.co2e_ttw_kg
    if value is None:
        return r.co2_kg / 1000, "WTW" if r.co2_basis == "well-to-wheel" else "TTW"
    return value / 1000, basis.upper()


def co2e_text(r: Route, basis: str) -> str:
    t, label = co2e_t(r, basis)
    return f"{t:,.2f} t CO2e ({label})"

if TYPE_CHECKING:
    from silkrail.network.model import Network
    from silkrail.routing.costs import CostModel
    from silkrail.routing.query import RouteQuery
    from silkrail.routing.results import Route, ScheduledService
    from silkrail.routing.router import Router


def register(app: typer.Typer) -> None:
    """Add the route and compare commands to the ``silkrail`` application."""
    app.command("route")(route_cmd)
    app.command("compare")(compare_cmd)


def route_cmd(
    origin: opt.Origin,
    destination: opt.Destination,
    mode: opt.Mode = opt.ModeChoice.any,
    optimize: opt.RouteOptimize = None,
    traffic: opt.Traffic = opt.TrafficChoice.any,
    train: opt.Train = None,
    avoid: opt.Avoid = "",
    year: opt.Year = None,
    teu: opt.Teu = 1.0,
    alternatives: opt.Alternatives = 0,
    as_of: opt.AsOf = None,
    inland_water: opt.InlandWater = False,
    depart: opt.Depart = None,
    arrive: opt.Arrive = None,
    as_json: opt.AsJson = False,
    geojson: Annotated[
        Path | None, typer.Option("--geojson", help="write the route as GeoJSON", show_default=False)
    ] = None,
    map_file: opt.MapFile = None,
    emissions: Emissions = EmissionsChoice.wtw,
) -> None:
    """The best route between two places, across gauges, borders and modes; with --depart or
    --arrive, the earliest arrival (latest departure) on the scheduled services."""
    from silkrail.routing.router import router_for
    from silkrail.timetable.answer import answer_route

    query = opt.route_query(
        origin,
        destination,
        mode=mode,
        objective=optimize,
        traffic=traffic,
        train=None if train is None else train.value,
        avoid=avoid,
        year=year,
        teu=teu,
        alternatives=alternatives,
        as_of=as_of,
        inland_water=inland_water,
        depart=depart,
        arrive=arrive,
    )
    if query.scheduled and (geojson or map_file):
        from silkrail.errors import DataError

        fail(DataError("a timetabled journey is printed or given as JSON: leave out --geojson and --map",
                       field="--depart" if depart else "--arrive"))
    net = _load()
    if query.scheduled:
        return scheduled_route(net, query, as_json)
    router = router_for(net)
    try:
        r = answer_route(router, query)
    except SilkrailError as exc:
        fail(exc)
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
    _print_route(r, emissions.value, router.graph.model)
    if r.service is None:  # a scheduled service's answer is not the model's to better in a later year
        _print_later(router, query, r)
    for i, alt in enumerate(r.alternatives, 1):
        out.rule(f"alternative {i}")
        _print_route(alt, emissions.value, router.graph.model)
    if r.alternatives_note:
        out.print(f"[dim]{escape(r.alternatives_note)}[/]")
    for f in (geojson, map_file):
        if f:
            out.print(f"wrote {f}")


def _print_service(s: ScheduledService) -> None:
    """Which scheduled service answers, and which figure is which (the timetable's ride, the
    expected wait, the lead times), with the network model's time beside it."""
    lead = [f"boarding {duration(s.boarding_h)}"]
    if s.booking_h:
        lead.append(f"booking {duration(s.booking_h)}")
    if s.consolidation_h:
        lead.append(f"consolidation {duration(s.consolidation_h)}")
    if s.modelled_duration_h is None or s.modelled_duration_h_range is None:
        beside = "the network model alone finds no route"
    else:
        beside = f"the network model alone: {duration(s.modelled_duration_h, *s.modelled_duration_h_range)}"
    out.print(
        f"by [bold]{escape(s.name)}[/] ({escape(s.long_name)}, {escape(s.operator)}) from "
        f"{escape(s.board)} to {escape(s.alight)}: {duration(s.ride_h)} on the train by its timetable"
        + ("" if s.published else " (one end's time estimated along it)")
        + f", {duration(s.expected_wait_h)} expected wait for a departure "
        + f"({s.departures_per_week:g} a week), "
        + ", ".join(lead)
        + f"; {beside}",
        soft_wrap=True,
    )


def _print_generalised(r: Route) -> None:
    """What the default objective weighed: hours at the value of time, money, and the penalties."""
    from silkrail.routing.generalised import load_weights

    w = load_weights()
    out.print(
        f"[dim]generalised cost ${r.generalised_usd:,.0f} per TEU: {r.duration_h:,.0f} h × "
        f"${w.value_of_time_usd_per_teu_h:g} + ${r.cost_usd / r.teu:,.0f} + {r.customs_borders} customs "
        f"border(s) × ${w.border_usd:,.0f} + {r.transshipments} transshipment(s) × "
        f"${w.transshipment_usd:,.0f} (--optimize time|cost|co2 for one figure)[/]",
        soft_wrap=True,
    )


def _print_later(router: Router, query: RouteQuery, r: Route) -> None:
    """One line when planned links open a better route in a later year."""
    later = router.later(query, r)
    if later is None:
        return
    year, links, lr = later
    names = ", ".join(f"{escape(name)} ({opens})" for name, opens in links)
    out.print(
        f"[bold]planned:[/] from {year} ({names}): {lr.distance_km:,.0f} km, {duration(lr.duration_h)}, "
        f"${lr.cost_usd:,.0f}, via {' → '.join(lr.countries)}; see --year {year}",
        soft_wrap=True,
    )


def _print_route(r: Route, emissions: str = "wtw", model: CostModel | None = None) -> None:
    head = f"[bold]{escape(r.origin.name)} → {escape(r.destination.name)}[/]"
    if r.label:
        head += f" [dim]({r.label})[/]"
    lo, hi = r.duration_h_range
    c_lo, c_hi = r.cost_usd_range
    out.print(
        f"{head}: {r.distance_km:,.0f} km, {duration(r.duration_h, lo, hi)}, "
        f"${r.cost_usd:,.0f} (${c_lo:,.0f}–{c_hi:,.0f}), {co2e_text(r, emissions)} "
        f"{'per passenger' if r.traffic == 'passenger' else f'for {r.teu:g} TEU'}; "
        f"via {' → '.join(r.countries)}"
    )
    if r.service is None and r.duration_h - r.train_h >= 0.5:
        out.print(
            f"door to door {duration(r.duration_h)}: {duration(r.train_h)} in transit, departure to "
            f"arrival (what published transit times quote), "
            f"{duration(r.duration_h - r.train_h)} at the terminals (handling, formation, waiting for "
            "the departure)",
            soft_wrap=True,
        )
    if r.train != "standard" and r.service is None:
        factor = None if model is None else model.params.traffic(r.traffic).run_factor(r.train)
        article = "an" if r.train == "express" else "a"
        out.print(
            f"{article} {r.train} train: running time × {factor:.2f} of a standard {r.traffic} train's "
            + ("on lines other than high-speed ones" if r.traffic == "passenger" else "on every line")
            + " (fitted to timetables and transit times of such trains)"
            if factor is not None
            else f"{article} {r.train} train",
            soft_wrap=True,
        )
    if r.generalised_usd is not None and r.objective == "generalised":
        _print_generalised(r)
    if r.service is not None:
        _print_service(r.service)
    for place, access in ((r.origin, r.origin_access), (r.destination, r.destination_access)):
        if place.note:
            out.print(f"[dim]note: {escape(place.note)}[/]")
        if access is not None:
            by = "rail" if access.mode == "rail" else "sea"
            where = f"{escape(place.name)}: {by} access {access.km:,.0f} km away, {escape(access.name)}"
            out.print(f"[dim]{where}[/]")
    legs = Table(title="legs", title_justify="left")
    for col in ("mode", "from", "to", "km", "hours", "gauge mm", "countries", "basis"):
        legs.add_column(col, justify="right" if col in ("km", "hours") else "left")
    for leg in r.legs:
        legs.add_row(
            leg.mode,
            escape(leg.from_),
            escape(leg.to),
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
                escape(e.at),
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


def _basis(basis: str, record: str | None = None) -> str:
    text = f"{basis} ({record})" if record and basis == "curated" else basis
    return f"[yellow]{text}[/]" if basis == "default" else text




def scheduled_route(net: Network, query: RouteQuery, as_json: bool) -> None:
    """``route --depart/--arrive``: the timetable where services run, the network model elsewhere."""
    from silkrail.routing.router import router_for
    from silkrail.timetable.journey import plan

    try:
        j = plan(router_for(net), query)
    except SilkrailError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(j.to_dict(), ensure_ascii=False))
        return
    ends = f"{escape(str(j.origin.get('name')))} → {escape(str(j.destination.get('name')))}"
    when = f"leave {_local(j.departure)}, arrive {_local(j.arrival)}"
    out.print(f"[bold]{ends}[/]: {when} ({duration(j.duration_h)}, waits included)")
    table = Table(title="legs (local times)", title_justify="left")
    for col in ("from", "to", "leaves", "arrives", "wait h", "ride h", "service", "trip", "basis"):
        table.add_column(col, justify="right" if col.endswith(" h") else "left")
    for leg in j.legs:
        table.add_row(
            escape(leg.from_),
            escape(leg.to),
            _local(leg.departure),
            _local(leg.arrival),
            f"{leg.wait_h:,.1f}",
            f"{(leg.arrival - leg.departure).total_seconds() / 3600:,.1f}",
            leg.service or "–",
            leg.trip or "–",
            leg.basis,
        )
    out.print(table)


def _local(t: dt.datetime) -> str:
    """A time as it reads on a timetable, in its own zone: ``2026-12-04 18:05 +08``."""
    offset = t.strftime("%z")
    return f"{t:%Y-%m-%d %H:%M} {offset[:3]}{'' if offset.endswith('00') else ':' + offset[3:]}"


def compare_cmd(
    origin: opt.Origin,
    destination: opt.Destination,
    optimize: opt.RouteOptimize = None,
    traffic: opt.Traffic = opt.TrafficChoice.any,
    train: opt.Train = None,
    teu: opt.Teu = 1.0,
    year: opt.Year = None,
    avoid: opt.Avoid = "",
    as_of: opt.AsOf = None,
    as_json: opt.AsJson = False,
    map_file: Annotated[
        Path | None,
        typer.Option("--map", help="write a standalone HTML map of the options", show_default=False),
    ] = None,
    chart: Annotated[
        Path | None,
        typer.Option("--chart", help="write a PNG chart (default: beside --map)", show_default=False),
    ] = None,
    emissions: Emissions = EmissionsChoice.wtw,
) -> None:
    """The best rail, sea and rail+sea options side by side; --map draws them on a map and, where
    matplotlib is installed, a chart of time, cost and CO2 beside it."""
    from silkrail.routing.router import router_for
    from silkrail.timetable.answer import answer_compare

    query = opt.route_query(
        origin,
        destination,
        objective=optimize,
        traffic=traffic,
        train=None if train is None else train.value,
        teu=teu,
        year=year,
        avoid=avoid,
        as_of=as_of,
    )
    if chart is not None and not _can_chart():  # asked for: say so before any work
        from silkrail.errors import MissingExtraError

        missing = "--chart needs matplotlib, which is not installed: pip install 'silkrail[viz]'"
        fail(MissingExtraError(missing))
    net = _load()
    try:
        options = answer_compare(router_for(net), query)
    except SilkrailError as exc:
        fail(exc)
    labels = ", ".join(o.label or "" for o in options)
    title = f"{options[0].origin.name} → {options[0].destination.name}: {labels}"
    if query.train is not None:
        title += f" (a{'n' if query.train == 'express' else ''} {query.train} train)"
    notes: list[str] = []
    if map_file:
        from silkrail.viz.maps import write_route_map

        write_route_map(options, map_file, title=title)
        if chart is None and _can_chart():
            chart = map_file.with_suffix(".png")
        elif chart is None:
            notes.append("no chart beside the map: charts need matplotlib, pip install 'silkrail[viz]'")
    if chart:
        from silkrail.viz.charts import write_comparison_chart

        write_comparison_chart(options, chart, title=title)
    if as_json:
        typer.echo(json.dumps({"options": [o.to_dict() for o in options]}, ensure_ascii=False))
        return
    table = Table(title=title, title_justify="left")
    co2e_col = f"t CO2e\n{emissions.value.upper()}"
    # every figure whole on an 80-column terminal: a range goes under its figure, each column of
    # figures is as wide as its widest line, and only the countries wrap
    rows: list[list[str]] = []
    for o in options:
        rows.append(
            [
                o.label or "–",
                f"{o.distance_km:,.0f}",
                duration(o.duration_h, *o.duration_h_range, range_below=True),
                f"{o.cost_usd:,.0f}\n{o.cost_usd_range[0]:,.0f}–{o.cost_usd_range[1]:,.0f}",
                f"{co2e_t(o, emissions.value)[0]:,.2f}",
                str(len(o.border_crossings)),
                str(len(o.gauge_changes)),
                " → ".join(o.countries),
            ]
        )
    columns = ("option", "km", "time", "USD", co2e_col, "borders", "gauge\nchanges", "countries")
    table.collapse_padding, table.pad_edge = True, False
    for k, col in enumerate(columns):
        widest = max((len(line) for r in rows for line in r[k].split("\n")), default=0)
        widest = max(widest, *(len(line) for line in col.split("\n")))
        left = col in ("option", "countries")
        wraps = col == "countries"
        table.add_column(col, justify="left" if left else "right", min_width=None if wraps else widest)
    for r in rows:
        table.add_row(*r)
    out.print(table)
    for f in (map_file, chart):
        if f:
            out.print(f"wrote {f}")
    for note in notes:
        err.print(f"note: {note}", soft_wrap=True, markup=False)


def _can_chart() -> bool:
    """Whether matplotlib (the ``viz`` extra) can be imported."""
    import importlib.util

    try:
        return importlib.util.find_spec("matplotlib") is not None
    except (ImportError, ValueError):  # a module set to None in sys.modules
        return False
