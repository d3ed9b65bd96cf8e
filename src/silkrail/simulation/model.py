"""One replication: trains follow their itineraries and queue at crossings and line sections.

Everything here works on the plain data of :class:`SimInput`, so a replication can run in a
Dask worker without the network. Same input and seed, same result.
"""

from __future__ import annotations

import math
import random
from typing import Any

from silkrail.simulation.kernel import Kernel, Server
from silkrail.simulation.scenario import SimInput

RUN_FACTOR = (0.95, 1.15, 1.0)  # running time varies: triangular (low, high, mode) x the planned time


def run_replication(sim: SimInput, seed: int, *, trace: bool = False, log: bool = False) -> dict[str, Any]:
    """Simulate every train of ``sim`` with one seed; returns per-service and per-resource results."""
    k = Kernel(seed, log=log)
    servers = [Server(k, r.name, r.servers, trace=trace) for r in sim.resources]
    dist = [(r.low, r.high, r.mode) for r in sim.resources]
    for i, r in enumerate(sim.resources):
        for a, b in r.closures:
            length = b - a if math.isfinite(b) else 10 * sim.horizon_h + 1e6
            k.schedule(a, _closer(servers[i], length))
    out_services: list[dict[str, Any]] = [
        {
            "name": s.name,
            "departed": 0,
            "delivered": 0,
            "stranded": 0,
            "rerouted": 0,
            "transit_h": [],
            "planned_h": s.planned_h,
        }
        for s in sim.services
    ]
    low_f, high_f, mode_f = RUN_FACTOR

    def advance(train: list[Any]) -> None:
        # train: [service index, itinerary, next step, departure time, priority, its own random source]
        it = train[1]
        i = train[2]
        if i == len(it):
            res = out_services[train[0]]
            res["delivered"] += 1
            res["transit_h"].append(k.now - train[3])
            k.record(f"arrive {sim.services[train[0]].name}")
            return
        run_h, resource, _ = it[i]
        train[2] = i + 1
        delay = run_h * train[5].triangular(low_f, high_f, mode_f) if run_h > 0 else 0.0
        k.schedule(delay, arrive if resource >= 0 else advance, train)

    def arrive(train: list[Any]) -> None:
        resource = train[1][train[2] - 1][1]
        k.record(f"queue {sim.resources[resource].name}")
        servers[resource].request(train, start, priority=train[4])

    def start(train: list[Any]) -> None:
        _, resource, own = train[1][train[2] - 1]
        # a train's own processing (a timetable trip's timed dwell), else the resource's
        low, high, mode = dist[resource] if own is None else (own[0], own[2], own[1])
        k.schedule(train[5].triangular(low, high, mode) if high > low else mode, finish, train)

    def finish(train: list[Any]) -> None:
        resource = train[1][train[2] - 1][1]
        servers[resource].release()
        advance(train)

    def depart(arg: tuple[int, int]) -> None:
        si, j = arg
        spec = sim.services[si]
        it = _choose_itinerary(sim, spec, k.now)
        res = out_services[si]
        if it is None:
            res["stranded"] += 1
            k.record(f"stranded {spec.name}")
            return
        if it is not spec.itinerary:
            res["rerouted"] += 1
        res["departed"] += 1
        k.record(f"depart {spec.name}")
        # each train draws from its own generator: the same train meets the same delays whatever
        # else changes (common random numbers), which makes scenario differences sharper
        rng = random.Random(seed * 1_000_000_007 + si * 100_003 + j)
        advance([si, it, 0, k.now, spec.priority, rng])

    for si, s in enumerate(sim.services):
        for j, t in enumerate(s.departures):
            k.schedule(t, depart, (si, j))
    k.run()
    horizon = max(sim.horizon_h, k.now)
    resources = []
    for r, srv in zip(sim.resources, servers, strict=True):
        item: dict[str, Any] = {
            "name": r.name,
            "servers": r.servers,
            "trains": srv.served,
            "waits_h": srv.waits,
            "utilisation": srv.utilisation(horizon),
            "max_queue": srv.max_queue,
        }
        if trace:
            item["queue_trace"] = srv.queue_trace
        resources.append(item)
    result: dict[str, Any] = {
        "seed": seed,
        "services": out_services,
        "resources": resources,
        "events": k.events_processed,
        "end_h": k.now,
    }
    if log:
        result["log"] = k.log
    return result


def _closer(server: Server, hours: float) -> Any:
    return lambda _: server.close(hours)


def _choose_itinerary(sim: SimInput, spec: Any, now: float) -> Any:
    """The primary itinerary, unless a resource on it is closed when the train would reach it:
    then an alternative that avoids it, or the same route (the train waits) if the closure ends,
    or None (stranded) if it does not and there is no alternative."""
    t = now
    for run_h, resource, own in spec.itinerary:
        t += run_h
        if resource < 0:
            continue
        r = sim.resources[resource]
        for a, b in r.closures:
            if a <= t < b:
                for avoided, alt in spec.alternatives:
                    if resource in avoided:
                        return alt
                return spec.itinerary if math.isfinite(b) else None
        t += sum(own) / 3 if own is not None else (r.low + r.mode + r.high) / 3
    return spec.itinerary
