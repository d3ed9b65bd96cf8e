"""Origin-destination matrices: one shortest-path tree per origin, totals read off the tree."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numba import njit

from silkrail.routing.costs import price_route
from silkrail.routing.kernels_numba import heap_pop, heap_push, unwind

if TYPE_CHECKING:
    from silkrail.routing.places import Place
    from silkrail.routing.router import Query, Router


@njit(cache=True)
def _tree(indptr, indices, w, sources):
    S = indptr.shape[0] - 1
    g = np.full(S, np.inf)
    pred = np.full(S, -1, dtype=np.int64)
    closed = np.zeros(S, dtype=np.bool_)
    cap = indices.shape[0] + sources.shape[0] + 1
    hk = np.empty(cap)
    hv = np.empty(cap, dtype=np.int64)
    size = 0
    for s in sources:
        g[s] = 0.0
        size = heap_push(hk, hv, size, 0.0, s)
    while size > 0:
        v, size = heap_pop(hk, hv, size)
        if closed[v]:
            continue
        closed[v] = True
        for pos in range(indptr[v], indptr[v + 1]):
            x = indices[pos]
            ng = g[v] + w[pos]
            if ng < g[x]:
                g[x] = ng
                pred[x] = pos
                size = heap_push(hk, hv, size, ng, x)
    return g, pred


@njit(cache=True)
def _totals(pred, arc_src, metrics, targets):
    # metrics: (m, n_csr_arcs) per CSR position; returns (m, len(targets)), inf where unreachable
    out = np.full((metrics.shape[0], targets.shape[0]), np.inf)
    for j in range(targets.shape[0]):
        v = targets[j]
        if v < 0:
            continue
        acc = np.zeros(metrics.shape[0])
        while pred[v] >= 0:
            pos = pred[v]
            for k in range(metrics.shape[0]):
                acc[k] += metrics[k, pos]
            v = arc_src[pos]
        out[:, j] = acc
    return out


def od_matrix(router: Router, origins: list[Place], destinations: list[Place], q: Query) -> dict[str, Any]:
    """duration_h, cost_usd, co2_kg (for ``q.teu`` TEU), their ranges and distance_km for every pair
    (NaN: no route). Paths come from one tree per origin; each is priced as a single route is."""
    g = router.graph
    indptr, indices, arcs = g.csr(q.constraints)
    w = router.searcher.weights_for(q.constraints, q.coef)
    km = g.net.km[g.edge[arcs]].astype(np.float64)
    metrics = np.vstack([g.weights[:, arcs], km[None, :]])
    arc_src = g.src[arcs].astype(np.int64)
    shape = (len(origins), len(destinations))
    out = {k: np.full(shape, np.nan) for k in ("duration_h", "cost_usd", "co2_kg", "distance_km")}
    ranges = {k: np.full((*shape, 2), np.nan) for k in ("duration_h_range", "cost_usd_range", "co2_kg_range")}
    for i, o in enumerate(origins):
        dist, pred = _tree(indptr, indices, w, router.end_states(o, q.mode))
        best = []
        for d in destinations:
            states = router.end_states(d, q.mode)
            s = states[np.argmin(dist[states])]
            best.append(int(s) if np.isfinite(dist[s]) else -1)
        tot = _totals(pred, arc_src, metrics, np.array(best, dtype=np.int64))
        tot[:, np.array(best) < 0] = np.nan
        out["distance_km"][i] = tot[3]
        for j, s in enumerate(best):
            if s < 0:
                continue
            # the same pricing as a single route: terminals, tapered tariffs, ranges
            price = price_route(g, unwind(pred, arcs, g.src, s), q.teu, as_of=q.as_of)
            out["duration_h"][i, j] = price.duration_h
            out["cost_usd"][i, j] = price.cost_usd
            out["co2_kg"][i, j] = price.co2_kg
            for k, rng in (
                ("duration_h_range", price.duration_h_range),
                ("cost_usd_range", price.cost_usd_range),
                ("co2_kg_range", price.co2_kg_range),
            ):
                ranges[k][i, j] = rng
    return {
        "origins": [o.name for o in origins],
        "destinations": [d.name for d in destinations],
        "objective": q.objective,
        "teu": q.teu,
        **out,
        **ranges,
    }
