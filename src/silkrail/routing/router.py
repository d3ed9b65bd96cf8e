"""The routing facade: ``route``, ``compare`` and ``od_matrix`` over one network.

This is the public entry point of the routing package and the top of its layers: query
(checks) -> engine (searches, caches) -> strategies -> this facade. No module of the package
imports it. A :class:`Router` is a thin front on the network's :class:`~silkrail.routing.engine.Engine`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from silkrail.errors import NoRouteError
from silkrail.network.model import Network
from silkrail.routing import strategies
from silkrail.routing.costs import CostModel
from silkrail.routing.engine import Engine, engine_for
from silkrail.routing.graph import StateGraph
from silkrail.routing.places import Gazetteer, Place
from silkrail.routing.query import Query, RouteOptions, RouteQuery, check_ends, check_query
from silkrail.routing.results import OdMatrix, Route
from silkrail.traffic import Traffic, traffic_of


class Router:
    """Queries on one network; :func:`router_for` gives the network's shared one. Each method
    takes a :class:`~silkrail.routing.query.RouteQuery` (or, for a matrix, its options) whole."""

    def __init__(
        self,
        net: Network,
        *,
        home: Path | None = None,
        model: CostModel | None = None,
        engine: Engine | None = None,
    ) -> None:
        self.net = net
        self.engine = engine if engine is not None else Engine(net, home=home, model=model)

    @property
    def graph(self) -> StateGraph:
        return self.engine.graph

    @property
    def places(self) -> Gazetteer:
        return self.engine.places

    def end_states(self, p: Place, mode: str = "any") -> NDArray[np.int64]:
        return self.engine.end_states(p, mode)

    def resolve(self, place: str | Place) -> Place:
        """The place a name means (a :class:`Place` is its own answer)."""
        return place if isinstance(place, Place) else self.places.resolve(place)

    def resolved(self, query: RouteQuery) -> RouteQuery:
        """``query`` with both ends resolved to places (those already resolved are kept)."""
        o, d = self.resolve(query.origin), self.resolve(query.destination)
        if o is query.origin and d is query.destination:
            return query
        return dataclasses.replace(query, origin=o, destination=d)

    # -- single routes -------------------------------------------------------------------

    def route(self, query: RouteQuery) -> Route:
        """The best route, with ``query.alternatives`` other corridors. A departure or arrival
        time is the timetable's question (:func:`silkrail.timetable.journey.plan`); here the
        route is the network model's, whatever the time."""
        q = check_query(self.net, query)
        o, d = self._ends(query, q)
        best = strategies.best_route(self.engine, o, d, q)
        if best is None:
            raise NoRouteError(strategies.explain_no_route(self.engine, o, d, q))
        if query.alternatives > 0:
            found = strategies.alternatives(self.engine, o, d, q, best, query.alternatives)
            best = dataclasses.replace(best, alternatives=found.routes, alternatives_note=found.note)
        return best

    def _ends(self, query: RouteQuery, q: Query) -> tuple[Place, Place]:
        """The query's two places as a route uses them: stations opened by its year, a
        passenger's station for passengers, checked against its mode."""
        o, d = self.resolve(query.origin), self.resolve(query.destination)
        o, d = (self.places.with_stations_opened(p, q.constraints.year) for p in (o, d))
        if q.traffic_type is Traffic.PASSENGER:
            o, d = self.places.for_passengers(o), self.places.for_passengers(d)
        check_ends(o, d, q, self.engine.rail_linked_ports)
        return o, d

    def route_through(self, query: RouteQuery, via: Sequence[str]) -> Route:
        """The best route through the crossings ``via`` (ids, in the order the route passes them;
        other crossings between the same countries are not used): a service's published route,
        where the fastest one would go another way; no alternatives. An unknown or closed id is a
        DataError naming it (field ``via``); no route through them, a NoRouteError."""
        from silkrail.errors import DataError
        from silkrail.routing.query import crossing_indices

        if isinstance(via, str):
            raise TypeError("via is a sequence of crossing ids, not one string")
        if not via:
            return self.route(query)
        q = check_query(self.net, query)
        ids = {c.id: i for i, c in enumerate(self.net.crossings)}
        try:
            crossing_indices(self.net, via)
        except DataError as exc:
            raise DataError(exc.reason, field="via") from None
        closed = sorted(set(via) & set(query.closed_crossings))
        if closed:
            raise DataError(f"{', '.join(closed)} is closed in this query and cannot be passed", field="via")
        o, d = self._ends(query, q)
        route = strategies.route_via(
            self.engine,
            o,
            d,
            [ids[v] for v in via],
            q.constraints,
            q.coef,
            mode=q.mode,
            teu=q.teu,
            objective=q.objective,
            as_of=q.as_of,
            train=q.train,
        )
        if route is None:
            raise NoRouteError(f"no route from {o.name} to {d.name} through {', '.join(via)}")
        return route

    def later(self, query: RouteQuery, best: Route) -> tuple[int, list[tuple[str, int]], Route] | None:
        """What the planned links change: the better route they open after the query's year
        (the first year it exists, the links with their years, the route), or None."""
        q = check_query(self.net, query)
        o, d = self.resolve(query.origin), self.resolve(query.destination)
        return strategies.later_route(self.engine, o, d, q, best)

    # -- many routes ---------------------------------------------------------------------

    def compare(self, query: RouteQuery) -> list[Route]:
        """The best rail, sea and rail+sea options, each labelled; missing options are left out.
        The query's mode and alternatives are the comparison's own (each option its mode)."""
        query = self.resolved(dataclasses.replace(query, mode="any", alternatives=0))
        options: list[Route] = []
        passenger = traffic_of(query.traffic) is Traffic.PASSENGER
        for mode in ("rail", "sea"):
            if passenger and mode == "sea":
                continue  # passengers travel by rail here
            try:
                r = self.route(dataclasses.replace(query, mode=mode))
            except NoRouteError:
                continue
            options.append(dataclasses.replace(r, label=mode))
        try:
            best = self.route(query)
        except NoRouteError:
            best = None
        if best is not None:
            q = check_query(self.net, query)
            pool = strategies.corridor_candidates(self.engine, best.origin, best.destination, q, best, 4)
            combined = strategies.rail_and_sea([best, *pool], q)
            if combined is not None:
                options.append(dataclasses.replace(combined, label="rail+sea"))
        if not options:
            o, d = query.origin, query.destination
            assert isinstance(o, Place) and isinstance(d, Place)
            raise NoRouteError(f"no rail, sea or combined route from {o.name} to {d.name}")
        return options

    def od_matrix(
        self,
        origins: Sequence[str | Place],
        destinations: Sequence[str | Place],
        options: RouteOptions | None = None,
    ) -> OdMatrix:
        """Totals for every origin-destination pair: one shortest-path tree per origin."""
        q = check_query(self.net, options if options is not None else RouteOptions())
        year = q.constraints.year

        def place(x: str | Place) -> Place:
            p = self.places.with_stations_opened(self.resolve(x), year)
            return self.places.for_passengers(p) if q.traffic_type is Traffic.PASSENGER else p

        return self.engine.od_matrix([place(x) for x in origins], [place(x) for x in destinations], q)


def router_for(net: Network, *, home: Path | None = None) -> Router:
    """The router of ``net``: a front on the engine the network keeps (built on first use)."""
    return Router(net, engine=engine_for(net, home=home))
