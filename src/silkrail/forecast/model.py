"""One replication of a forecast: the live trains run on from their state on the simulation
kernel, queueing at the crossings ahead of them (``servers`` at a time, first come, first
served; none while a crossing is closed).

A train's remaining running time is its planned one times its pace, drawn once per train and
replication from the simulation's running-time factor (a train slow on one stretch is slow on
the next), updated by the pace observed since its last crossing (both taken as normal: the
posterior of the two); each dwell is drawn from the train's own dwell at that stop (log-normal: the route's
figure or the tracker's learned one). Train ``i`` takes its draws from row ``i`` of one matrix of
standard normal draws per replication (DRAWS a row), so the same train meets the same draws
whatever else changes (common random numbers: a what-if differs from the live forecast by the
change alone, and trains it adds come last). Same state and seed, same result.

Trains whose dead-reckoned arrival at a crossing lies in the past are queued there now, in the
order they would have arrived.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from silkrail.forecast.state import PACE_LIMITS, CrossingSpec, LiveState, LiveTrain
from silkrail.simulation.kernel import Kernel
from silkrail.simulation.model import RUN_FACTOR

Floats = npt.NDArray[np.float64]
DRAWS = 64
"""Draws a train has in one replication: its pace, one per stop, and (the last) the error of where
it was last reported (stops beyond DRAWS - 2 share the next to last)."""
_NORMAL = NormalDist()


@dataclass(frozen=True)
class Layout:
    """The gated visits of a state, numbered: visit ``v`` is train ``train[v]`` at crossing
    ``crossing[v]``, its visit ``position[v]`` (-1: the crossing it is inside now)."""

    train: npt.NDArray[np.int64]
    position: npt.NDArray[np.int64]
    crossing: npt.NDArray[np.int64]
    first: tuple[int, ...]  # per train: the index of its first gated visit (its visits follow in order)

    @classmethod
    def of(cls, state: LiveState) -> Layout:
        train: list[int] = []
        position: list[int] = []
        crossing: list[int] = []
        first: list[int] = []
        for i, t in enumerate(state.trains):
            first.append(len(train))
            if t.in_service is not None and t.in_service.crossing >= 0:
                train.append(i)
                position.append(-1)
                crossing.append(t.in_service.crossing)
            for j, v in enumerate(t.visits):
                if v.crossing >= 0:
                    train.append(i)
                    position.append(j)
                    crossing.append(v.crossing)
        return cls(
            np.asarray(train, dtype=np.int64),
            np.asarray(position, dtype=np.int64),
            np.asarray(crossing, dtype=np.int64),
            tuple(first),
        )

    @property
    def size(self) -> int:
        return len(self.train)


@dataclass(frozen=True)
class Replication:
    """One replication's outcome, in hours from now: each train's arrival at its destination,
    and each gated visit's arrival at the crossing and start of service there (a train inside
    a crossing at the start: both at minus the hours it has been inside)."""

    seed: int
    eta_h: Floats
    arrive_h: Floats
    start_h: Floats


@dataclass(slots=True)
class _Job:
    """A train on its way in one replication: its index, its next visit, its row of draws and
    the next draw to take, its pace, and the number of its next gated visit."""

    train: int
    visit: int
    row: list[float]
    pace: float
    gated: int
    draw: int = 1

    def next_draw(self) -> float:
        n = self.draw
        self.draw = n + 1
        return self.row[min(n, DRAWS - 2)]


class _Gate:
    """A crossing on the kernel: ``servers`` trains at once, a FIFO queue, closures and cuts."""

    __slots__ = ("base", "busy", "closed", "cuts", "k", "queue", "servers")

    def __init__(self, k: Kernel, spec: CrossingSpec) -> None:
        self.k = k
        self.base = spec.servers
        self.servers = spec.servers
        self.busy = 0
        self.closed = 0
        self.cuts: list[int] = []
        self.queue: deque[tuple[_Job, Callable[[_Job], None]]] = deque()
        for w in spec.closures:
            if w.end_h <= 0:
                continue
            k.schedule(max(w.start_h, 0.0), self._close)
            if math.isfinite(w.end_h):
                k.schedule(w.end_h, self._open)
        for w, n in spec.cuts:
            if w.end_h <= 0:
                continue
            k.schedule(max(w.start_h, 0.0), self._cut, n)
            if math.isfinite(w.end_h):
                k.schedule(w.end_h, self._uncut, n)

    def _close(self, _: object = None) -> None:
        self.closed += 1

    def _open(self, _: object = None) -> None:
        self.closed -= 1
        self._next()

    def _cut(self, n: int) -> None:
        self.cuts.append(n)
        self.servers = min(self.cuts)

    def _uncut(self, n: int) -> None:
        self.cuts.remove(n)
        self.servers = min(self.cuts) if self.cuts else self.base
        self._next()

    def occupy(self) -> None:
        """A train inside already (at the start): it holds a server, whatever the capacity."""
        self.busy += 1

    def request(self, job: _Job, on_start: Callable[[_Job], None]) -> None:
        if not self.closed and self.busy < self.servers and not self.queue:
            self.busy += 1
            on_start(job)
            return
        self.queue.append((job, on_start))

    def release(self) -> None:
        self.busy -= 1
        self._next()

    def _next(self) -> None:
        while self.queue and not self.closed and self.busy < self.servers:
            job, on_start = self.queue.popleft()
            self.busy += 1
            on_start(job)


def draws(seed: int, trains: int) -> list[list[float]]:
    """Replication ``seed``'s standard normal draws: a row of DRAWS per train. Row ``i`` does not
    depend on how many trains there are."""
    gen = np.random.default_rng([seed, 0x51C4])
    return gen.standard_normal((trains, DRAWS)).tolist()


def posterior_pace(seen: tuple[float, float], prior: tuple[float, float, float], z: float) -> float:
    """A pace drawn (at standard normal ``z``) from what is known of it: the prior (the running-
    time factor, as a normal of the triangle's mean and spread) updated by the observed pace and
    its standard error (both normal)."""
    low, high, mode = prior
    m0 = (low + high + mode) / 3
    v0 = (low * low + high * high + mode * mode - low * high - low * mode - high * mode) / 18
    p, se = seen
    v1 = max(se * se, 1e-8)
    var = 1.0 / (1.0 / v0 + 1.0 / v1)
    mean = var * (m0 / v0 + p / v1)
    return min(max(mean + math.sqrt(var) * z, PACE_LIMITS[0]), PACE_LIMITS[1])


def triangular_at(z: float, low: float, high: float, mode: float) -> float:
    """The triangular distribution's value at the probability of standard normal ``z``."""
    u = _NORMAL.cdf(z)
    if high <= low:
        return mode
    c = (mode - low) / (high - low)
    if u < c:
        return low + math.sqrt(u * (high - low) * (mode - low))
    return high - math.sqrt((1 - u) * (high - low) * (high - mode))


def replicate(
    state: LiveState,
    seed: int,
    *,
    layout: Layout | None = None,
    run_factor: tuple[float, float, float] = RUN_FACTOR,
) -> Replication:
    """Run every train of ``state`` to its destination once (replication ``seed``)."""
    layout = layout or Layout.of(state)
    k = Kernel(seed)
    gates = [_Gate(k, c) for c in state.crossings]
    trains = state.trains
    n = len(trains)
    eta = np.full(n, np.nan)
    arrive = np.full(layout.size, np.nan)
    start = np.full(layout.size, np.nan)
    low_f, high_f, mode_f = run_factor
    fixed_pace = low_f == high_f

    def finish_stop(job: _Job) -> None:
        t: LiveTrain = trains[job.train]
        v = job.visit
        if v < len(t.visits) and t.visits[v].crossing >= 0:
            gates[t.visits[v].crossing].release()
        job.visit = v + 1
        go_on(job)

    def start_service(job: _Job) -> None:
        t: LiveTrain = trains[job.train]
        visit = t.visits[job.visit]
        start[job.gated] = k.now
        job.gated += 1
        dwell = visit.dwell
        spec = state.crossings[visit.crossing]
        if spec.dwell_changes:
            dwell = spec.dwell_at(dwell, k.now)
        k.schedule(dwell.at(job.next_draw()), finish_stop, job)

    def reach_stop(job: _Job) -> None:
        t: LiveTrain = trains[job.train]
        visit = t.visits[job.visit]
        if visit.crossing < 0:  # a stop without a capacity: its dwell, no queue
            k.schedule(visit.dwell.at(job.next_draw()), finish_stop, job)
            return
        arrive[job.gated] = k.now
        gates[visit.crossing].request(job, start_service)

    def reach_end(job: _Job) -> None:
        eta[job.train] = k.now

    def leg_h(job: _Job) -> float:
        """The hours to the next stop (or the destination), the train's hold before it included."""
        t: LiveTrain = trains[job.train]
        v = job.visit
        run = t.visits[v].run_h if v < len(t.visits) else t.final_run_h
        return run * job.pace + (t.hold_before(v) if t.holds else 0.0)

    def go_on(job: _Job) -> None:
        t: LiveTrain = trains[job.train]
        k.schedule(leg_h(job), reach_stop if job.visit < len(t.visits) else reach_end, job)

    first_events: list[tuple[float, int, _Job]] = []
    rows = draws(seed, n)
    for i, t in enumerate(trains):
        row = rows[i]
        if t.pace is None or fixed_pace:
            pace = mode_f if fixed_pace else triangular_at(row[0], low_f, high_f, mode_f)
        else:
            pace = posterior_pace(t.pace, run_factor, row[0])
        job = _Job(i, 0, row, pace, layout.first[i])
        ins = t.in_service
        if ins is not None:
            left = ins.dwell.remaining_at(ins.elapsed_h, job.next_draw())
            if ins.crossing >= 0:
                arrive[job.gated] = start[job.gated] = -ins.elapsed_h
                job.gated += 1
                gates[ins.crossing].occupy()
                k.schedule(left, _leave_inside, (job, gates[ins.crossing], go_on))
            else:
                k.schedule(left, go_on, job)
            continue
        t0 = t.start_h + (t.hold_before(-1) if t.holds else 0.0)
        if t.start_error_h:
            t0 += t.start_error_h * row[DRAWS - 1]
        first_events.append((t0 + leg_h(job), i, job))

    def past_arrival(arg: tuple[_Job, float]) -> None:
        # an arrival the dead reckoning puts in the past happens now, but is recorded at its own
        # time: the train's place in the queue and its wait count from then
        job, when = arg
        t: LiveTrain = trains[job.train]
        if job.visit >= len(t.visits):
            reach_end(job)
            return
        gated, v = t.visits[job.visit].crossing >= 0, job.gated
        reach_stop(job)
        if gated:
            arrive[v] = when

    # the trains due somewhere already come first, in the order they would have got there
    for when, _, job in sorted(first_events, key=lambda e: (e[0], e[1])):
        if when < 0:
            k.schedule(0.0, past_arrival, (job, when))
        else:
            k.schedule(when, reach_stop if job.visit < len(trains[job.train].visits) else reach_end, job)
    k.run()
    return Replication(seed, eta, arrive, start)


def _leave_inside(arg: tuple[_Job, _Gate, Callable[[_Job], None]]) -> None:
    job, gate, go_on = arg
    gate.release()
    go_on(job)
