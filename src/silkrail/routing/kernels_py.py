"""The search kernels in plain Python and numpy: the same A* with landmark bounds as
:mod:`silkrail.routing.kernels`, with the same signature and the same results.

A single query settles a few thousand states, which Python does in milliseconds; loading the
compiled kernels takes a good part of a second. So one-off queries (``silkrail route``) run
here and bulk work runs compiled. The results are identical, not merely equally good: the
heap is the compiled kernel's binary heap step for step (so ties pop in the same order), the
landmark bounds are the same floating-point operations in the same order, and path costs are
summed arc by arc in the same order.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray


def bounds(
    lm: NDArray[np.float64], lm_t: NDArray[np.float64], coef: NDArray[np.float64]
) -> NDArray[np.float64]:
    """The ALT lower bound of every state: for each target, the weighted sum over objectives of
    the largest landmark difference, then the smallest over the targets. A landmark that
    reaches neither (both distances infinite) tells nothing: its difference is NaN, which
    ``fmax`` passes over, and a state no landmark tells about gets 0."""
    n = lm.shape[2]
    best = np.full(n, np.inf)
    d = np.empty((lm.shape[1], n))
    for t in range(lm_t.shape[2]):
        total = np.zeros(n)
        for k in range(lm.shape[0]):
            if coef[k] == 0.0:
                continue
            with np.errstate(invalid="ignore"):
                np.subtract(lm_t[k, :, t][:, None], lm[k], out=d)
            np.abs(d, out=d)
            bound = np.fmax(np.fmax.reduce(d, axis=0), 0.0)
            total = total + coef[k] * bound
        best = np.minimum(best, total)
    return best


def astar(
    indptr: NDArray[np.int64],
    indices: NDArray[np.int32],
    w: NDArray[np.float64],
    sources: NDArray[np.int64],
    targets: NDArray[np.int64],
    lm: NDArray[np.float64],
    lm_t: NDArray[np.float64],
    coef: NDArray[np.float64],
) -> tuple[int, float, list[int], int]:
    """(target reached or -1, its path value, predecessor CSR position per state, states
    settled); the compiled ``astar`` step for step."""
    n = indptr.shape[0] - 1
    h = bounds(lm, lm_t, coef)
    inf = math.inf
    g = [inf] * n
    pred = [-1] * n
    closed = bytearray(n)
    is_target = bytearray(n)
    for t in targets.tolist():
        is_target[t] = 1
    hk: list[float] = []  # the binary min-heap of the compiled kernel: keys and values
    hv: list[int] = []
    for s in sources.tolist():
        g[s] = 0.0
        _push(hk, hv, float(h[s]), s)
    settled = 0
    while hk:
        v = _pop(hk, hv)
        if closed[v]:
            continue
        closed[v] = 1
        settled += 1
        if is_target[v]:
            return v, g[v], pred, settled
        gv = g[v]
        lo, hi = int(indptr[v]), int(indptr[v + 1])
        # a settled state's arcs as Python numbers: a query settles a few thousand states,
        # so this beats converting the whole graph
        for pos, x, wx, hx in zip(
            range(lo, hi), indices[lo:hi].tolist(), w[lo:hi].tolist(), h[indices[lo:hi]].tolist(), strict=True
        ):
            if closed[x]:
                continue
            ng = gv + wx
            if ng < g[x]:
                g[x] = ng
                pred[x] = pos
                if hx == inf:
                    continue
                _push(hk, hv, ng + hx, x)
    return -1, inf, pred, settled


def _push(keys: list[float], vals: list[int], key: float, val: int) -> None:
    """The compiled kernel's ``heap_push``: append, then sift up while the parent is larger."""
    i = len(keys)
    keys.append(key)
    vals.append(val)
    while i > 0:
        p = (i - 1) >> 1
        kp = keys[p]
        if kp <= key:
            break
        keys[i] = kp
        vals[i] = vals[p]
        i = p
    keys[i] = key
    vals[i] = val


def _pop(keys: list[float], vals: list[int]) -> int:
    """The compiled kernel's ``heap_pop``: the last item replaces the top, then sifts down
    towards the smaller child (the left one on a tie) while that child is smaller."""
    top = vals[0]
    key = keys.pop()
    val = vals.pop()
    size = len(keys)
    if size == 0:
        return top
    i = 0
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        kc = keys[c]
        if c + 1 < size and keys[c + 1] < kc:
            c += 1
            kc = keys[c]
        if key <= kc:
            break
        keys[i] = kc
        vals[i] = vals[c]
        i = c
    keys[i] = key
    vals[i] = val
    return top


def unwind(
    pred: NDArray[np.int64], arcs: NDArray[np.int64], arc_src: NDArray[np.int32], target: int
) -> NDArray[np.int64]:
    """The arc ids from a source to ``target``, following predecessor CSR positions."""
    out: list[int] = []
    v = int(target)
    while pred[v] >= 0:
        a = int(arcs[pred[v]])
        out.append(a)
        v = int(arc_src[a])
    out.reverse()
    return np.array(out, dtype=np.int64)


def shortest_tree(
    indptr: NDArray[np.int64], indices: NDArray[np.int32], w: NDArray[np.float64], sources: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Dijkstra from the sources to every state, by scipy: (distance, predecessor CSR position),
    the compiled ``shortest_tree``'s contract. Distances are equal to the compiled kernel's;
    where two paths tie, the tree may hold the other one.

    scipy gives each state's predecessor state; its CSR position is the cheapest arc from that
    state to it (parallel arcs may join the same two states). A zero weight becomes the smallest
    positive double, which scipy cannot drop as a missing edge."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra

    n = indptr.shape[0] - 1
    data = np.where(w > 0.0, w, np.nextafter(0.0, 1.0))
    m = sp.csr_matrix((data, indices, indptr), shape=(n, n))
    dist, pred_state, _ = dijkstra(
        m, directed=True, indices=np.asarray(sources), min_only=True, return_predecessors=True
    )
    tails = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    heads = indices.astype(np.int64)
    cand = np.flatnonzero(pred_state[heads] == tails)
    order = np.lexsort((w[cand], heads[cand]))  # by head, then cheapest first
    cand = cand[order]
    first = np.r_[True, heads[cand][1:] != heads[cand][:-1]]
    pred = np.full(n, -1, dtype=np.int64)
    pred[heads[cand[first]]] = cand[first]
    dist = np.asarray(dist, dtype=np.float64)
    dist[np.asarray(sources)] = 0.0
    return dist, pred


def tree_totals(
    pred: NDArray[np.int64],
    arc_src: NDArray[np.int64],
    metrics: NDArray[np.float64],
    targets: NDArray[np.int64],
) -> NDArray[np.float64]:
    """Sums of ``metrics`` (m, CSR positions) along the tree paths to ``targets``: (m,
    len(targets)), inf where a target is -1 (unreachable); the compiled ``tree_totals``."""
    out = np.full((metrics.shape[0], targets.shape[0]), np.inf)
    for j, v in enumerate(targets.tolist()):
        if v < 0:
            continue
        path = []
        while pred[v] >= 0:
            pos = int(pred[v])
            path.append(pos)
            v = int(arc_src[pos])
        out[:, j] = metrics[:, path].sum(axis=1) if path else 0.0
    return out
