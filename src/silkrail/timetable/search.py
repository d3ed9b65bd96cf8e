"""Earliest arrival on a timetable: the connection-scan algorithm (Dibbelt, Pajor, Strasser and
Wagner, "Connection Scan Algorithm", 2013/2018) with minimum transfer times and links.

Connections (scheduled hops, sorted by departure) are scanned once: a trip is boarded where the
traveller (or the container) is ready in time, stays boarded without a transfer, and every stop
reached relaxes its links, the moves that follow no timetable (reaching a station, a
frequency-based ferry, a leg of the network model). The latest departure for an arrival time is
the same scan on the reversed, negated timetable."""

from __future__ import annotations

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
    from silkrail.timetable._scan import KIND_TRIP, scan

    order = sorted(range(len(links)), key=lambda x: links[x].from_node)
    ptr = np.zeros(n_nodes + 1, np.int64)
    for x in links:
        ptr[x.from_node + 1] += 1
    ptr = np.cumsum(ptr)
    to = np.array([links[x].to_node for x in order], np.int64)
    dur = np.array([links[x].duration_s for x in order], np.float64)
    modelled = np.array([links[x].kind == "modelled" for x in order], np.bool_)
    unscheduled = np.array([links[x].kind in _UNSCHEDULED for x in order], np.bool_)
    tr = np.asarray(transfer_s if transfer_s is not None else np.zeros(0), np.float64)
    n_trips = int(trip.max()) + 1 if len(trip) else 0
    arrival, kind, frm, ldep, ref = scan(
        np.asarray(dep_stop, np.int64),
        np.asarray(arr_stop, np.int64),
        np.asarray(dep, np.float64),
        np.asarray(arr, np.float64),
        np.asarray(trip, np.int64),
        n_trips,
        n_nodes,
        source,
        target,
        float(depart),
        ptr,
        to,
        dur,
        modelled,
        unscheduled,
        tr,
    )
    if not np.isfinite(arrival[target]):
        return None
    steps: list[Step] = []
    node = target
    while node != source:
        f = int(frm[node])
        if kind[node] == KIND_TRIP:
            steps.append(Step(f, node, float(ldep[node]), float(arrival[node]), trip=int(ref[node])))
        else:
            steps.append(
                Step(f, node, float(ldep[node]), float(arrival[node]), link=links[order[int(ref[node])]])
            )
        node = f
    return steps[::-1]
