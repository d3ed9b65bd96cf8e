"""Assembling a route: the arcs of a state-graph path become legs, events and priced totals.

Every leg lists the countries it passes through: a rail leg those of its track, a water leg
those of its ports and those whose inland waters, canals or port approaches it uses (open sea
belongs to no country), a ferry leg those of its two ports.

Every leg carries its own time, money and CO2 (with ranges and a basis) and every event its
time and money, from the same per-arc figures the totals are summed from
(:func:`~silkrail.routing.pricing.path_figures`): the legs and events add up to the totals."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from silkrail.network.classes import CLASS_NAMES
from silkrail.network.model import GAUGES_MM, EdgeKind, Network
from silkrail.network.records import Crossing, Ferry, Port
from silkrail.routing.access import Access
from silkrail.routing.distributions import Component, lognormal_range, lognormal_variance, share_variance
from silkrail.routing.edge_costs import EdgeCosts, ferry_wait_h
from silkrail.routing.generalised_arcs import route_counts
from silkrail.routing.graph import NO_GAUGE, StateGraph
from silkrail.routing.places import Gazetteer, Place
from silkrail.routing.pricing import PathFigures, RoutePrice, price_route
from silkrail.routing.results import Event, Leg, Route
from silkrail.traffic import Traffic, TrainClass


def _gauge(slot: int) -> int | None:
    return None if slot >= NO_GAUGE else GAUGES_MM[slot]


@dataclass(frozen=True)
class _Path:
    """The arcs of a state-graph path, read once into arrays (one entry per arc)."""

    arcs: NDArray[np.int64]
    edge: NDArray[np.int64]
    from_node: NDArray[np.int64]
    to_node: NDArray[np.int64]
    from_slot: NDArray[np.int8]
    to_slot: NDArray[np.int8]
    kind: NDArray[np.uint8]
    km: NDArray[np.float64]
    run_h: NDArray[np.float64]
    is_rail: NDArray[np.bool_]
    is_link: NDArray[np.bool_]
    is_ferry: NDArray[np.bool_]

    @classmethod
    def of(cls, g: StateGraph, arcs: NDArray[np.int64], costs: EdgeCosts) -> _Path:
        net = g.net
        arcs = np.asarray(arcs, dtype=np.int64)
        e = g.edge[arcs].astype(np.int64)
        s_state, d_state = g.src[arcs], g.dst[arcs]
        kind = net.edge_kind[e]
        return cls(
            arcs=arcs,
            edge=e,
            from_node=g.state_node[s_state].astype(np.int64),
            to_node=g.state_node[d_state].astype(np.int64),
            from_slot=g.state_slot[s_state],
            to_slot=g.state_slot[d_state],
            kind=kind,
            km=costs.km[e].astype(np.float64),  # the track's length (track factor included)
            run_h=costs.time_h[e] - costs.fixed_time_h[e],
            is_rail=(kind == EdgeKind.RAIL) | (kind == EdgeKind.BORDER),
            is_link=kind == EdgeKind.PORT_LINK,
            is_ferry=kind == EdgeKind.FERRY,
        )


def assemble_route(
    g: StateGraph,
    arcs: np.ndarray,
    origin: Place,
    destination: Place,
    *,
    objective: str,
    teu: float,
    names: Gazetteer | None = None,
    as_of: str | None = None,
    traffic: Traffic = Traffic.CONTAINER,
    train: TrainClass = "standard",
) -> Route:
    """Turn the arcs of a path into legs, events and totals (money and CO2 for ``teu`` TEU, or
    for one passenger), priced for ``traffic``.

    ``names`` (a :class:`~silkrail.routing.places.Gazetteer`) names the points that the
    network leaves unnamed after the nearest city, so that no leg ends at bare coordinates.
    Vectorised over the arcs: only crossings and port transfers (a handful per route) are
    visited one by one."""
    net = g.net
    price = price_route(g, arcs, teu, traffic=traffic, as_of=as_of, train=train)
    f = price.figures
    assert f is not None
    p = _Path.of(g, arcs, g.costs_of(traffic))
    events, crossing_ids, at_name = _transfer_events(g, p, f, traffic, names)
    legs = _legs(g, p, price, traffic, origin, destination, at_name, names)
    if len(p.arcs):
        seq = _country_sequence(net, p.edge, p.from_node, p.to_node)
    else:
        seq = [net.country_code(origin.node)] if net.country_code(origin.node) else []
    from silkrail.routing.emissions import with_emissions  # reads its factors (pydantic) on first use

    # the legs' CO2e from the same per-edge factors as the route's co2_kg (one figure per trip)
    legs = with_emissions(net, legs, teu, model=g.model, traffic=traffic, km=g.costs_of(traffic).km)
    first, last = _terminal_events(g, origin, destination, f, traffic)
    events = ([first] if first else []) + events + ([last] if last else [])
    borders, transshipments = route_counts(g, p.arcs)
    return Route(
        origin=origin,
        destination=destination,
        objective=objective,
        teu=teu,
        distance_km=float(p.km[~p.is_link].sum()),
        duration_h=price.duration_h,
        cost_usd=price.cost_usd,
        co2_kg=price.co2_kg,
        duration_h_range=price.duration_h_range,
        cost_usd_range=price.cost_usd_range,
        co2_kg_range=price.co2_kg_range,
        co2_basis=price.co2_basis,
        components=price.components,
        countries=seq,
        legs=legs,
        events=events,
        crossing_ids=frozenset(crossing_ids),
        arcs=p.arcs,
        origin_access=_access(origin, int(p.from_node[0]), names) if len(p.arcs) else None,
        destination_access=_access(destination, int(p.to_node[-1]), names) if len(p.arcs) else None,
        traffic=traffic.value,
        train=train,
        customs_borders=borders,
        transshipments=transshipments,
    )


def _transfer_events(
    g: StateGraph, p: _Path, f: PathFigures, traffic: Traffic, names: Gazetteer | None
) -> tuple[list[Event], set[int], dict[int, str]]:
    """The port transfers, ferries, border crossings and gauge changes along the path, in order;
    the crossings' indices; and the name each crossing gives the nodes at its two sides. Times
    and money are the path's own figures (``f``, for the cargo): a border's dwell and fees, and
    apart from them the change of gauge's time and fee, one figure each."""
    net, costs = g.net, g.costs_of(traffic)
    events: list[Event] = []
    crossing_ids: set[int] = set()
    at_name: dict[int, str] = {}  # leg ends at a crossing or port take its name
    special = np.flatnonzero((net.crossing[p.edge] >= 0) | p.is_link | p.is_ferry)
    for i in special.tolist():
        e = int(p.edge[i])
        a_node, b_node = int(p.from_node[i]), int(p.to_node[i])
        from_gauge, to_gauge = _gauge(int(p.from_slot[i])), _gauge(int(p.to_slot[i]))
        fixed, fixed_var = float(f.fixed_h[i]), float(f.fixed_var_h2[i])
        fixed_usd = float(f.fee_usd[i])
        if p.is_ferry[i]:
            ferry = net.ferries[int(net.port[e])]
            start = 0 if int(net.u[e]) == a_node else 1
            events.append(
                ferry_event(
                    ferry,
                    start=start,
                    from_country=net.country_code(a_node),
                    to_country=net.country_code(b_node),
                    from_gauge=from_gauge,
                    to_gauge=to_gauge,
                    hours=fixed,
                    var_h2=fixed_var,
                    cost_usd=fixed_usd,
                )
            )
            continue
        if p.is_link[i]:
            port = net.ports[int(net.port[e])]
            events.append(
                port_transfer_event(
                    port,
                    from_gauge=from_gauge,
                    to_gauge=to_gauge,
                    hours=fixed,
                    var_h2=fixed_var,
                    cost_usd=fixed_usd,
                )
            )
            continue
        c_idx = int(net.crossing[e])
        c = net.crossings[c_idx]
        crossing_ids.add(c_idx)
        at = _crossing_name(c, names)
        at_name.setdefault(a_node, at)
        at_name.setdefault(b_node, at)
        dwell, _ = costs.crossing_parts[c_idx]
        from_country, to_country = net.country_code(a_node), net.country_code(b_node)
        border = bool(p.kind[i] == EdgeKind.BORDER)
        change_h, change_usd = float(f.change_h[i]), float(f.change_usd[i])
        changed = bool(g.change[p.arcs[i]]) and p.from_slot[i] != p.to_slot[i]
        stay_h, stay_usd = fixed - change_h, fixed_usd - change_usd
        if border:
            events.append(
                border_crossing_event(
                    c,
                    at=at,
                    from_country=from_country,
                    to_country=to_country,
                    from_gauge=from_gauge,
                    to_gauge=to_gauge,
                    hours=stay_h,
                    var_h2=lognormal_variance(stay_h, dwell.sigma_log),
                    cost_usd=stay_usd,
                    dwell=dwell,
                )
            )
        if changed or (not border and (stay_h > 0 or stay_usd > 0)):
            # a change of gauge is one figure (its own time and fee); a break of gauge inside a
            # country that the route passes on one gauge still takes its stop
            change = g.model.gauge_change(c, traffic, from_country) if changed else None
            hours = change_h if border else fixed
            event = gauge_change_event(
                c,
                at=at,
                from_country=from_country,
                to_country=to_country,
                from_gauge=from_gauge,
                to_gauge=to_gauge,
                change_h=hours,
                change_var_h2=lognormal_variance(hours, (change or dwell).sigma_log),
                fixed_h=fixed,
                cost_usd=change_usd if border else fixed_usd,
                at_border=border,
                dwell=dwell,
                change=change,
            )
            events.append(event if changed else dataclasses.replace(event, note="passed on one gauge"))
    return events, crossing_ids, at_name


def _legs(
    g: StateGraph,
    p: _Path,
    price: RoutePrice,
    traffic: Traffic,
    origin: Place,
    destination: Place,
    at_name: dict[int, str],
    names: Gazetteer | None,
) -> list[Leg]:
    """Runs of arcs with one mode and one gauge (a gauge change starts a new leg); the route's own
    ends take the origin's and destination's names, crossings and ports theirs."""
    net = g.net
    moving = np.flatnonzero(~p.is_link)
    if not len(moving):
        return []
    mode_code = np.where(p.is_rail[moving], 0, np.where(p.is_ferry[moving], 2, 1))
    gauge_code = np.where(p.is_rail[moving] | p.is_ferry[moving], p.from_slot[moving], -1)
    brk = np.flatnonzero(
        (np.diff(mode_code) != 0)
        | (np.diff(gauge_code) != 0)
        | (np.diff(moving) != 1)
        | (p.from_slot[moving][1:] != p.to_slot[moving][:-1])
    )
    starts, ends = np.r_[0, brk + 1], np.r_[brk + 1, len(moving)]
    last_leg = len(starts) - 1
    legs: list[Leg] = []
    for k, (a, b) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        idx = moving[a:b]
        mode = "rail" if p.is_rail[idx[0]] else "ferry" if p.is_ferry[idx[0]] else "sea"
        nodes = np.r_[p.from_node[idx], p.to_node[idx[-1]]].astype(np.int64)
        countries: list[str] = []
        for name in _country_sequence(net, p.edge[idx], p.from_node[idx], p.to_node[idx]):
            if name not in countries:
                countries.append(name)
        start = origin.name if k == 0 else at_name.get(int(nodes[0])) or _node_name(net, int(nodes[0]), names)
        end = (
            destination.name
            if k == last_leg
            else at_name.get(int(nodes[-1])) or _node_name(net, int(nodes[-1]), names)
        )
        legs.append(
            _leg(
                g,
                price,
                idx,
                traffic,
                mode=mode,
                from_=start,
                to=end,
                gauge_mm=_gauge(int(p.from_slot[idx[0]])) if mode != "sea" else None,
                countries=countries,
                geometry=_geometry(net, p.edge[idx], p.from_node[idx]),
                edges=p.edge[idx],
                nodes=nodes,
            )
        )
    return legs


def _leg(
    g: StateGraph,
    price: RoutePrice,
    idx: NDArray[np.int64],
    traffic: Traffic,
    *,
    mode: str,
    from_: str,
    to: str,
    gauge_mm: int | None,
    countries: list[str],
    geometry: NDArray[np.float64],
    edges: NDArray[np.int64],
    nodes: NDArray[np.int64],
) -> Leg:
    """One leg (its mode, ends, gauge, countries, track) with its own figures:
    running time (ranges from its line classes' spreads and, on land, the model's own error),
    money (its rail tariff or sea freight, for the cargo) and CO2."""
    f = price.figures
    assert f is not None
    run, cls, km = f.run_h[idx], f.run_class[idx], f.km[idx]
    hours = float(run.sum())
    var = 0.0
    for c in np.unique(cls).tolist():
        if c >= 0:
            var += lognormal_variance(float(run[cls == c].sum()), price.time_sigma.get(c, 0.0))
    if mode == "rail":
        var += share_variance(hours, price.residual_time)
    money = float(f.line_usd[idx].sum())
    co2 = float(f.co2_kg[idx].sum())
    line_class = None
    basis = "curated"  # sea and ferry legs run at curated service speeds
    if mode == "rail" and len(idx):
        weights = np.bincount(np.clip(cls, 0, 3), weights=km, minlength=4)[:4]
        line_class = CLASS_NAMES[int(np.argmax(weights))]
        basis = g.model.basis_of(f"{traffic.value}.speed_kmh.{line_class}")
    return Leg(
        mode=mode,
        from_=from_,
        to=to,
        gauge_mm=gauge_mm,
        countries=countries,
        geometry=geometry,
        edges=edges,
        nodes=nodes,
        distance_km=float(km.sum()),
        duration_h=hours,
        basis=basis,
        record=None,
        duration_h_range=lognormal_range(hours, var),
        cost_usd=money,
        cost_usd_range=lognormal_range(money, share_variance(money, price.cost_sigma)),
        co2_kg=co2,
        co2_kg_range=lognormal_range(co2, 0.0, price.co2_sigma),
        line_class=line_class,
    )


# -- one builder per kind of event ---------------------------------------------------------------


def port_transfer_event(
    port: Port, *, from_gauge: int | None, to_gauge: int | None, hours: float, var_h2: float, cost_usd: float
) -> Event:
    """A transfer between rail and sea at a port: its curated handling time and fee."""
    return Event(
        kind="port_transfer",
        at=port.name,
        lat=port.lat,
        lon=port.lon,
        from_country=port.country,
        to_country=port.country,
        from_gauge_mm=from_gauge,
        to_gauge_mm=to_gauge,
        duration_h=hours,
        cost_usd=cost_usd,
        basis="curated",
        record=str(port.locode or port.name),
        duration_h_range=_range(hours, var_h2),
    )


def ferry_event(
    ferry: Ferry,
    *,
    start: int,
    from_country: str,
    to_country: str,
    from_gauge: int | None,
    to_gauge: int | None,
    hours: float,
    var_h2: float,
    cost_usd: float,
) -> Event:
    """The ferry crossing: loading, unloading and the mean wait for a sailing (the sailing itself
    is the ferry leg), and the fare; at the port it is boarded (``start``: 0 or 1)."""
    wait = ferry_wait_h(ferry)
    return Event(
        kind="ferry",
        at=ferry.name,
        lat=ferry.lat[start],
        lon=ferry.lon[start],
        from_country=from_country,
        to_country=to_country,
        from_gauge_mm=from_gauge,
        to_gauge_mm=to_gauge,
        duration_h=hours,
        cost_usd=cost_usd,
        note=f"{ferry.handling_h:g} h loading and unloading, {wait:.0f} h mean wait for a sailing "
        f"({ferry.sailings_per_week:g} a week), {ferry.sailing_h:g} h at sea",
        basis="curated",
        record=str(ferry.id or ferry.name),
        duration_h_range=_range(hours, var_h2),
    )


def border_crossing_event(
    crossing: Crossing,
    *,
    at: str,
    from_country: str,
    to_country: str,
    from_gauge: int | None,
    to_gauge: int | None,
    hours: float,
    var_h2: float,
    cost_usd: float,
    dwell: Component,
) -> Event:
    """A border crossing: its dwell (curated per crossing, or the model's) and its fees."""
    return Event(
        kind="border_crossing",
        at=at,
        lat=crossing.lat,
        lon=crossing.lon,
        from_country=from_country,
        to_country=to_country,
        from_gauge_mm=from_gauge,
        to_gauge_mm=to_gauge,
        duration_h=hours,
        cost_usd=cost_usd,
        crossing_id=crossing.id,
        basis=dwell.basis,
        record=dwell.record,
        duration_h_range=_range(hours, var_h2),
    )


def gauge_change_event(
    crossing: Crossing,
    *,
    at: str,
    from_country: str,
    to_country: str,
    from_gauge: int | None,
    to_gauge: int | None,
    change_h: float,
    change_var_h2: float,
    fixed_h: float,
    cost_usd: float,
    at_border: bool,
    dwell: Component,
    change: Component | None,
) -> Event:
    """A change of gauge at a crossing: its own time and cost where they are known apart; at a
    border whose published dwell includes it, zero hours with a note saying so; at a break of
    gauge inside a country, the crossing's time."""
    included = at_border and not change_h
    source = change if change is not None else dwell
    return Event(
        kind="gauge_change",
        at=at,
        lat=crossing.lat,
        lon=crossing.lon,
        from_country=from_country,
        to_country=to_country,
        from_gauge_mm=from_gauge,
        to_gauge_mm=to_gauge,
        duration_h=change_h or (0.0 if included else fixed_h),
        cost_usd=cost_usd,
        crossing_id=crossing.id,
        note="included in the border crossing's published dwell and cost" if included else None,
        basis=source.basis,
        record=source.record,
        duration_h_range=_range(change_h, change_var_h2) if change_h else None,
    )


def terminal_event(
    place: Place,
    *,
    hours: float,
    duration_range: tuple[float, float],
    note: str,
    basis: str,
    cost_usd: float = 0.0,
) -> Event:
    """Terminal time at a rail end of the route."""
    country = str(place.country or "")
    return Event(
        kind="terminal",
        at=place.name,
        lat=place.lat,
        lon=place.lon,
        from_country=country,
        to_country=country,
        from_gauge_mm=None,
        to_gauge_mm=None,
        duration_h=hours,
        cost_usd=cost_usd,
        note=note,
        basis=basis,
        duration_h_range=duration_range,
    )


def _country_sequence(
    net: Network, edges: np.ndarray, from_nodes: np.ndarray, to_nodes: np.ndarray
) -> list[str]:
    """The countries a run of edges passes through, in order (each run of one country once):
    rail and inland-water nodes by their country, water edges by the country whose waters they
    use, ports by theirs. Open sea adds none."""
    codes = np.column_stack(
        [net.country[from_nodes], net.water_country[edges], net.country[to_nodes]]
    ).ravel()
    codes = codes[codes > 0]
    if len(codes) == 0:
        return []
    codes = codes[np.r_[True, np.diff(codes) != 0]]
    return [net.countries[c] for c in codes.tolist()]


def _range(mean: float, var: float) -> tuple[float, float]:
    return lognormal_range(mean, var)


def _terminal_events(
    g: StateGraph, origin: Place, destination: Place, f: PathFigures, traffic: Traffic
) -> tuple[Event | None, Event | None]:
    """Terminal time and handling at each rail end: handling, train formation and waiting for
    a departure at the origin; arrival, handling and release at the destination. A passenger
    journey runs station to station: it has none."""
    t, money = f.terminal_h, f.terminal_usd
    if t <= 0 and money <= 0:
        return None, None
    basis = g.model.basis_of(f"{traffic.value}.terminal_h")
    rng = _range(t, lognormal_variance(t, g.model.sigmas.traffic(traffic).terminal_h))

    def event(place: Place, note: str) -> Event:
        return terminal_event(place, hours=t, duration_range=rng, note=note, basis=basis, cost_usd=money)

    first = event(origin, "terminal handling, train formation and waiting for the departure")
    last = event(destination, "arrival, terminal handling and release")
    return (first if f.rail_ends[0] else None), (last if f.rail_ends[1] else None)


def _node_name(net: Network, node: int, names: Gazetteer | None = None) -> str:
    name = net.names.get(node)
    if name:
        return str(name)
    if names is not None:
        return str(names.node_name(node))
    return f"{net.lat[node]:.3f},{net.lon[node]:.3f}"


def _crossing_name(c: Crossing, names: Gazetteer | None) -> str:
    """A curated crossing's own name; an uncurated one is named after the nearest city."""
    if c.curated or names is None:
        return str(c.name)
    a, b = sorted([*c.countries, "?", "?"][:2])
    return _uncurated_name(names, float(c.lat), float(c.lon), a, b, c.kind == "border")


@lru_cache(maxsize=4096)
def _uncurated_name(names: Gazetteer, lat: float, lon: float, a: str, b: str, border: bool) -> str:
    """The name of an uncurated crossing, looked up once per crossing (routes pass the same
    crossings again and again; the nearest-city query is the slow part of assembling a route)."""
    where = names.name_near(lat, lon)
    label = f"{a}–{b} border" if border else f"{a} break of gauge"
    return f"{label} {where}" if where.startswith("near ") else f"{label} at {where}"


def _access(p: Place, node: int, names: Gazetteer | None) -> Access | None:
    access = p.access_at(node)
    return names.named(access) if names is not None and access is not None else access


def _geometry(net: Network, edges: np.ndarray, from_nodes: np.ndarray) -> np.ndarray:
    """The polyline of consecutive edges, each oriented from the node the path enters it at
    (one gather over the geometry arrays; shared end points appear once)."""
    if len(edges) == 0:
        return np.empty((0, 2), np.float64)
    start = net.geom_ptr[edges]
    length = net.geom_ptr[edges + 1] - start
    forward = net.u[edges] == from_nodes
    seg = np.repeat(np.arange(len(edges)), length)
    offset = np.arange(int(length.sum())) - np.repeat(np.cumsum(length) - length, length)
    idx = np.where(forward[seg], start[seg] + offset, start[seg] + length[seg] - 1 - offset)
    keep = (offset > 0) | (seg == 0)
    idx = idx[keep]
    return np.column_stack([net.geom_lon[idx], net.geom_lat[idx]]).astype(np.float64).round(5)
