"""The one place the analysis reaches below the public routing API: routes through given
crossings, and routes with elements of the network removed (crossings, lines, ports, ferries,
passages). When the router offers these itself, only this file changes."""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from silkrail.analysis import _records as rec
from silkrail.errors import DataError, NoRouteError

if TYPE_CHECKING:
    from silkrail.network.model import Network
    from silkrail.routing.query import RouteQuery
    from silkrail.routing.results import Route
    from silkrail.routing.router import Router


def check_crossing_ids(net: Network, ids: Sequence[str], *, where: str = "via") -> list[int]:
    """Indices of the crossings ``ids``; an unknown id raises DataError with the closest ids."""
    index = rec.crossing_index(net)
    out = []
    for cid in ids:
        if cid not in index:
            close = difflib.get_close_matches(cid, list(index), n=3)
            hint = f"; closest: {', '.join(close)}" if close else ""
            raise DataError(f"'{cid}' is not a crossing id{hint}", field=where)
        out.append(index[cid])
    return out


def route_with(router: Router, query: RouteQuery, *, via: Sequence[str] = ()) -> Route:
    """The best route of ``query``, through the crossings ``via`` (ids, in order) when given."""
    if not via:
        return router.route(query)
    from silkrail.routing.query import check_query
    from silkrail.routing.strategies import route_via

    q = check_query(router.net, query)
    o, d = router.resolve(query.origin), router.resolve(query.destination)
    idx = check_crossing_ids(router.net, via)
    r = route_via(
        router.engine, o, d, idx, q.constraints, q.coef, teu=q.teu, objective=q.objective, mode=q.mode
    )
    if r is None:
        raise NoRouteError(f"no route from {o.name} to {d.name} through {', '.join(via)}")
    return r


@dataclasses.dataclass(frozen=True)
class Removal:
    """Elements taken out of the network, by kind (indices into the network's records, and
    passage names)."""

    crossings: frozenset[int] = frozenset()
    lines: frozenset[int] = frozenset()
    ports: frozenset[int] = frozenset()
    ferries: frozenset[int] = frozenset()
    passages: frozenset[str] = frozenset()


def route_removed(
    router: Router, query: RouteQuery, removal: Removal, *, via: Sequence[int] = ()
) -> Route | None:
    """The best route without the removed elements, or None when none is left. Crossings,
    lines and passages are removed through the search's constraints; ports and ferries by
    banning their transfer arcs. Via crossings that were removed are dropped from ``via``; a
    via route with ports or ferries removed is searched without its via points."""
    from silkrail.routing.graph import MODE_FERRY
    from silkrail.routing.query import check_query
    from silkrail.routing.strategies import route_via

    q = check_query(router.net, query)
    c = dataclasses.replace(
        q.constraints,
        avoid_crossings=q.constraints.avoid_crossings | removal.crossings,
        closed_lines=q.constraints.closed_lines | removal.lines,
        avoid_passages=q.constraints.avoid_passages | removal.passages,
    )
    o, d = router.resolve(query.origin), router.resolve(query.destination)
    mode = q.mode
    via = [v for v in via if v not in removal.crossings]
    if via and not (removal.ports or removal.ferries):
        return route_via(
            router.engine, o, d, list(via), c, q.coef, teu=q.teu, objective=q.objective, mode=mode
        )
    g = router.graph
    banned = None
    if removal.ports or removal.ferries:
        from silkrail.network.model import EdgeKind

        _, _, arcs = g.csr(c)
        e = g.edge[arcs]
        kind = router.net.edge_kind[e]
        port = router.net.port[e]
        banned = np.zeros(len(arcs), bool)
        if removal.ports:
            at_port = (kind == EdgeKind.PORT_LINK) | (kind == EdgeKind.SEA_ACCESS)
            banned |= at_port & np.isin(port, list(removal.ports))
        if removal.ferries:
            banned |= (g.mode[arcs] == MODE_FERRY) & np.isin(port, list(removal.ferries))
    path = router.engine.shortest_path(o, d, c, q.coef, mode=mode, banned=banned)
    if path is None:
        return None
    return router.engine.assemble(path, o, d, objective=q.objective, teu=q.teu)


def route_elements(router: Router, route: Route) -> Removal:
    """The elements a route uses: its crossings, curated lines, ports, ferries and passages."""
    from silkrail.network.model import EdgeKind

    net = router.net
    e = rec.route_edges(router, route)
    kind = np.asarray(net.edge_kind[e])
    crossing = np.asarray(net.crossing[e])
    line = np.asarray(net.line[e])
    port = np.asarray(net.port[e])
    passage = np.asarray(net.passage[e])
    at_port = (kind == EdgeKind.PORT_LINK) | (kind == EdgeKind.SEA_ACCESS)
    return Removal(
        crossings=frozenset(int(x) for x in np.unique(crossing[crossing >= 0])),
        lines=frozenset(int(x) for x in np.unique(line[line >= 0])),
        ports=frozenset(int(x) for x in np.unique(port[at_port & (port >= 0)])),
        ferries=frozenset(int(x) for x in np.unique(port[(kind == EdgeKind.FERRY) & (port >= 0)])),
        passages=frozenset(net.passages[int(x)] for x in np.unique(passage[passage > 0])),
    )
