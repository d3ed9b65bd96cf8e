"""One replication: trains follow their itineraries and queue at crossings and line sections.

Everything here works on the plain data of :class:`SimInput`, so a replication can run in a
Dask worker without the network. Same input and seed, same result.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from silkrail.simulation.kernel import Kernel, Server
from silkrail.simulation.scenario import ServiceSpec, SimInput, Step

RUN_FACTOR = (0.95, 1.15, 1.0)  # running time varies: triangular (low, high, mode) x the planned time


@dataclass(slots=True)
class ServiceRun:
    """One service in one replication: its trains and the transit hours of those delivered."""

    name: str
    planned_h: float
    departed: int = 0
    delivered: int = 0
    stranded: int = 0
    rerouted: int = 0
    transit_h: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "departed": self.departed,
            "delivered": self.delivered,
            "stranded": self.stranded,
            "rerouted": self.rerouted,
            "transit_h": self.transit_h,
            "planned_h": self.planned_h,
        }


@dataclass(frozen=True, slots=True)
class ResourceRun:
    """One crossing or line section in one replication: trains served, each one's queue wait,
    utilisation, the longest queue and (traced runs only) the queue length over time."""

    name: str
    servers: int
    trains: int
    waits_h: list[float]
    utilisation: float
    max_queue: int
    queue_trace: list[tuple[float, int]] | None = None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "name": self.name,
            "servers": self.servers,
            "trains": self.trains,
            "waits_h": self.waits_h,
            "utilisation": self.utilisation,
            "max_queue": self.max_queue,
        }
        return out if self.queue_trace is None else {**out, "queue_trace": self.queue_trace}


@dataclass(frozen=True, slots=True)
class Replication:
    """The result of one seed: per service, per resource, the events handled and the end time
    (and the event log when asked for)."""

    seed: int
    services: tuple[ServiceRun, ...]
    resources: tuple[ResourceRun, ...]
    events: int
    end_h: float
    log: list[tuple[float, str]] | None = None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "seed": self.seed,
            "services": [s.to_dict() for s in self.services],
            "resources": [r.to_dict() for r in self.resources],
            "events": self.events,
            "end_h": self.end_h,
        }
        return out if self.log is None else {**out, "log": self.log}


@dataclass(slots=True, eq=False)
class _Train:
    """A train on its way: its service, itinerary and next step, when it left, its priority at
    the queues and its own random source."""

    service: int
    itinerary: list[Step]
    step: int
    departed_h: float
    priority: int
    rng: random.Random


def replicate(sim: SimInput, seed: int, *, trace: bool = False, log: bool = False) -> Replication:
    """Simulate every train of ``sim`` with one seed; returns per-service and per-resource results."""
    k = Kernel(seed, log=log)
    servers = [Server(k, r.name, r.servers, trace=trace) for r in sim.resources]
    dist = [(r.low, r.high, r.mode) for r in sim.resources]
    for i, r in enumerate(sim.resources):
        for a, b in r.closures:
            length = b - a if math.isfinite(b) else 10 * sim.horizon_h + 1e6
            k.schedule(a, _closer(servers[i], length))
    runs = [ServiceRun(s.name, s.planned_h) for s in sim.services]
    low_f, high_f, mode_f = RUN_FACTOR

    def advance(train: _Train) -> None:
        it = train.itinerary
        i = train.step
        if i == len(it):
            res = runs[train.service]
            res.delivered += 1
            res.transit_h.append(k.now - train.departed_h)
            k.record(f"arrive {sim.services[train.service].name}")
            return
        run_h, resource, _ = it[i]
        train.step = i + 1
        delay = run_h * train.rng.triangular(low_f, high_f, mode_f) if run_h > 0 else 0.0
        k.schedule(delay, arrive if resource >= 0 else advance, train)

    def arrive(train: _Train) -> None:
        resource = train.itinerary[train.step - 1][1]
        k.record(f"queue {sim.resources[resource].name}")
        servers[resource].request(train, start, priority=train.priority)

    def start(train: _Train) -> None:
        _, resource, own = train.itinerary[train.step - 1]
        # a train's own processing (a timetable trip's timed dwell), else the resource's
        low, high, mode = dist[resource] if own is None else (own[0], own[2], own[1])
        k.schedule(train.rng.triangular(low, high, mode) if high > low else mode, finish, train)

    def finish(train: _Train) -> None:
        resource = train.itinerary[train.step - 1][1]
        servers[resource].release()
        advance(train)

    def depart(arg: tuple[int, int]) -> None:
        si, j = arg
        spec = sim.services[si]
        it = _choose_itinerary(sim, spec, k.now)
        res = runs[si]
        if it is None:
            res.stranded += 1
            k.record(f"stranded {spec.name}")
            return
        if it is not spec.itinerary:
            res.rerouted += 1
        res.departed += 1
        k.record(f"depart {spec.name}")
        # each train draws from its own generator: the same train meets the same delays whatever
        # else changes (common random numbers), which makes scenario differences sharper
        rng = random.Random(seed * 1_000_000_007 + si * 100_003 + j)
        advance(_Train(si, it, 0, k.now, spec.priority, rng))

    for si, s in enumerate(sim.services):
        for j, t in enumerate(s.departures):
            k.schedule(t, depart, (si, j))
    k.run()
    horizon = max(sim.horizon_h, k.now)
    resources = tuple(
        ResourceRun(
            name=r.name,
            servers=r.servers,
            trains=srv.served,
            waits_h=srv.waits,
            utilisation=srv.utilisation(horizon),
            max_queue=srv.max_queue,
            queue_trace=srv.queue_trace if trace else None,
        )
        for r, srv in zip(sim.resources, servers, strict=True)
    )
    return Replication(seed, tuple(runs), resources, k.events_processed, k.now, k.log if log else None)


def run_replication(sim: SimInput, seed: int, *, trace: bool = False, log: bool = False) -> dict[str, object]:
    """:func:`replicate` in its JSON form (``Replication.to_dict()``)."""
    return replicate(sim, seed, trace=trace, log=log).to_dict()


def _closer(server: Server, hours: float) -> Callable[[object], None]:
    return lambda _: server.close(hours)


def _choose_itinerary(sim: SimInput, spec: ServiceSpec, now: float) -> list[Step] | None:
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
