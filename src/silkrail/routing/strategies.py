"""Strategies: routes that one shortest path does not give (the sea as the main haul, a route
through given crossings, alternative corridors, the best split between rail and sea), and why
there is no route when there is none.

**One ranking rule.** Whenever routes are compared against each other (alternatives among
themselves, the rail+sea choice among candidates) they are ranked by :func:`rank_value`: the
query's objective weights applied to the priced totals per TEU (hours, US$ per TEU, kg CO2 per
TEU, and the customs borders and transshipments the generalised cost counts). That is the
measure the search minimises (its arc weights are per TEU), evaluated on the route's final
price, so a ranking never disagrees with the objective the user asked for because of the number
of boxes.
"""

from __future__ import annotations

import dataclasses
import heapq

import numpy as np
from numpy.typing import NDArray

from silkrail.network.model import MAX_YEAR, Network, NodeKind, gauges_of
from silkrail.routing.engine import Engine
from silkrail.routing.generalised import term_values
from silkrail.routing.generalised_arcs import arc_objective
from silkrail.routing.graph import CLOSED_YEAR, MODE_RAIL, Constraints, StateGraph
from silkrail.routing.places import Place
from silkrail.routing.query import Query
from silkrail.routing.results import Route
from silkrail.traffic import TrainClass

SEA_FIRST_RAIL_PENALTY = 25.0  # "sea" option: rail only as the pre- and on-carriage to the ports
ALTERNATIVE_BUDGET = 40  # searches spent looking for alternatives
VARIANT_SEARCHES = 6  # searches per border crossing of the best route for another of the same pair
MIX_SHARE = 0.15  # rail+sea: each of the two at least this share of the distance

Corridor = tuple[str, ...]


def rank_value(r: Route, coef: tuple[float, ...]) -> float:
    """The ranking rule: the objective's weights over the route's totals per TEU (three weights:
    time, money, CO2; five: the customs borders and transshipments too)."""
    return float(np.dot(coef, term_values(r)[: len(coef)]))


def corridor(r: Route) -> Corridor:
    """What tells corridors apart: the sequence of countries, and whether the sea is used."""
    return tuple(r.countries) + (("sea",) if "sea" in r.modes else ())


def best_route(engine: Engine, o: Place, d: Place, q: Query) -> Route | None:
    """The best route of the query: by sea first for ``mode="sea"``, else the shortest path."""
    if q.mode == "sea":
        return sea_first(engine, o, d, q)
    path = engine.shortest_path(o, d, q.constraints, q.coef, mode=q.mode)
    if path is None:
        return None
    return engine.assemble(
        path, o, d, objective=q.objective, teu=q.teu, as_of=q.as_of, traffic=q.traffic_type, train=q.train
    )


def sea_first(engine: Engine, o: Place, d: Place, q: Query) -> Route | None:
    """The main haul by sea: rail only to and from the ports (rail arcs weigh many times more;
    penalised weights only grow, so the landmark bounds stay admissible)."""
    g = engine.graph
    c = q.constraints
    _, _, arcs = g.csr(c)
    w = engine.weights_for(c, q.coef)
    w = np.where(g.mode[arcs] == MODE_RAIL, w * SEA_FIRST_RAIL_PENALTY, w)
    # a city's port where it has one, else its rail terminal (penalised rail leads to a port)
    path = engine.shortest_path(o, d, c, q.coef, weights=w)
    if path is None:
        return None
    route = engine.assemble(
        path, o, d, objective=q.objective, teu=q.teu, as_of=q.as_of, traffic=q.traffic_type, train=q.train
    )
    return route if "sea" in route.modes else None


def route_via(
    engine: Engine,
    o: Place,
    d: Place,
    via: list[int],
    c: Constraints,
    coef: tuple[float, ...] = (1.0, 0.0, 0.0),
    *,
    teu: float = 1.0,
    objective: str = "time",
    mode: str = "any",
    as_of: str | None = None,
    train: TrainClass = "standard",
) -> Route | None:
    """The best route through the crossings ``via`` (indices, in order). Other crossings
    between the same countries are banned; at each via crossing the arc across it (with or
    without a gauge change) is chosen with one step of lookahead, so the route can continue
    on the gauge it leaves with."""
    net, g = engine.net, engine.graph
    pairs = {frozenset(net.crossings[i].countries) for i in via}
    banned = {i for i, x in enumerate(net.crossings) if i not in set(via) and frozenset(x.countries) in pairs}
    c2 = dataclasses.replace(c, avoid_crossings=c.avoid_crossings | frozenset(banned))
    _, _, allowed = g.csr(c2)
    w = arc_objective(g, coef, c.traffic)
    cur = engine.end_states(o, mode)
    target = engine.end_states(d, mode)
    pieces: list[np.ndarray] = []
    for cid in via:
        across = allowed[g.crossing[allowed] == cid]
        best: tuple[float, np.ndarray, int] | None = None
        for x in across.tolist():
            p1 = engine.search(cur, np.array([g.src[x]], dtype=np.int64), c2, coef)
            if p1 is None:
                continue
            onward = engine.search(np.array([g.dst[x]], dtype=np.int64), target, c2, coef)
            if onward is None:
                continue
            total = p1.value + float(w[x]) + onward.value
            if best is None or total < best[0]:
                best = (total, np.r_[p1.arcs, x], int(g.dst[x]))
        if best is None:
            return None
        pieces.append(best[1])
        cur = np.array([best[2]], dtype=np.int64)
    last = engine.search(cur, target, c2, coef)
    if last is None:
        return None
    pieces.append(last.arcs)
    return engine.assemble(
        np.concatenate(pieces).astype(np.int64),
        o,
        d,
        objective=objective,
        teu=teu,
        traffic=c.traffic,
        as_of=as_of,
        train=train,
    )


MAX_DETOUR = 1.5
"""An alternative a planner would consider costs at most this many times the best route's value
of the objective asked for (its time, cost or CO2)."""


@dataclasses.dataclass(frozen=True)
class Alternatives:
    """The alternatives of a route, and why there are fewer than asked when there are."""

    routes: list[Route]
    note: str | None = None


def corridor_key(r: Route) -> tuple[frozenset[int], frozenset[tuple[str, str, str]]]:
    """What makes a corridor: the crossings (border and break of gauge) a route uses, and its
    water legs (ferries and sea legs, by their ends)."""
    water = frozenset((leg.mode, leg.from_, leg.to) for leg in r.legs if leg.mode in ("sea", "ferry"))
    return r.crossing_ids, water


def revisits(r: Route) -> str | None:
    """A country the route leaves and enters again (a loop through third countries), if any."""
    seen: set[str] = set()
    prev = None
    for c in r.countries:
        if c != prev and c in seen:
            return c
        seen.add(c)
        prev = c
    return None


def _crossing_names(r: Route, engine: Engine, ids: frozenset[int]) -> str:
    names = [e.at for e in r.events if e.kind == "border_crossing" and e.record in _records(engine, ids)]
    return ", ".join(dict.fromkeys(names))


def _records(engine: Engine, ids: frozenset[int]) -> set[str]:
    return {engine.net.crossings[i].id for i in ids}


def alternatives(engine: Engine, o: Place, d: Place, q: Query, best: Route, k: int) -> Alternatives:
    """Up to ``k`` routes a planner would consider beside ``best``:

    - each differs in corridor from the best and from each other: the same countries through
      another published crossing, or another sequence of countries or of ferry and sea legs;
    - each is bounded: its value of the objective is at most :data:`MAX_DETOUR` times the best's;
    - none passes a country twice (:func:`revisits`: no loop through third countries);
    - the obvious variants come first: the same countries through another published crossing of
      a border pair of the best route (Alashankou-Dostyk beside Khorgos-Altynkol), the best one
      per pair, then other corridors, each group by :func:`rank_value`; variants take at most
      half the places while other corridors qualify.

    When fewer than ``k`` qualify, :attr:`Alternatives.note` says so and why."""
    g = engine.graph
    _, _, arcs = g.csr(q.constraints)
    a_cross = g.crossing[arcs]
    limit = MAX_DETOUR * rank_value(best, q.coef)
    budget = [ALTERNATIVE_BUDGET]
    seen: set[object] = {corridor_key(best), _countries_key(best)}
    rejected = _Rejected()

    def search(countries: frozenset[str], crossings: frozenset[int]) -> Route | None:
        if budget[0] <= 0:
            return None
        budget[0] -= 1
        banned = np.isin(a_cross, list(crossings)) | g.touches(countries)[arcs]
        path = engine.shortest_path(o, d, q.constraints, q.coef, mode=q.mode, banned=banned)
        if path is None:
            return None
        return engine.assemble(
            path, o, d, objective=q.objective, teu=q.teu, as_of=q.as_of, traffic=q.traffic_type, train=q.train
        )

    def admit(r: Route, key: object) -> bool:
        if key in seen:
            return False
        if rank_value(r, q.coef) > limit:
            rejected.detours += 1
            return False
        if revisits(r) is not None:
            rejected.loops += 1
            return False
        seen.add(key)
        return True

    # 1. the same countries through another published (curated) crossing of a border pair of the
    # best route: the best such variant of each pair
    variants: list[Route] = []
    borders = [cid for cid in sorted(best.crossing_ids) if engine.net.crossings[cid].kind == "border"]
    for cid in borders:
        banned = frozenset({cid})
        for _ in range(VARIANT_SEARCHES):
            alt = search(frozenset(), banned)
            if alt is None or alt.countries != best.countries or rank_value(alt, q.coef) > limit:
                break
            new = alt.crossing_ids - best.crossing_ids
            uncurated = frozenset(i for i in new if not engine.net.crossings[i].curated)
            if uncurated:  # track across the border without a published crossing: look past it
                banned = banned | uncurated
                continue
            if new and admit(alt, corridor_key(alt)):
                instead = _crossing_names(best, engine, frozenset({cid}))
                via = _crossing_names(alt, engine, new) or "another crossing"
                variants.append(dataclasses.replace(alt, label=f"via {via} instead of {instead}"))
            break
    budget[0] = ALTERNATIVE_BUDGET

    # 2. other corridors: a best-first search over bans of transit countries and crossings;
    # bans only lengthen a route, so a route beyond the bound is not expanded
    others: list[Route] = []
    ends = {o.country, d.country}
    empty: tuple[frozenset[str], frozenset[int]] = (frozenset(), frozenset())
    tried = {empty}
    # routes of a new corridor pop first (by value), then known ones, whose bans may lead on
    heap: list[tuple[bool, float, int, tuple[frozenset[str], frozenset[int]], Route]] = [
        (False, rank_value(best, q.coef), 0, empty, best)
    ]
    counter = 1
    n_variants = min(len(variants), max(1, k // 2))  # leave room for other corridors
    while heap and n_variants + len(others) < k and budget[0] > 0:
        _, _, _, (b_countries, b_crossings), route = heapq.heappop(heap)
        if route is not best and admit(route, _countries_key(route)):
            others.append(dataclasses.replace(route, label=_corridor_label(route, best)))
        moves = [(b_countries | {c}, b_crossings) for c in route.countries if c not in ends]
        moves += [
            (b_countries, b_crossings | {cid})
            for cid in sorted(route.crossing_ids)
            if engine.net.crossings[cid].kind == "border"
        ]
        for ban in moves:
            if ban in tried:
                continue
            tried.add(ban)
            alt = search(*ban)
            if alt is not None and rank_value(alt, q.coef) <= limit:
                known = _countries_key(alt) in seen or revisits(alt) is not None  # a loop is no lead
                heapq.heappush(heap, (known, rank_value(alt, q.coef), counter, ban, alt))
                counter += 1
            elif alt is not None:
                rejected.detours += 1
    variants.sort(key=lambda r: rank_value(r, q.coef))
    n_variants = max(n_variants, k - len(others))  # few other corridors: more variants
    found = (variants[:n_variants] + others)[:k]
    note = None
    if len(found) < k:
        why = [f"within {MAX_DETOUR:g} times the best {q.objective}"]
        if rejected.loops:
            why.append("without passing a country twice")
        note = (
            f"{len(found)} of {k} alternatives: no other corridor (another crossing, ferry or sea) "
            + " and ".join(why)
        )
    return Alternatives(found, note)


@dataclasses.dataclass
class _Rejected:
    """Candidates turned down: passing a country twice, or a detour beyond MAX_DETOUR."""

    loops: int = 0
    detours: int = 0


def _countries_key(r: Route) -> tuple[tuple[str, ...], frozenset[str]]:
    """Another corridor: another sequence of countries, or other kinds of water legs."""
    return tuple(r.countries), frozenset(leg.mode for leg in r.legs if leg.mode in ("sea", "ferry"))


def _corridor_label(r: Route, best: Route) -> str:
    """What sets an alternative's corridor apart: its other countries, or its sea legs."""
    extra = [c for c in r.countries if c not in best.countries]
    water = sorted({leg.mode for leg in r.legs if leg.mode in ("sea", "ferry")} - best.modes)
    parts = []
    if extra:
        parts.append("via " + ", ".join(dict.fromkeys(extra)))
    if water:
        parts.append("by " + " and ".join(water))
    return "; ".join(parts) or "other crossings"


def corridor_candidates(engine: Engine, o: Place, d: Place, q: Query, best: Route, k: int) -> list[Route]:
    """Up to ``k`` routes through other sequences of countries or another mode, unbounded (the
    pool :func:`rail_and_sea` chooses from), ranked by :func:`rank_value`. A best-first search
    over bans: each route found is expanded by banning one of its transit countries, or one of
    its border crossings; a route is kept only when its corridor is new, so alternatives are
    never near-copies."""
    g = engine.graph
    _, _, arcs = g.csr(q.constraints)
    a_cross = g.crossing[arcs]
    ends = {o.country, d.country}

    def search(countries: frozenset[str], crossings: frozenset[int]) -> Route | None:
        banned = np.isin(a_cross, list(crossings)) | g.touches(countries)[arcs]
        path = engine.shortest_path(o, d, q.constraints, q.coef, mode=q.mode, banned=banned)
        if path is None:
            return None
        return engine.assemble(
            path, o, d, objective=q.objective, teu=q.teu, as_of=q.as_of, traffic=q.traffic_type, train=q.train
        )

    accepted: list[Route] = []
    seen = {corridor(best)}
    empty: tuple[frozenset[str], frozenset[int]] = (frozenset(), frozenset())
    tried = {empty}
    # new corridors pop first (by value), then known ones, whose bans may lead to new corridors
    heap: list[tuple[bool, float, int, tuple[frozenset[str], frozenset[int]], Route]] = [
        (False, rank_value(best, q.coef), 0, empty, best)
    ]
    counter, budget = 1, ALTERNATIVE_BUDGET
    while heap and len(accepted) < k and budget > 0:
        _, _, _, (b_countries, b_crossings), route = heapq.heappop(heap)
        if route is not best and corridor(route) not in seen:
            accepted.append(route)
            seen.add(corridor(route))
        moves = [(b_countries | {c}, b_crossings) for c in route.countries if c not in ends]
        moves += [
            (b_countries, b_crossings | {cid})
            for cid in sorted(route.crossing_ids)
            if engine.net.crossings[cid].kind == "border"
        ]
        for ban in moves:
            if ban in tried or budget <= 0:
                continue
            tried.add(ban)
            budget -= 1
            alt = search(*ban)
            if alt is not None:
                known = corridor(alt) in seen
                heapq.heappush(heap, (known, rank_value(alt, q.coef), counter, ban, alt))
                counter += 1
    return sorted(accepted, key=lambda r: rank_value(r, q.coef))


def substantial_mix(r: Route) -> bool:
    """A haul split between a long rail and a long sea leg (each at least ``MIX_SHARE``)."""
    rail = sum(leg.distance_km for leg in r.legs if leg.mode == "rail")
    sea = sum(leg.distance_km for leg in r.legs if leg.mode == "sea")
    return rail >= MIX_SHARE * r.distance_km and sea >= MIX_SHARE * r.distance_km


def rail_and_sea(candidates: list[Route], q: Query) -> Route | None:
    """The rail+sea option among ``candidates`` (the best multimodal route and its alternative
    corridors, which include the sea variants): the best by :func:`rank_value` of those that
    split the haul substantially, without alternatives of its own."""
    mixed = [r for r in candidates if substantial_mix(r)]
    if not mixed:
        return None
    choice = min(mixed, key=lambda r: rank_value(r, q.coef))
    return dataclasses.replace(choice, alternatives=[])


def explain_no_route(engine: Engine, o: Place, d: Place, q: Query) -> str:
    """Why no route: links planned to open after the query's year that would give one, other
    constraints that cut every path, or networks no crossing joins."""
    later = _later_links(engine, o, d, q)
    if later is not None:
        return later
    free = Constraints(year=MAX_YEAR, inland_water=True)
    rail_free = Constraints(modes="rail", year=MAX_YEAR)
    if q.mode == "rail" and engine.shortest_path(o, d, rail_free, q.coef, mode="rail") is None:
        if engine.shortest_path(o, d, free, q.coef) is None:
            return _disconnected(engine, o, d)
        return _disconnected(engine, o, d) + "; by sea or rail and sea there is one (mode any)"
    if engine.shortest_path(o, d, free, q.coef) is not None:
        parts = []
        if q.constraints.avoid_countries:
            parts.append(f"avoiding {', '.join(sorted(q.constraints.avoid_countries))}")
        if q.constraints.modes == "rail":
            parts.append("rail only")
        if q.constraints.year < MAX_YEAR:
            parts.append(f"the network of {q.constraints.year}")
        why = " with ".join(parts) if parts else "these constraints"
        return f"no route from {o.name} to {d.name}: {why} cuts every path"
    return _disconnected(engine, o, d)


def _disconnected(engine: Engine, o: Place, d: Place) -> str:
    net = engine.net

    def describe(p: Place) -> str:
        gauges = "/".join(f"{g:,}" for g in gauges_of(int(net.gauge[p.node]))) or "sea"
        return f"the {gauges} mm network of {net.country_code(p.node) or p.country}"

    if net.node_kind[o.node] == NodeKind.RAIL and net.node_kind[d.node] == NodeKind.RAIL:
        return (
            f"no route from {o.name} to {d.name}: no crossing or port connects {describe(o)} "
            f"around {o.name} to {describe(d)} around {d.name}"
        )
    return f"no route from {o.name} to {d.name}: the two are not connected in the network"


def _later_links(engine: Engine, o: Place, d: Place, q: Query) -> str | None:
    """When the same query (mode, countries avoided) finds a route in a later year of the
    network: which planned links that route needs, and the first year it exists; else None."""
    g = engine.graph
    c = q.constraints
    years = np.unique(g.year[(g.year > c.year) & (g.year < CLOSED_YEAR)])
    for year in years.tolist():
        path = engine.shortest_path(o, d, dataclasses.replace(c, year=int(year)), q.coef, mode=q.mode)
        if path is None:
            continue
        links = planned_links(engine.net, g, path.arcs, c.year)
        names = ", ".join(f"{name} ({opens})" for name, opens in links)
        how = "".join(
            [
                f" avoiding {', '.join(sorted(c.avoid_countries))}" if c.avoid_countries else "",
                " by rail" if c.modes == "rail" else "",
            ]
        )
        return (
            f"no route from {o.name} to {d.name}{how} in the network of {c.year}: the route needs "
            f"{'a link' if len(links) == 1 else 'links'} planned to open later: {names}; "
            f"ask for --year {int(year)} or later"
        )
    return None


def planned_links(net: Network, g: StateGraph, arcs: NDArray[np.int64], year: int) -> list[tuple[str, int]]:
    """The planned lines and crossings the arcs ``arcs`` use that open after ``year``, by
    name with their opening year, in the order the path meets them."""
    out: dict[str, int] = {}
    for a in np.asarray(arcs, dtype=np.int64).tolist():
        opens = int(g.year[a])
        if opens <= year or opens >= CLOSED_YEAR:
            continue
        edge = int(g.edge[a])
        line, crossing = int(net.line[edge]), int(net.crossing[edge])
        if line >= 0:
            name = net.lines[line].name
        elif crossing >= 0:
            name = net.crossings[crossing].name
        else:
            name = f"a planned link at {net.lat[net.u[edge]]:.2f}, {net.lon[net.u[edge]]:.2f}"
        out[name] = max(out.get(name, 0), opens)
    return list(out.items())


LATER_GAIN = 0.02
"""A route the planned links open is worth mentioning when it is at least this much better
(by the query's objective) than the route of the query's year."""


def later_route(
    engine: Engine, o: Place, d: Place, q: Query, best: Route
) -> tuple[int, list[tuple[str, int]], Route] | None:
    """The best route once every planned link is open, when it beats ``best`` (the route of
    the query's year) by ``LATER_GAIN`` or more: (the first year it exists, the planned links
    it needs with their years, the route); else None. Links only open as years pass, so the
    route exists from the year its last link opens."""
    g = engine.graph
    c = q.constraints
    planned = g.year[(g.year > c.year) & (g.year < CLOSED_YEAR)]
    if not len(planned):
        return None
    later_q = dataclasses.replace(q, constraints=dataclasses.replace(c, year=int(planned.max())))
    later = best_route(engine, o, d, later_q)
    if later is None or rank_value(later, q.coef) > (1 - LATER_GAIN) * rank_value(best, q.coef):
        return None
    links = planned_links(engine.net, g, later.arcs, c.year)
    if not links:
        return None
    return max(y for _, y in links), links, later
