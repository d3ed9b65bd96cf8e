"""The compiled search kernels: pure functions of arrays, nothing else.

The graph arrives as CSR (``indptr``, ``indices``: the head state of each CSR position) with one
weight per CSR position; ``arcs`` maps a CSR position to its arc id of the state graph and
``arc_src`` an arc id to its tail state. Keeping the kernels free of objects lets numba cache
them on disk, and lets another entry point (a single query started from the command line)
call them without the engine around them.
"""

from __future__ import annotations

import numpy as np

from silkrail.jit import njit


@njit(cache=True, inline="always")
def heap_push(keys, vals, size, key, val):
    """Push (key, val) on the binary min-heap stored in keys/vals[:size]; returns the new size."""
    i = size
    keys[i] = key
    vals[i] = val
    while i > 0:
        p = (i - 1) // 2
        if keys[p] <= keys[i]:
            break
        keys[p], keys[i] = keys[i], keys[p]
        vals[p], vals[i] = vals[i], vals[p]
        i = p
    return size + 1


@njit(cache=True, inline="always")
def heap_pop(keys, vals, size):
    """Pop the smallest key's value; returns (value, new size)."""
    top = vals[0]
    size -= 1
    keys[0] = keys[size]
    vals[0] = vals[size]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        c = left
        if left + 1 < size and keys[left + 1] < keys[left]:
            c = left + 1
        if keys[i] <= keys[c]:
            break
        keys[c], keys[i] = keys[i], keys[c]
        vals[c], vals[i] = vals[i], vals[c]
        i = c
    return top, size


@njit(cache=True)
def landmark_bound(v, lm, lm_t, coef):
    """Lower bound of the weighted objective from state ``v`` to the nearest target (ALT, the
    minimum over targets). ``lm``: (objectives, landmarks, states); ``lm_t``: the same
    restricted to the targets."""
    best = np.inf
    for t in range(lm_t.shape[2]):
        total = 0.0
        for k in range(lm.shape[0]):
            if coef[k] == 0.0:
                continue
            bound = 0.0
            for i in range(lm.shape[1]):
                a = lm_t[k, i, t]
                b = lm[k, i, v]
                if np.isinf(a) and np.isinf(b):
                    continue
                d = abs(a - b)
                if d > bound:
                    bound = d
            total += coef[k] * bound
        if total < best:
            best = total
    return best


@njit(cache=True)
def astar(indptr, indices, w, sources, targets, lm, lm_t, coef):
    """A* with landmark bounds from any source to the nearest target.

    Returns (target reached or -1, its distance, predecessor CSR position per state, states
    settled)."""
    S = indptr.shape[0] - 1
    g = np.full(S, np.inf)
    h = np.full(S, -1.0)
    pred = np.full(S, -1, dtype=np.int64)
    closed = np.zeros(S, dtype=np.bool_)
    is_target = np.zeros(S, dtype=np.bool_)
    for t in targets:
        is_target[t] = True
    cap = indices.shape[0] + sources.shape[0] + 1
    hk = np.empty(cap)
    hv = np.empty(cap, dtype=np.int64)
    size = 0
    for s in sources:
        g[s] = 0.0
        h[s] = landmark_bound(s, lm, lm_t, coef)
        size = heap_push(hk, hv, size, h[s], s)
    settled = 0
    while size > 0:
        v, size = heap_pop(hk, hv, size)
        if closed[v]:
            continue
        closed[v] = True
        settled += 1
        if is_target[v]:
            return v, g[v], pred, settled
        for pos in range(indptr[v], indptr[v + 1]):
            x = indices[pos]
            if closed[x]:
                continue
            ng = g[v] + w[pos]
            if ng < g[x]:
                g[x] = ng
                pred[x] = pos
                if h[x] < 0:
                    h[x] = landmark_bound(x, lm, lm_t, coef)
                if np.isinf(h[x]):
                    continue
                size = heap_push(hk, hv, size, ng + h[x], x)
    return -1, np.inf, pred, settled


@njit(cache=True)
def unwind(pred, arcs, arc_src, target):
    """The arc ids from a source to ``target``, following predecessor CSR positions."""
    n = 0
    v = target
    while pred[v] >= 0:
        n += 1
        v = arc_src[arcs[pred[v]]]
    out = np.empty(n, dtype=np.int64)
    v = target
    for i in range(n - 1, -1, -1):
        a = arcs[pred[v]]
        out[i] = a
        v = arc_src[a]
    return out


@njit(cache=True)
def shortest_tree(indptr, indices, w, sources):
    """Dijkstra from the sources to every state: (distance, predecessor CSR position)."""
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
def tree_totals(pred, arc_src, metrics, targets):
    """Sums of ``metrics`` (m, CSR positions) along the tree paths to ``targets``:
    (m, len(targets)), inf where a target is -1 (unreachable)."""
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
