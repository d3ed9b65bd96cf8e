"""Earliest arrival on a timetable: the connection-scan algorithm (Dibbelt, Pajor, Strasser and
Wagner, "Connection Scan Algorithm", 2013/2018) with minimum transfer times and links.

Connections (scheduled hops, sorted by departure) are scanned once: a trip is boarded where the
traveller (or the container) is ready in time, stays boarded without a transfer, and every stop
reached relaxes its links, the moves that follow no timetable (reaching a station, a
frequency-based ferry, a leg of the network model). The latest departure for an arrival time is
the same scan on the reversed, negated timetable."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from silkrail.timetable.feed import Connections

_UNSCHEDULED = ("modelled", "access")


@dataclass(frozen=True)
class Link:
    """A move between two nodes that takes ``duration_s`` whenever it starts: ``kind`` says what it
    is (access, egress, transfer, frequency, modelled), ``ref`` what it stands for."""

    from_node: int
    to_node: int
    duration_s: float
    kind: str
    ref: object = None


@dataclass(frozen=True)
class Step:
    """One part of a journey: a ride on one trip (``trip`` is its index in the connections) or a
    link, from node to node, leaving at ``dep`` and arriving at ``arr`` (UTC epoch seconds)."""

    from_node: int
    to_node: int
    dep: float
    arr: float
    trip: int | None = None
    link: Link | None = None


def earliest_arrival(
    conns: Connections,
    n_nodes: int,
    source: int,
    target: int,
    depart: float,
    *,
    links: list[Link] = (),  # type: ignore[assignment]
    transfer_s: np.ndarray | None = None,
) -> list[Step] | None:
    """The steps of an earliest-arrival journey from ``source`` leaving no earlier than
    ``depart``, or None when the timetable and links never reach ``target``. Node indices below
    ``len(conns.stop_ids)`` are the feed's stops; others are places the links join."""
    return _scan(
        conns.dep_stop,
        conns.arr_stop,
        conns.dep,
        conns.arr,
        conns.trip,
        n_nodes,
        source,
        target,
        depart,
        links,
        transfer_s,
    )


def latest_departure(
    conns: Connections,
    n_nodes: int,
    source: int,
    target: int,
    arrive: float,
    *,
    links: list[Link] = (),  # type: ignore[assignment]
    transfer_s: np.ndarray | None = None,
) -> list[Step] | None:
    """The steps of the journey that leaves ``source`` latest and still reaches ``target`` by
    ``arrive``: the earliest-arrival scan run backwards in time."""
    order = np.argsort(-conns.arr, kind="stable")
    rev_links = [Link(x.to_node, x.from_node, x.duration_s, x.kind, x.ref) for x in links]
    steps = _scan(
        conns.arr_stop[order],
        conns.dep_stop[order],
        -conns.arr[order],
        -conns.dep[order],
        conns.trip[order],
        n_nodes,
        target,
        source,
        -arrive,
        rev_links,
        transfer_s,
    )
    if steps is None:
        return None
    out = []
    for s in reversed(steps):
        link = (
            None
            if s.link is None
            else Link(s.link.to_node, s.link.from_node, s.link.duration_s, s.link.kind, s.link.ref)
        )
        out.append(Step(s.to_node, s.from_node, -s.arr, -s.dep, s.trip, link))
    return out


def _scan(
    dep_stop: np.ndarray,
    arr_stop: np.ndarray,
    dep: np.ndarray,
    arr: np.ndarray,
    trip: np.ndarray,
    n_nodes: int,
    source: int,
    target: int,
    depart: float,
    links: list[Link],
    transfer_s: np.ndarray | None,
) -> list[Step] | None:
    inf = math.inf
    arrival = [inf] * n_nodes  # when a node is reached
    ready = [inf] * n_nodes  # from when a new trip can be boarded there
    label: list[Step | None] = [None] * n_nodes
    out_links: dict[int, list[Link]] = {}
    for x in links:
        out_links.setdefault(x.from_node, []).append(x)
    tr = transfer_s if transfer_s is not None else np.zeros(n_nodes)
    n_stops = len(tr)

    def reach(node: int, t: float, step: Step | None, boarding_after: float) -> None:
        """Reach ``node`` at ``t``; relax its links (a worklist: links may chain)."""
        work = [(node, t, step, boarding_after)]
        while work:
            v, tv, st, board = work.pop()
            if tv >= arrival[v]:
                continue
            arrival[v], ready[v], label[v] = tv, board, st
            unscheduled = st is not None and st.link is not None and st.link.kind in _UNSCHEDULED
            for x in out_links.get(v, ()):
                if unscheduled and x.kind == "modelled":
                    continue  # two unscheduled legs in a row would bypass the timetable
                ta = tv + x.duration_s
                if ta < arrival[x.to_node]:
                    work.append((x.to_node, ta, Step(v, x.to_node, tv, ta, link=x), ta))

    reach(source, depart, None, depart)
    entered: dict[int, int] = {}  # trip -> index of the connection it was boarded at
    start = int(np.searchsorted(dep, depart, side="left"))
    for i in range(start, len(dep)):
        d = float(dep[i])
        if d >= arrival[target]:
            break
        k = int(trip[i])
        if k not in entered:
            if ready[int(dep_stop[i])] > d:
                continue
            entered[k] = i
        a, s = float(arr[i]), int(arr_stop[i])
        if a < arrival[s]:
            first = entered[k]
            board = a + (float(tr[s]) if s < n_stops else 0.0)
            reach(s, a, Step(int(dep_stop[first]), s, float(dep[first]), a, trip=k), board)
    if arrival[target] == inf:
        return None
    steps: list[Step] = []
    node = target
    while node != source:
        st = label[node]
        assert st is not None
        steps.append(st)
        node = st.from_node
    return steps[::-1]
