"""The routing front end: ``route``, ``compare`` and ``od_matrix`` over one network.

A :class:`Router` holds what queries share (the state graph, landmarks, the gazetteer) and
is created once per network on first use.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from silkrail.errors import DataError, NoRouteError
from silkrail.network.model import GAUGES_MM, MAX_YEAR, Network, NodeKind, gauges_of
from silkrail.routing.graph import MODE_RAIL, OBJECTIVES, Constraints, build_state_graph
from silkrail.routing.places import Gazetteer, Place, check_mode_access
from silkrail.routing.route import Route, assemble_route
from silkrail.routing.search import Searcher, load_or_compute_landmarks

SEA_FIRST_RAIL_PENALTY = 25.0  # "sea" option: rail only as the pre- and on-carriage to the ports
ICEBOUND_PASSAGES = ("northwest", "bering")
"""Passages closed by ice most of the year (the Northwest Passage, and the Bering Strait that
leads to the Northern Sea Route): avoided unless a query names its own ``avoid_passages``."""


@dataclass(frozen=True)
class Query:
    objective: str
    coef: tuple[float, float, float]
    constraints: Constraints
    teu: float
    mode: str = "any"  # rail | sea | any: which access points of a place a route may use
    as_of: str | None = None  # the date rates are taken at (sea rates by lane)


def _check_query(
    net: Network,
    *,
    objective: str | Mapping[str, float],
    mode: str,
    avoid: Iterable[str],
    year: int | None,
    teu: float,
    avoid_passages: Iterable[str] = ICEBOUND_PASSAGES,
    as_of: str | None = None,
    inland_water: bool = False,
) -> Query:
    if isinstance(objective, str):
        if objective not in OBJECTIVES:
            raise DataError(
                f"'{objective}' is not an objective; use one of time, cost, co2", field="optimize"
            )
        coef = tuple(1.0 if o == objective else 0.0 for o in OBJECTIVES)
        name = objective
    else:
        unknown = set(objective) - set(OBJECTIVES)
        if unknown or not objective or any(v < 0 for v in objective.values()) or not any(objective.values()):
            raise DataError(
                "weights need non-negative values for time, cost and/or co2, not all zero", field="optimize"
            )
        coef = tuple(float(objective.get(o, 0.0)) for o in OBJECTIVES)
        name = "+".join(f"{objective[o]:g}*{o}" for o in OBJECTIVES if objective.get(o))
    if mode not in ("rail", "sea", "any"):
        raise DataError(f"'{mode}' is not a mode; use rail, sea or any", field="mode")
    if not (teu > 0) or teu > 1e6:
        raise DataError(f"cargo must be a positive number of TEU (got {teu})", field="teu")
    y = net.current_year() if year is None else int(year)
    if net.clamp_year(y) != y:
        raise DataError(
            f"year {y} is outside the network's span: the rail data describes {net.base_year}, and "
            f"planned lines open up to {MAX_YEAR}; give a year from {net.base_year} to {MAX_YEAR}",
            field="year",
        )
    codes = set()
    for raw in avoid:
        for code in str(raw).split(","):
            code = code.strip().upper()
            if not code:
                continue
            from silkrail.network.curated import known_country_codes  # the schema, only when asked

            if code not in known_country_codes():
                raise DataError(
                    f"'{code}' is not an ISO 3166-1 alpha-2 country code (for example MN, KZ, RU)",
                    field="avoid",
                )
            codes.add(code)
    return Query(
        name,
        (coef[0], coef[1], coef[2]),
        Constraints(
            modes="rail" if mode == "rail" else "any",
            avoid_countries=frozenset(codes),
            avoid_passages=frozenset(avoid_passages),
            year=y,
            inland_water=bool(inland_water),
        ),
        float(teu),
        mode,
        _check_as_of(net, as_of),
    )


def _check_as_of(net: Network, as_of: Any) -> str | None:
    """A date (YYYY-MM-DD) the cost model has rates for, or None for the newest."""
    if as_of is None or as_of == "":
        return None
    text = str(as_of)[:10]
    import datetime as _dt

    try:
        _dt.date.fromisoformat(text)
    except ValueError:
        raise DataError(f"'{as_of}' is not a date; write YYYY-MM-DD", field="as_of") from None
    from silkrail.routing.costs import CostModel

    CostModel.from_network(net).sea_rate_entry(text)
    return text


class Router:
    """Queries on one network; build with :func:`router_for`."""

    def __init__(self, net: Network, *, home: Any = None, model: Any = None) -> None:
        self.net = net
        self.graph = build_state_graph(net, model)
        self.searcher = Searcher(
            self.graph,
            load_or_compute_landmarks(self.graph, home, "any"),
            lambda: load_or_compute_landmarks(self.graph, home, "rail"),  # read on the first rail query
        )
        self.places = Gazetteer(net, home=home)

    # -- single routes -------------------------------------------------------------------

    def route(
        self,
        origin: str | Place,
        destination: str | Place,
        *,
        objective: str | Mapping[str, float] = "time",
        mode: str = "any",
        avoid: Iterable[str] = (),
        avoid_passages: Iterable[str] = ICEBOUND_PASSAGES,
        year: int | None = None,
        teu: float = 1.0,
        alternatives: int = 0,
        as_of: str | None = None,
        inland_water: bool = False,
    ) -> Route:
        """The best route; ``inland_water`` lets water legs use rivers and canals between seas
        (by default the sea stays open sea, and water inside a country only leads to ports)."""
        q = _check_query(
            self.net,
            objective=objective,
            mode=mode,
            avoid=avoid,
            year=year,
            teu=teu,
            avoid_passages=avoid_passages,
            as_of=as_of,
            inland_water=inland_water,
        )
        o = origin if isinstance(origin, Place) else self.places.resolve(origin)
        d = destination if isinstance(destination, Place) else self.places.resolve(destination)
        if o == d or set(o.nodes_for(mode)) & set(d.nodes_for(mode)):
            raise DataError(
                f"origin and destination are the same place ({o.name}); name two different places",
                field="destination",
            )
        for p, role in ((o, "origin"), (d, "destination")):
            check_mode_access(p, mode, self.places._rail_linked_ports)
            if p.country in q.constraints.avoid_countries:
                raise NoRouteError(
                    f"the {role} {p.name} is in {p.country}, which the route is asked to avoid; "
                    "drop it from --avoid or name a place elsewhere"
                )
        coef = q.coef
        best = self._sea_first(o, d, q) if mode == "sea" else self._best(o, d, q.constraints, coef, q)
        if best is None:
            raise NoRouteError(self._explain(o, d, q))
        if alternatives > 0:
            best.alternatives = self._alternatives(o, d, q, best, alternatives)
        return best

    def end_states(self, p: Place, mode: str = "any") -> np.ndarray:
        """The states a route of ``mode`` may start or end in: those of the place's access
        points for that mode; at a node served by several gauges (a dual-gauge station), the
        national gauge of its country, on which cargo is loaded."""
        out = [self._node_states(n) for n in p.nodes_for(mode)]
        return np.unique(np.concatenate(out)) if len(out) > 1 else out[0]

    def _node_states(self, node: int) -> np.ndarray:
        states = self.graph.states_of_node(node)
        if len(states) > 1:
            national = self.net.meta.get("gauge_by_country", {}).get(self.net.country_code(node))
            if national in GAUGES_MM:
                wanted = states[self.graph.state_slot[states] == GAUGES_MM.index(national)]
                if len(wanted):
                    return wanted.astype(np.int64)
        return states.astype(np.int64)

    def _path(
        self, o: Place, d: Place, c: Constraints, coef: tuple[float, float, float], mode: str = "any"
    ) -> np.ndarray | None:
        src = self.end_states(o, mode)
        dst = self.end_states(d, mode)
        res = self.searcher.shortest(src, dst, c, coef)
        return None if res is None else res.arcs

    def _best(
        self, o: Place, d: Place, c: Constraints, coef: tuple[float, float, float], q: Query
    ) -> Route | None:
        arcs = self._path(o, d, c, coef, q.mode)
        if arcs is None:
            return None
        return self._assemble(arcs, o, d, q.objective, q.teu, as_of=q.as_of)

    def _assemble(
        self, arcs: np.ndarray, o: Place, d: Place, objective: str, teu: float, *, as_of: str | None = None
    ) -> Route:
        return assemble_route(
            self.graph, arcs, o, d, objective=objective, teu=teu, names=self.places, as_of=as_of
        )

    def _sea_first(self, o: Place, d: Place, q: Query) -> Route | None:
        """The main haul by sea: rail only to and from the ports (rail arcs weigh many times more;
        penalised weights only grow, so the landmark bounds stay admissible)."""
        g = self.graph
        c = q.constraints
        _, _, arcs = g.csr(c)
        w = self.searcher.weights_for(c, q.coef)
        w = np.where(g.mode[arcs] == MODE_RAIL, w * SEA_FIRST_RAIL_PENALTY, w)
        # a city's port where it has one, else its rail terminal (penalised rail leads to a port)
        res = self.searcher.shortest(self.end_states(o), self.end_states(d), c, q.coef, weights=w)
        if res is None:
            return None
        route = self._assemble(res.arcs, o, d, q.objective, q.teu, as_of=q.as_of)
        return route if "sea" in route.modes else None

    def route_via(
        self,
        o: Place,
        d: Place,
        via: list[int],
        c: Constraints,
        coef: tuple[float, float, float],
        *,
        teu: float = 1.0,
        objective: str = "time",
        mode: str = "any",
    ) -> Route | None:
        """The best route through the crossings ``via`` (indices, in order). Other crossings
        between the same countries are banned; at each via crossing the arc across it (with or
        without a gauge change) is chosen with one step of lookahead, so the route can continue
        on the gauge it leaves with."""
        g = self.graph
        pairs = {frozenset(self.net.crossings[i]["countries"]) for i in via}
        banned = {
            i
            for i, x in enumerate(self.net.crossings)
            if i not in set(via) and frozenset(x["countries"]) in pairs
        }
        c2 = dataclasses.replace(c, avoid_crossings=c.avoid_crossings | frozenset(banned))
        _, _, allowed = g.csr(c2)
        w = np.asarray(coef) @ g.weights
        cur = self.end_states(o, mode)
        target = self.end_states(d, mode)
        pieces: list[np.ndarray] = []
        for cid in via:
            across = allowed[g.crossing[allowed] == cid]
            best: tuple[float, np.ndarray, int] | None = None
            for x in across.tolist():
                p1 = self.searcher.shortest(cur, np.array([g.src[x]], dtype=np.int64), c2, coef)
                if p1 is None:
                    continue
                onward = self.searcher.shortest(np.array([g.dst[x]], dtype=np.int64), target, c2, coef)
                if onward is None:
                    continue
                total = p1.value + float(w[x]) + onward.value
                if best is None or total < best[0]:
                    best = (total, np.r_[p1.arcs, x], int(g.dst[x]))
            if best is None:
                return None
            pieces.append(best[1])
            cur = np.array([best[2]], dtype=np.int64)
        last = self.searcher.shortest(cur, target, c2, coef)
        if last is None:
            return None
        pieces.append(last.arcs)
        return self._assemble(np.concatenate(pieces).astype(np.int64), o, d, objective, teu)

    def _signature(self, r: Route) -> tuple[str, ...]:
        seq = tuple(r.countries)
        return seq + (("sea",) if "sea" in r.modes else ())

    ALTERNATIVE_BUDGET = 40  # searches spent looking for alternatives

    def _alternatives(self, o: Place, d: Place, q: Query, best: Route, k: int) -> list[Route]:
        """Up to ``k`` routes through other corridors (another sequence of countries, or another
        mode), best first. A best-first search over bans: each route found is expanded by
        banning one of its transit countries, or one of its border crossings; a route is kept
        only when its corridor is new, so alternatives are never near-copies."""
        import heapq

        g = self.graph
        _, _, arcs = g.csr(q.constraints)
        a_cross = g.crossing[arcs]
        ends = {o.country, d.country}

        def value(r: Route) -> float:
            return float(np.dot(q.coef, [r.duration_h, r.cost_usd / q.teu, r.co2_kg / q.teu]))

        def search(countries: frozenset[str], crossings: frozenset[int]) -> Route | None:
            banned = np.isin(a_cross, list(crossings)) | g.touches(countries)[arcs]
            res = self.searcher.shortest(
                self.end_states(o, q.mode), self.end_states(d, q.mode), q.constraints, q.coef, banned=banned
            )
            if res is None:
                return None
            return self._assemble(res.arcs, o, d, q.objective, q.teu, as_of=q.as_of)

        accepted: list[Route] = []
        seen = {self._signature(best)}
        empty: tuple[frozenset[str], frozenset[int]] = (frozenset(), frozenset())
        tried = {empty}
        # new corridors pop first (by value), then known ones, whose bans may lead to new corridors
        heap: list[tuple[bool, float, int, tuple[frozenset[str], frozenset[int]], Route]] = [
            (False, value(best), 0, empty, best)
        ]
        counter, budget = 1, self.ALTERNATIVE_BUDGET
        while heap and len(accepted) < k and budget > 0:
            _, _, _, (b_countries, b_crossings), route = heapq.heappop(heap)
            if route is not best and self._signature(route) not in seen:
                accepted.append(route)
                seen.add(self._signature(route))
            moves = [(b_countries | {c}, b_crossings) for c in route.countries if c not in ends]
            moves += [
                (b_countries, b_crossings | {cid})
                for cid in sorted(route.crossing_ids)
                if self.net.crossings[cid]["kind"] == "border"
            ]
            for ban in moves:
                if ban in tried or budget <= 0:
                    continue
                tried.add(ban)
                budget -= 1
                alt = search(*ban)
                if alt is not None:
                    known = self._signature(alt) in seen
                    heapq.heappush(heap, (known, value(alt), counter, ban, alt))
                    counter += 1
        return sorted(accepted, key=value)

    def _explain(self, o: Place, d: Place, q: Query) -> str:
        """Why no route: constraints that cut every path, or networks no crossing joins."""
        free = Constraints(year=MAX_YEAR, inland_water=True)
        rail_free = Constraints(modes="rail", year=MAX_YEAR)
        if q.mode == "rail" and self._path(o, d, rail_free, q.coef, "rail") is None:
            if self._path(o, d, free, q.coef) is None:
                return self._disconnected(o, d)
            return self._disconnected(o, d) + "; by sea or rail and sea there is one (--mode any)"
        if self._path(o, d, free, q.coef) is not None:
            parts = []
            if q.constraints.avoid_countries:
                parts.append(f"avoiding {', '.join(sorted(q.constraints.avoid_countries))}")
            if q.constraints.modes == "rail":
                parts.append("rail only")
            if q.constraints.year < MAX_YEAR:
                parts.append(f"the network of {q.constraints.year}")
            why = " with ".join(parts) if parts else "these constraints"
            return f"no route from {o.name} to {d.name}: {why} cuts every path"
        return self._disconnected(o, d)

    def _disconnected(self, o: Place, d: Place) -> str:
        net = self.net

        def describe(p: Place) -> str:
            gauges = "/".join(f"{g:,}" for g in gauges_of(int(net.gauge[p.node]))) or "sea"
            return f"the {gauges} mm network of {net.country_code(p.node) or p.country}"

        if net.node_kind[o.node] == NodeKind.RAIL and net.node_kind[d.node] == NodeKind.RAIL:
            return (
                f"no route from {o.name} to {d.name}: no crossing or port connects {describe(o)} "
                f"around {o.name} to {describe(d)} around {d.name}"
            )
        return f"no route from {o.name} to {d.name}: the two are not connected in the network"

    # -- many routes ---------------------------------------------------------------------

    def compare(
        self,
        origin: str,
        destination: str,
        *,
        objective: str = "time",
        teu: float = 1.0,
        year: int | None = None,
        avoid: Iterable[str] = (),
        as_of: str | None = None,
    ) -> list[Route]:
        """The best rail, sea and rail+sea options, each labelled; missing options are left out."""
        o, d = self.places.resolve(origin), self.places.resolve(destination)
        options: list[Route] = []
        for label, mode in (("rail", "rail"), ("sea", "sea")):
            try:
                r = self.route(
                    o, d, objective=objective, mode=mode, teu=teu, year=year, avoid=avoid, as_of=as_of
                )
            except NoRouteError:
                continue
            r.label = label
            options.append(r)
        combined = self._rail_and_sea(o, d, objective=objective, teu=teu, year=year, avoid=avoid, as_of=as_of)
        if combined is not None:
            combined.label = "rail+sea"
            options.append(combined)
        if not options:
            raise NoRouteError(f"no rail, sea or combined route from {o.name} to {d.name}")
        return options

    def _rail_and_sea(self, o: Place, d: Place, **opts: Any) -> Route | None:
        """The best route whose haul is split between a long rail and a long sea leg (each at
        least 15 % of the distance): among the best multimodal route and its alternative
        corridors, which include the sea variants."""
        try:
            best = self.route(o, d, mode="any", alternatives=4, **opts)
        except NoRouteError:
            return None
        mixed = [r for r in [best, *best.alternatives] if _substantial_mix(r)]
        if not mixed:
            return None
        q = _check_query(
            self.net,
            objective=opts["objective"],
            mode="any",
            avoid=opts["avoid"],
            year=opts["year"],
            teu=opts["teu"],
            as_of=opts.get("as_of"),
        )
        choice = min(mixed, key=lambda r: float(np.dot(q.coef, [r.duration_h, r.cost_usd, r.co2_kg])))
        choice.alternatives = []
        return choice

    def od_matrix(
        self,
        origins: Sequence[str],
        destinations: Sequence[str],
        *,
        objective: str = "time",
        mode: str = "any",
        teu: float = 1.0,
        year: int | None = None,
        avoid: Iterable[str] = (),
    ) -> dict[str, Any]:
        """Totals for every origin-destination pair: one shortest-path tree per origin."""
        from silkrail.routing.matrix import od_matrix

        q = _check_query(self.net, objective=objective, mode=mode, avoid=avoid, year=year, teu=teu)
        return od_matrix(
            self, [self.places.resolve(x) for x in origins], [self.places.resolve(x) for x in destinations], q
        )


def _substantial_mix(r: Route) -> bool:
    rail = sum(leg.distance_km for leg in r.legs if leg.mode == "rail")
    sea = sum(leg.distance_km for leg in r.legs if leg.mode == "sea")
    return rail >= 0.15 * r.distance_km and sea >= 0.15 * r.distance_km


def router_for(net: Network, *, home: Any = None) -> Router:
    """The router of ``net``, created on first use and kept with the network."""
    router = getattr(net, "_router", None)
    if router is None:
        if home is None:
            from silkrail.settings import get_settings

            home = get_settings().home
        router = Router(net, home=home)
        net._router = router  # type: ignore[attr-defined]
    return router
