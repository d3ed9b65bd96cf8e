"""The connection-scan loop, compiled: one pass over the connections in departure order.

Links (moves that follow no timetable) arrive as CSR arrays by their start node; reaching a node
relaxes them through a small stack, since links may chain (a modelled link never follows a
modelled or access link). Labels record how each node was reached, for the journey's steps."""

from __future__ import annotations

import numpy as np

from silkrail.jit import njit

KIND_NONE, KIND_TRIP, KIND_LINK = 0, 1, 2


@njit(cache=True)
def scan(
    dep_stop: np.ndarray,
    arr_stop: np.ndarray,
    dep: np.ndarray,
    arr: np.ndarray,
    trip: np.ndarray,
    n_trips: int,
    n_nodes: int,
    source: int,
    target: int,
    depart: float,
    link_ptr: np.ndarray,  # CSR by start node: links link_ptr[v]..link_ptr[v+1]
    link_to: np.ndarray,
    link_dur: np.ndarray,
    link_modelled: np.ndarray,  # bool: a modelled link
    link_unscheduled: np.ndarray,  # bool: modelled or access (no modelled link may follow it)
    transfer_s: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(arrival, label kind, label from-node, label departure, label ref) per node; the ref is a
    trip index for a ride, a link index for a link."""
    inf = np.inf
    arrival = np.full(n_nodes, inf)
    ready = np.full(n_nodes, inf)
    kind = np.zeros(n_nodes, np.int8)
    frm = np.full(n_nodes, -1, np.int64)
    ldep = np.zeros(n_nodes)
    ref = np.full(n_nodes, -1, np.int64)
    entered = np.full(n_trips, -1, np.int64)
    n_stops = len(transfer_s)
    stack_node = np.empty(max(16, 4 * (len(link_to) + 1)), np.int64)
    stack_t = np.empty(len(stack_node))
    stack_from = np.empty(len(stack_node), np.int64)
    stack_dep = np.empty(len(stack_node))
    stack_kind = np.empty(len(stack_node), np.int8)
    stack_ref = np.empty(len(stack_node), np.int64)
    stack_board = np.empty(len(stack_node))

    def _push(sp, v, t, f, d, k, r, b):
        if sp < len(stack_node):
            stack_node[sp], stack_t[sp], stack_from[sp], stack_dep[sp] = v, t, f, d
            stack_kind[sp], stack_ref[sp], stack_board[sp] = k, r, b
            return sp + 1
        return sp

    sp = _push(0, source, depart, -1, depart, KIND_NONE, -1, depart)
    start = np.searchsorted(dep, depart)
    i = start
    m = len(dep)
    while True:
        # settle everything waiting on the stack (links chain from what was reached)
        while sp > 0:
            sp -= 1
            v, tv = stack_node[sp], stack_t[sp]
            if tv >= arrival[v]:
                continue
            arrival[v], ready[v] = tv, stack_board[sp]
            kind[v], frm[v], ldep[v], ref[v] = stack_kind[sp], stack_from[sp], stack_dep[sp], stack_ref[sp]
            unscheduled = stack_kind[sp] == KIND_LINK and link_unscheduled[stack_ref[sp]]
            for x in range(link_ptr[v], link_ptr[v + 1]):
                if unscheduled and link_modelled[x]:
                    continue
                ta = tv + link_dur[x]
                if ta < arrival[link_to[x]]:
                    sp = _push(sp, link_to[x], ta, v, tv, KIND_LINK, x, ta)
        if i >= m:
            break
        d = dep[i]
        if d >= arrival[target]:
            break
        k = trip[i]
        if entered[k] < 0:
            if ready[dep_stop[i]] > d:
                i += 1
                continue
            entered[k] = i
        a, s = arr[i], arr_stop[i]
        if a < arrival[s]:
            first = entered[k]
            board = a + (transfer_s[s] if s < n_stops else 0.0)
            sp = _push(sp, s, a, dep_stop[first], dep[first], KIND_TRIP, k, board)
        i += 1
    return arrival, kind, frm, ldep, ref
