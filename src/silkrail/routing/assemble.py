"""Assembling a route: the arcs of a state-graph path become legs, events and priced totals.

Every leg lists the countries it passes through: a rail leg those of its track, a water leg
those of its ports and those whose inland waters, canals or port approaches it uses (open sea
belongs to no country), a ferry leg those of its two ports."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from silkrail.network.model import GAUGES_MM, EdgeKind
from silkrail.network.records import Crossing
from silkrail.routing.access import Access
from silkrail.routing.costs import (
    CLASS_CURATED,
    CLASS_SEA,
    RUN_CLASSES,
    ferry_wait_h,
    lognormal_range,
    lognormal_variance,
    price_route,
)
from silkrail.routing.graph import NO_GAUGE, StateGraph
from silkrail.routing.places import Place
from silkrail.routing.results import Event, Leg, Route


def _gauge(slot: int) -> int | None:
    return None if slot >= NO_GAUGE else GAUGES_MM[slot]


def assemble_route(
    g: StateGraph,
    arcs: np.ndarray,
    origin: Place,
    destination: Place,
    *,
    objective: str,
    teu: float,
    names: Any = None,
    as_of: str | None = None,
) -> Route:
    """Turn the arcs of a path into legs, events and totals (money and CO2 for ``teu`` TEU).

    ``names`` (a :class:`~silkrail.routing.places.Gazetteer`) names the points that the
    network leaves unnamed after the nearest city, so that no leg ends at bare coordinates.
    Vectorised over the arcs: only crossings and port transfers (a handful per route) are
    visited one by one."""
    net, costs = g.net, g.costs
    assert costs is not None
    arcs = np.asarray(arcs, dtype=np.int64)
    e = g.edge[arcs].astype(np.int64)
    s_state, d_state = g.src[arcs], g.dst[arcs]
    s_node, d_node = g.state_node[s_state].astype(np.int64), g.state_node[d_state].astype(np.int64)
    s_slot, d_slot = g.state_slot[s_state], g.state_slot[d_state]
    kind = net.edge_kind[e]
    km = net.km[e].astype(np.float64)
    run_h = costs.time_h[e] - costs.fixed_time_h[e]
    is_rail = (kind == EdgeKind.RAIL) | (kind == EdgeKind.BORDER)
    is_link = kind == EdgeKind.PORT_LINK
    is_ferry = kind == EdgeKind.FERRY

    events: list[Event] = []
    crossing_ids: set[int] = set()
    at_name: dict[int, str] = {}  # leg ends at a crossing or port take its name
    special = np.flatnonzero((net.crossing[e] >= 0) | is_link | is_ferry)
    for i in special.tolist():
        ei = int(e[i])
        a_node, b_node, a_slot, b_slot = int(s_node[i]), int(d_node[i]), int(s_slot[i]), int(d_slot[i])
        if is_ferry[i]:
            events.append(_ferry_event(net, ei, a_node, b_node, a_slot, b_slot, costs, teu))
            continue
        if is_link[i]:
            p = net.ports[int(net.port[ei])]
            events.append(
                Event(
                    "port_transfer",
                    p.name,
                    p.lat,
                    p.lon,
                    p.country,
                    p.country,
                    _gauge(a_slot),
                    _gauge(b_slot),
                    float(costs.fixed_time_h[ei]),
                    float(costs.fixed_cost_usd[ei]) * teu,
                    basis="curated",
                    record=str(p.locode or p.name),
                    duration_h_range=_range(float(costs.fixed_time_h[ei]), float(costs.fixed_var_h2[ei])),
                )
            )
            continue
        c_idx = int(net.crossing[ei])
        c = net.crossings[c_idx]
        crossing_ids.add(c_idx)
        c_name = _crossing_name(c, names)
        at_name.setdefault(a_node, c_name)
        at_name.setdefault(b_node, c_name)
        fixed = float(costs.fixed_time_h[ei])
        dwell, change = costs.crossing_parts[c_idx]
        a_cc, b_cc = net.country_code(a_node), net.country_code(b_node)
        if kind[i] == EdgeKind.BORDER:
            events.append(
                Event(
                    "border_crossing",
                    c_name,
                    c.lat,
                    c.lon,
                    a_cc,
                    b_cc,
                    _gauge(a_slot),
                    _gauge(b_slot),
                    fixed,
                    float(costs.fixed_cost_usd[ei]) * teu,
                    c.id,
                    basis=dwell.basis,
                    record=dwell.record,
                    duration_h_range=_range(fixed, float(costs.fixed_var_h2[ei])),
                )
            )
        if bool(g.change[arcs[i]]) and a_slot != b_slot:
            change_h = float(costs.change_time_h[ei])
            included = kind[i] == EdgeKind.BORDER and not change_h
            events.append(
                Event(
                    "gauge_change",
                    c_name,
                    c.lat,
                    c.lon,
                    a_cc,
                    b_cc,
                    _gauge(a_slot),
                    _gauge(b_slot),
                    change_h or (0.0 if included else fixed),
                    float(costs.change_cost_usd[ei]) * teu,
                    c.id,
                    "included in the border crossing's published dwell and cost" if included else None,
                    basis=(change.basis if change is not None else dwell.basis),
                    record=(change.record if change is not None else dwell.record),
                    duration_h_range=_range(change_h, float(costs.change_var_h2[ei])) if change_h else None,
                )
            )

    # legs: runs of arcs with one mode and one gauge (a gauge change starts a new leg)
    moving = np.flatnonzero(~is_link)
    legs: list[Leg] = []
    if len(moving):
        mode_code = np.where(is_rail[moving], 0, np.where(is_ferry[moving], 2, 1))
        gauge_code = np.where(is_rail[moving] | is_ferry[moving], s_slot[moving], -1)
        brk = np.flatnonzero(
            (np.diff(mode_code) != 0)
            | (np.diff(gauge_code) != 0)
            | (np.diff(moving) != 1)
            | (s_slot[moving][1:] != d_slot[moving][:-1])
        )
        starts = np.r_[0, brk + 1]
        ends = np.r_[brk + 1, len(moving)]
        last_leg = len(starts) - 1
        for k, (a, b) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
            idx = moving[a:b]
            mode = "rail" if is_rail[idx[0]] else "ferry" if is_ferry[idx[0]] else "sea"
            leg_nodes = np.r_[s_node[idx], d_node[idx[-1]]]
            countries: list[str] = []
            for name in _country_sequence(net, e[idx], s_node[idx], d_node[idx]):
                if name not in countries:
                    countries.append(name)
            legs.append(
                Leg(
                    mode,
                    # the route's own ends take the origin's and destination's names (below)
                    origin.name
                    if k == 0
                    else at_name.get(int(leg_nodes[0])) or _node_name(net, int(leg_nodes[0]), names),
                    destination.name
                    if k == last_leg
                    else at_name.get(int(leg_nodes[-1])) or _node_name(net, int(leg_nodes[-1]), names),
                    float(km[idx].sum()),
                    float(run_h[idx].sum()),
                    _gauge(int(s_slot[idx[0]])) if mode != "sea" else None,
                    countries,
                    _geometry(net, e[idx], s_node[idx]),
                    *_leg_basis(g, e[idx], mode),
                    edges=e[idx],
                    nodes=leg_nodes.astype(np.int64),
                )
            )
    if len(arcs):
        seq = _country_sequence(net, e, s_node, d_node)
    else:
        seq = [net.country_code(origin.node)] if net.country_code(origin.node) else []
    price = price_route(g, arcs, teu, as_of=as_of)
    t_term = g.model.params["terminal_h"]
    first, last = _terminal_events(g, origin, destination, t_term, is_rail, len(arcs))
    events = ([first] if first else []) + events + ([last] if last else [])
    return Route(
        origin=origin,
        destination=destination,
        objective=objective,
        teu=teu,
        distance_km=float(km[~is_link].sum()),
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
        arcs=arcs,
        origin_access=_access(origin, int(s_node[0]), names) if len(arcs) else None,
        destination_access=_access(destination, int(d_node[-1]), names) if len(arcs) else None,
    )


def _country_sequence(net: Any, edges: np.ndarray, from_nodes: np.ndarray, to_nodes: np.ndarray) -> list[str]:
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


def _ferry_event(
    net: Any, edge: int, a_node: int, b_node: int, a_slot: int, b_slot: int, costs: Any, teu: float
) -> Event:
    """The ferry crossing: loading, unloading and the mean wait for a sailing (the sailing itself
    is the ferry leg), and the fare."""
    f = net.ferries[int(net.port[edge])]
    start = 0 if int(net.u[edge]) == a_node else 1
    wait = ferry_wait_h(f)
    return Event(
        "ferry",
        f.name,
        f.lat[start],
        f.lon[start],
        net.country_code(a_node),
        net.country_code(b_node),
        _gauge(a_slot),
        _gauge(b_slot),
        float(costs.fixed_time_h[edge]),
        float(costs.fixed_cost_usd[edge]) * teu,
        None,
        f"{f.handling_h:g} h loading and unloading, {wait:.0f} h mean wait for a sailing "
        f"({f.sailings_per_week:g} a week), {f.sailing_h:g} h at sea",
        basis="curated",
        record=str(f.id or f.name),
        duration_h_range=_range(float(costs.fixed_time_h[edge]), float(costs.fixed_var_h2[edge])),
    )


def _range(mean: float, var: float) -> tuple[float, float]:
    return lognormal_range(mean, var)


def _leg_basis(g: StateGraph, edges: np.ndarray, mode: str) -> tuple[str, str | None]:
    """A leg's basis: a curated line's own speed, else the speed parameter of the leg's
    main gauge class (fitted, or the prior's basis); sea legs run at the curated service speed."""
    cls = g.costs.run_class[edges] if g.costs is not None else np.zeros(0, np.int8)
    if mode == "sea" or not len(cls):
        return "curated", None
    km = g.net.km[edges].astype(np.float64)
    if (cls == CLASS_CURATED).all():
        line = int(g.net.line[edges[0]])
        return "curated", str(g.net.lines[line].id) if line >= 0 else None
    weights = np.bincount(np.clip(cls, 0, None), weights=km, minlength=CLASS_SEA)[: len(RUN_CLASSES)]
    main = RUN_CLASSES[int(np.argmax(weights))]
    return g.model.basis.get(main, "default"), None


def _terminal_events(
    g: StateGraph, origin: Place, destination: Place, t: float, is_rail: Any, n: int
) -> tuple[Event | None, Event | None]:
    """Terminal time at each rail end: handling, train formation and waiting for a departure
    at the origin; arrival, handling and release at the destination."""
    if not n:
        return None, None
    basis = g.model.basis.get("terminal_h", "default")
    rng = _range(t, lognormal_variance(t, g.model.sigmas["terminal_h"]))

    def event(place: Place, note: str) -> Event:
        cc = str(place.country or "")
        return Event(
            "terminal",
            place.name,
            place.lat,
            place.lon,
            cc,
            cc,
            None,
            None,
            t,
            0.0,
            None,
            note,
            basis=basis,
            duration_h_range=rng,
        )

    first = event(origin, "terminal handling, train formation and waiting for the departure")
    last = event(destination, "arrival, terminal handling and release")
    return (first if bool(is_rail[0]) else None), (last if bool(is_rail[-1]) else None)


def _node_name(net: Any, node: int, names: Any = None) -> str:
    name = net.names.get(node)
    if name:
        return str(name)
    if names is not None:
        return str(names.node_name(node))
    return f"{net.lat[node]:.3f},{net.lon[node]:.3f}"


def _crossing_name(c: Crossing, names: Any) -> str:
    """A curated crossing's own name; an uncurated one is named after the nearest city."""
    if c.curated or names is None:
        return str(c.name)
    a, b = sorted([*c.countries, "?", "?"][:2])
    return _uncurated_name(names, float(c.lat), float(c.lon), a, b, c.kind == "border")


@lru_cache(maxsize=4096)
def _uncurated_name(names: Any, lat: float, lon: float, a: str, b: str, border: bool) -> str:
    """The name of an uncurated crossing, looked up once per crossing (routes pass the same
    crossings again and again; the nearest-city query is the slow part of assembling a route)."""
    where = names.name_near(lat, lon)
    label = f"{a}–{b} border" if border else f"{a} break of gauge"
    return f"{label} {where}" if where.startswith("near ") else f"{label} at {where}"


def _access(p: Place, node: int, names: Any) -> Access | None:
    access = p.access_at(node)
    return names.named(access) if names is not None and access is not None else access


def _geometry(net: Any, edges: np.ndarray, from_nodes: np.ndarray) -> np.ndarray:
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
