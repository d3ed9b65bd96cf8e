"""The generalised cost on the state graph: what the search sums per arc.

The objective is linear in those sums, so it is searched exactly: the arc weights are
``coef[:3] @ (time, money, CO2) + coef[3:] @ (customs borders, transshipments)``
(:mod:`silkrail.routing.generalised` defines the terms and keeps the weights). The penalties
are never negative, so the landmark bounds of time, money and CO2 stay admissible.
"""

from __future__ import annotations

import threading

import numpy as np
from numpy.typing import NDArray

from silkrail.network.model import EdgeKind
from silkrail.routing.graph import StateGraph

_CACHE_KEY = "routing.generalised.arc_counts"
_lock = threading.Lock()


def arc_counts(g: StateGraph) -> NDArray[np.float64]:
    """(2, n_arcs): the customs borders and transshipments each arc of ``g`` adds to a route
    (see the module). Kept in the network's caches per cost model (its customs unions)."""
    key = f"{_CACHE_KEY}-{g.model.fingerprint}-{len(g.edge)}"
    hit = g.net.caches.get(key)
    if isinstance(hit, np.ndarray):
        return hit
    with _lock:
        hit = g.net.caches.get(key)
        if not isinstance(hit, np.ndarray):
            hit = _compute_counts(g)
            g.net.caches[key] = hit
    return hit


def _compute_counts(g: StateGraph) -> NDArray[np.float64]:
    net, model = g.net, g.model
    kind = net.edge_kind[g.edge]
    borders = np.zeros(len(g.edge))
    transfers = np.zeros(len(g.edge))
    # a crossing between customs territories (the cost model's tariff areas: not inside a union)
    customs = np.array([model.new_tariff_area(c) for c in net.crossings] + [False], bool)
    cross = g.crossing
    borders += np.where((kind == EdgeKind.BORDER) & (cross >= 0), customs[cross], False)
    # a change of gauge (transshipment or bogie exchange): an arc that joins two gauges
    transfers += g.change & (g.state_slot[g.src] != g.state_slot[g.dst])
    transfers += kind == EdgeKind.PORT_LINK  # rail <-> ship
    ferry = np.flatnonzero(kind == EdgeKind.FERRY)
    transfers[ferry] += 1.0
    for a in ferry.tolist():
        f = net.ferries[int(net.port[g.edge[a]])]
        pair = set(f.countries)
        if len(pair) == 2 and not any(pair <= u for u in model.unions):
            borders[a] += 1.0
    # a sea leg: its export and import clearance, half at each end where it joins the sea
    borders += 0.5 * (kind == EdgeKind.SEA_ACCESS)
    return np.vstack([borders, transfers])


def arc_objective(g: StateGraph, coef: tuple[float, ...], traffic: object) -> NDArray[np.float64]:
    """The objective of every arc of ``g`` (not only those a query allows) for ``coef`` over
    :data:`TERMS` (three weights: time, money, CO2 alone)."""
    from silkrail.traffic import Traffic

    base: NDArray[np.float64] = g.weights_of(Traffic(traffic))  # type: ignore[arg-type]
    w = np.asarray(coef[:3], dtype=np.float64) @ base
    extra = np.asarray(coef[3:], dtype=np.float64)
    if extra.size and extra.any():
        w = w + extra @ arc_counts(g)[: extra.size]
    return np.asarray(w, dtype=np.float64)


def route_counts(g: StateGraph, arcs: NDArray[np.int64]) -> tuple[int, int]:
    """(customs borders, transshipments) of a path: the sums :func:`arc_counts` gives its arcs."""
    if not len(arcs):
        return 0, 0
    c = arc_counts(g)[:, np.asarray(arcs, dtype=np.int64)].sum(axis=1)
    return round(float(c[0])), round(float(c[1]))


