"""The routing facade: ``route``, ``compare`` and ``od_matrix`` over one network.

This is the public entry point of the routing package and the top of its layers: query
(checks) -> engine (searches, caches) -> strategies -> this facade. No module of the package
imports it. A :class:`Router` is a thin front on the network's :class:`~silkrail.routing.engine.Engine`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
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
from silkrail.routing.query import ICEBOUND_PASSAGES, check_ends, check_query
from silkrail.routing.results import OdMatrix, Route


class Router:
    """Queries on one network; :func:`router_for` gives the network's shared one."""

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
        q = check_query(
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
        o, d = (self.places.with_stations_opened(p, q.constraints.year) for p in (o, d))
        check_ends(o, d, q, self.engine.rail_linked_ports)
        best = strategies.best_route(self.engine, o, d, q)
        if best is None:
            raise NoRouteError(strategies.explain_no_route(self.engine, o, d, q))
        if alternatives > 0:
            best = dataclasses.replace(
                best, alternatives=strategies.alternatives(self.engine, o, d, q, best, alternatives)
            )
        return best

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
            options.append(dataclasses.replace(r, label=label))
        try:
            best = self.route(
                o,
                d,
                objective=objective,
                mode="any",
                teu=teu,
                year=year,
                avoid=avoid,
                as_of=as_of,
                alternatives=4,
            )
        except NoRouteError:
            best = None
        if best is not None:
            q = check_query(
                self.net, objective=objective, mode="any", avoid=avoid, year=year, teu=teu, as_of=as_of
            )
            combined = strategies.rail_and_sea([best, *best.alternatives], q)
            if combined is not None:
                options.append(dataclasses.replace(combined, label="rail+sea"))
        if not options:
            raise NoRouteError(f"no rail, sea or combined route from {o.name} to {d.name}")
        return options

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
    ) -> OdMatrix:
        """Totals for every origin-destination pair: one shortest-path tree per origin."""
        q = check_query(self.net, objective=objective, mode=mode, avoid=avoid, year=year, teu=teu)
        return self.engine.od_matrix(
            [self.places.resolve(x) for x in origins], [self.places.resolve(x) for x in destinations], q
        )


def router_for(net: Network, *, home: Path | None = None) -> Router:
    """The router of ``net``: a front on the engine the network keeps (built on first use)."""
    return Router(net, engine=engine_for(net, home=home))
