"""Benchmark: schedule-aware queries (connection scan) against a plain time-expanded Dijkstra.

The timetable is the corridor services plus one national-size feed generated here (no real one
can be fetched in this workplace), written as GTFS and imported like an operator's feed:
``--stations`` stations on ``--lines`` lines, each line served both ways every 10 to 60 minutes
for 18 hours. The baseline is Dijkstra over the time-expanded graph of the same connections (a
node per departure and arrival event; ride, dwell, wait and transfer arcs), built once before
timing. Both answer the same random queries in this run; their earliest arrivals must agree, and
the printed figure is the ratio of medians.

    python bench/timetable_query.py [--queries 200] [--stations 800] [--lines 60]
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import math
import random
import statistics
import tempfile
import time
from itertools import pairwise
from pathlib import Path

import numpy as np

from silkrail.timetable.export import write_gtfs
from silkrail.timetable.feed import Agency, Calendar, Connections, Feed, Service, Stop, StopTime, Trip
from silkrail.timetable.gtfs_import import prefix_ids, read_gtfs
from silkrail.timetable.journey import search_feed, transfer_times
from silkrail.timetable.services import load_services

DAY = dt.date(2026, 12, 3)
TZ = dt.timezone(dt.timedelta(hours=7))


def national_feed(stations: int, lines: int, seed: int) -> Feed:
    """Lines through random stations of a 1,500 x 600 km country, trains both ways all day."""
    rng = random.Random(seed)
    stops = tuple(
        Stop(f"s{i}", f"Station {i}", 8 + rng.random() * 14, 102 + rng.random() * 7, "Asia/Ho_Chi_Minh")
        for i in range(stations)
    )
    cal = Calendar(dt.date(2026, 1, 1), dt.date(2027, 12, 31))
    services, trips = [], []
    hubs = list(range(0, stations, max(1, stations // 20)))  # lines meet at hubs
    for k in range(lines):
        n = rng.randint(12, 40)
        path = rng.sample(range(stations), n - 2)
        path = [rng.choice(hubs), *path, rng.choice(hubs)]
        hops = [rng.randint(6, 25) * 60 for _ in range(n - 1)]
        headway = rng.choice((10, 15, 20, 30, 60)) * 60
        services.append(Service(f"l{k}", "nat", f"L{k}", f"Line {k}", "passenger"))
        for direction, order in enumerate((path, path[::-1])):
            times = hops if direction == 0 else hops[::-1]
            for j, start in enumerate(range(5 * 3600, 23 * 3600, headway)):
                t, sts = start, []
                for i, s in enumerate(order):
                    arr = t
                    dep = t + (60 if 0 < i < n - 1 else 0)
                    sts.append(StopTime(f"s{s}", arr, dep))
                    t = dep + (times[i] if i < n - 1 else 0)
                trips.append(Trip(f"l{k}-{direction}-{j}", f"l{k}", cal, tuple(sts)))
    return Feed(
        timezone="Asia/Ho_Chi_Minh",
        agencies=(Agency("nat", "National Railway", "https://example.org/", "Asia/Ho_Chi_Minh"),),
        stops=stops,
        services=tuple(services),
        trips=tuple(trips),
        min_transfer_s={"passenger": 300},
        start=dt.date(2026, 1, 1),
        end=dt.date(2027, 12, 31),
    )


class TimeExpanded:
    """The time-expanded graph of a set of connections: the plain baseline. Each connection i has
    three nodes: 3i waiting at its stop ready to board it, 3i+1 its departure on board, 3i+2 its
    arrival on board. Arcs: wait (to the stop's next departure), board, ride, stay on board (to
    the trip's next connection) and alight-and-transfer (to the first departure at the stop after
    the minimum transfer time)."""

    def __init__(self, conns: Connections, transfer_s: np.ndarray) -> None:
        m = len(conns.dep)
        dep_stop, arr_stop, dep, arr, trip = conns.dep_stop, conns.arr_stop, conns.dep, conns.arr, conns.trip
        self.n = 3 * m
        self.adj: list[list[tuple[int, float]]] = [[] for _ in range(self.n)]
        self.arr_stop = arr_stop
        by_stop: dict[int, list[int]] = {}
        for i in range(m):
            self.adj[3 * i].append((3 * i + 1, 0.0))  # board
            self.adj[3 * i + 1].append((3 * i + 2, float(arr[i] - dep[i])))  # ride
            by_stop.setdefault(int(dep_stop[i]), []).append(i)
        self.deps: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for st, idx in by_stop.items():
            order = sorted(idx, key=lambda i: dep[i])
            for a, b in pairwise(order):
                self.adj[3 * a].append((3 * b, float(dep[b] - dep[a])))  # wait for the next one
            self.deps[st] = (np.array([dep[i] for i in order]), np.array(order))
        last_of_trip: dict[int, int] = {}
        for i in sorted(range(m), key=lambda i: dep[i]):
            k = int(trip[i])
            if k in last_of_trip:
                j = last_of_trip[k]
                self.adj[3 * j + 2].append((3 * i + 1, float(dep[i] - arr[j])))  # stay on board
            last_of_trip[k] = i
        for i in range(m):
            st = int(arr_stop[i])
            if st in self.deps:
                times, order = self.deps[st]
                p = int(np.searchsorted(times, arr[i] + transfer_s[st]))
                if p < len(order):
                    b = int(order[p])
                    self.adj[3 * i + 2].append((3 * b, float(dep[b] - arr[i])))  # alight and transfer

    def earliest_arrival(self, source: int, target: int, t0: float) -> float:
        if source not in self.deps:
            return math.inf
        times, order = self.deps[source]
        p = int(np.searchsorted(times, t0))
        if p >= len(order):
            return math.inf
        start = 3 * int(order[p])
        dist = {start: float(times[p])}
        heap = [(float(times[p]), start)]
        while heap:
            d, v = heapq.heappop(heap)
            if d > dist.get(v, math.inf):
                continue
            if v % 3 == 2 and self.arr_stop[v // 3] == target:
                return d
            for w, c in self.adj[v]:
                nd = d + c
                if nd < dist.get(w, math.inf):
                    dist[w] = nd
                    heapq.heappush(heap, (nd, w))
        return math.inf


def _joined(hops: dict[int, set[int]], a: int, b: int) -> bool:
    seen, todo = {a}, [a]
    while todo:
        v = todo.pop()
        if v == b:
            return True
        for w in hops.get(v, ()):
            if w not in seen:
                seen.add(w)
                todo.append(w)
    return False


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--stations", type=int, default=800)
    ap.add_argument("--lines", type=int, default=60)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    national = national_feed(args.stations, args.lines, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "national.zip"
        t = time.perf_counter()
        write_gtfs(national, path)
        t_write = time.perf_counter() - t
        t = time.perf_counter()
        imported = prefix_ids(read_gtfs(path), "nat")
        t_read = time.perf_counter() - t
    feed = load_services().merged(imported)
    n_stop_times = sum(len(tr.stop_times) for tr in feed.trips)
    print(
        f"feed: {len(feed.stops):,} stops, {len(feed.trips):,} trips, {n_stop_times:,} stop times "
        f"(GTFS written in {t_write:.1f} s, imported in {t_read:.1f} s)"
    )

    rng = random.Random(args.seed)
    stop_ids = [s.id for s in feed.stops]
    index = {s: i for i, s in enumerate(stop_ids)}
    nat_stops = [s.id for s in imported.stops]
    queries = []
    unreachable = 0
    while len(queries) < args.queries:  # pairs some sequence of trips joins (others end at once)
        a, b = rng.sample(nat_stops, 2)
        if not _joined(feed.hops, index[a], index[b]):
            unreachable += 1
            continue
        when = dt.datetime(2026, 12, 3, rng.randint(5, 20), rng.randint(0, 59), tzinfo=TZ)
        queries.append((a, b, when))
    print(
        f"{args.queries} queries between stations that trips join, and Nanning -> Gia Lam "
        f"({unreachable} pairs drawn and left out: no trips join them, which the search tells at once)"
    )
    queries += [
        ("nanning", "gia-lam", dt.datetime(2026, 12, 3, 17, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    ]

    t = time.perf_counter()
    search_feed(feed, queries[0][0], queries[0][1], depart=queries[0][2])  # builds the days' connections
    print(f"first query (expands the timetable's two days into connections): {time.perf_counter() - t:.1f} s")
    csa_ms, csa_arr = [], []
    for a, b, when in queries:
        t = time.perf_counter()
        found = search_feed(feed, a, b, depart=when)
        csa_ms.append((time.perf_counter() - t) * 1000)
        if found is not None and not found[0]:
            raise SystemExit(f"empty journey for {a} -> {b} at {when}")
        csa_arr.append(found[0][-1].arr if found else math.inf)

    times = [when.timestamp() for _, _, when in queries]
    conns = feed.connections(min(times), max(times) + 2 * 86400)  # every query's two days
    t = time.perf_counter()
    te = TimeExpanded(conns, transfer_times(feed, "any"))
    t_build = time.perf_counter() - t
    te_ms, te_arr = [], []
    for a, b, when in queries:
        t = time.perf_counter()
        te_arr.append(
            te.earliest_arrival(index[a], index[b], when.timestamp()) if a != b else when.timestamp()
        )
        te_ms.append((time.perf_counter() - t) * 1000)

    agree = sum(
        1 for x, y in zip(csa_arr, te_arr, strict=True) if (x == y) or (math.isinf(x) and math.isinf(y))
    )
    print(
        f"connections in the queries' window: {len(conns):,}; time-expanded graph: {te.n:,} nodes, "
        f"built in {t_build:.1f} s (not timed in its queries)"
    )
    print(
        f"connection scan:         median {statistics.median(csa_ms):7.2f} ms, "
        f"p90 {statistics.quantiles(csa_ms, n=10)[-1]:7.2f} ms"
    )
    print(
        f"time-expanded Dijkstra:  median {statistics.median(te_ms):7.2f} ms, "
        f"p90 {statistics.quantiles(te_ms, n=10)[-1]:7.2f} ms"
    )
    print(f"ratio (Dijkstra / scan, medians): {statistics.median(te_ms) / statistics.median(csa_ms):.2f}")
    print(f"earliest arrivals agree on {agree} of {len(queries)} queries")
    for (a, b, when), x, y in zip(queries, csa_arr, te_arr, strict=True):
        if x != y and not (math.isinf(x) and math.isinf(y)):
            print(f"  differ: {a} -> {b} at {when.isoformat()}: scan {x}, time-expanded {y}")


if __name__ == "__main__":
    main()
