"""Suggested slots at the crossings that queue: hold a train at a yard before the crossing, or let
it leave later, rather than queue at the border.

The method is earliest-due-date slotting with the crossing's capacity. A train is due at a
crossing when the forecast (its median) has it arrive there. In the order they are due, each
train gets the earliest start at or after it is due when a server is free (the crossing's
servers, no start while it is closed or beyond its servers while its capacity is cut), each
service taking the train's mean dwell. Its hold is its slot less when it is due, at most the
wait it is forecast to face in nine runs of ten (its 10th percentile: a hold must not make it
miss a slot it would have had): a train not yet departed whose first queue this is leaves later
by it; any other train waits at the last yard before the crossing. A train queueing at the
border already keeps its place.

What a hold saves: time a train stands between its departure and its arrival (queued at a border
or held at a yard) is a wait; time it leaves later is not (it reaches the crossing at the same
slot either way). So the wait saved against first come, first served is the holds taken before
departure, and the border is left free of queues. The effect is measured, not assumed: the
slotted state runs on the same seeds as the forecast, and the plan reports both.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np

from silkrail.forecast.result import Hold, Outcome, TrainForecast
from silkrail.forecast.state import CrossingSpec, LiveState
from silkrail.routing.json_types import JsonObject

SLOT_MIN_WAIT_H = 1.0
"""A crossing gets slots when a train due there within the horizon is forecast to wait longer
than this (its median)."""
MIN_HOLD_H = 0.25
"""Shorter holds are left out: they are within the forecast's noise."""


@dataclass(frozen=True)
class CrossingSlots:
    """The plan at one crossing: its trains, the waits of the plan's arithmetic (first come,
    first served at the border; and with the slots) and the holds it asks for, by where; and,
    measured over the replications, the longest median queue without and with the slots."""

    crossing: str
    name: str
    trains: int
    fcfs_wait_h: float
    border_wait_h: float
    yard_hold_h: float
    departure_hold_h: float
    peak_queue_fcfs: float = math.nan
    peak_queue_slotted: float = math.nan

    def to_dict(self) -> JsonObject:
        return {
            "crossing": self.crossing,
            "name": self.name,
            "trains": self.trains,
            "fcfs_wait_h": round(self.fcfs_wait_h, 1),
            "border_wait_h": round(self.border_wait_h, 1),
            "yard_hold_h": round(self.yard_hold_h, 1),
            "departure_hold_h": round(self.departure_hold_h, 1),
            "saved_h": round(self.fcfs_wait_h - self.border_wait_h - self.yard_hold_h, 1),
            "peak_queue_fcfs": None if math.isnan(self.peak_queue_fcfs) else round(self.peak_queue_fcfs, 1),
            "peak_queue_slotted": None
            if math.isnan(self.peak_queue_slotted)
            else round(self.peak_queue_slotted, 1),
        }


@dataclass(frozen=True)
class Measured:
    """The waits of a whole forecast (every train, every crossing; hours, the mean over the
    replications of their sum): queued at borders, held at yards, and leaving later."""

    border_wait_h: float
    yard_hold_h: float
    departure_hold_h: float

    @property
    def wait_h(self) -> float:
        """Hours trains stand between departure and arrival: border queues and yard holds."""
        return self.border_wait_h + self.yard_hold_h

    def to_dict(self) -> dict[str, float]:
        return {
            "border_wait_h": round(self.border_wait_h, 1),
            "yard_hold_h": round(self.yard_hold_h, 1),
            "departure_hold_h": round(self.departure_hold_h, 1),
            "wait_h": round(self.wait_h, 1),
        }


@dataclass(frozen=True)
class SlotPlan:
    """The slots: per crossing, the holds (train index, the visit it is held before or -1 for
    its departure, the hold), and once measured the waits first come, first served and with
    the slots."""

    crossings: tuple[CrossingSlots, ...]
    holds: tuple[tuple[int, int, str, Hold], ...]  # (train index, visit or -1, train id, hold)
    fcfs: Measured | None = None
    slotted: Measured | None = None

    @property
    def saved_h(self) -> float:
        """The wait saved against first come, first served, measured (NaN before)."""
        if self.fcfs is None or self.slotted is None:
            return math.nan
        return self.fcfs.wait_h - self.slotted.wait_h

    def for_train(self, train_id: str) -> tuple[Hold, ...]:
        return tuple(h for _, _, tid, h in self.holds if tid == train_id)

    def attach(self, trains: Sequence[TrainForecast]) -> tuple[TrainForecast, ...]:
        return tuple(replace(t, holds=self.for_train(t.id)) for t in trains)

    def to_dict(self, now: datetime) -> JsonObject:
        return {
            "method": "earliest due date with the crossing's capacity; holds before departure are not waits",
            "crossings": [c.to_dict() for c in self.crossings],
            "holds": [{"train": tid, **h.to_dict(now)} for _, _, tid, h in self.holds],
            "fcfs": None if self.fcfs is None else self.fcfs.to_dict(),
            "slotted": None if self.slotted is None else self.slotted.to_dict(),
            "saved_h": None if math.isnan(self.saved_h) else round(self.saved_h, 1),
        }


def _free_at(spec: CrossingSpec, free: list[float], t: float) -> float:
    """The earliest time at or after ``t`` when the crossing may start one more train: open, and
    fewer trains in service (``free``: when each server is free) than its servers then."""
    for _ in range(10_000):
        closure = next((w for w in spec.closures if w.covers(t)), None)
        if closure is not None:
            t = closure.end_h
            continue
        busy = sorted(f for f in free if f > t)
        if len(free) - len(busy) > 0 and len(busy) < spec.servers_at(t):
            return t
        ends = [w.end_h for w, _ in spec.cuts if w.covers(t)]
        t = min([*busy[:1], *ends]) if busy or ends else t + 1.0
    return t


def plan_crossing(
    state: LiveState, outcome: Outcome, g: int
) -> tuple[CrossingSlots, list[tuple[int, int, Hold]]]:
    """The slots at crossing ``g`` (see the module docstring)."""
    spec = state.crossings[g]
    lay = outcome.layout
    vs = np.flatnonzero(lay.crossing == g)
    free = [0.0] * spec.servers
    due: list[tuple[float, int, int, int, float]] = []  # (due, order, train, visit, wait p10)
    waits = outcome.waits()
    for n, v in enumerate(vs.tolist()):
        i, j = int(lay.train[v]), int(lay.position[v])
        t = state.trains[i]
        if j < 0:  # inside now: its server is taken for the rest of its dwell
            assert t.in_service is not None
            k = int(np.argmin(free))
            free[k] = max(free[k], t.in_service.dwell.expected_remaining(t.in_service.elapsed_h))
            continue
        a = float(np.nanmedian(outcome.arrive_h[:, v]))
        if a < state.horizon_h:
            due.append((a, n, i, j, float(np.nanpercentile(waits[:, v], 10))))
    due.sort()
    fcfs_free = list(free)
    fcfs_wait = border = yard = departure = 0.0
    holds: list[tuple[int, int, Hold]] = []
    for a, _, i, j, sure in due:
        t = state.trains[i]
        dwell = t.visits[j].dwell.mean_h
        # first come, first served, by the same arithmetic
        s0 = _free_at(spec, fcfs_free, max(a, 0.0))
        fcfs_free[int(np.argmin(fcfs_free))] = s0 + dwell
        fcfs_wait += s0 - max(a, 0.0)
        # the slot
        s = _free_at(spec, free, max(a, 0.0))
        k = max((n for n, f in enumerate(free) if f <= s), key=lambda n: free[n])
        free[k] = s + dwell
        hold = min(s - a, max(sure, 0.0))
        first_gated = all(v.crossing < 0 for v in t.visits[:j])
        if a <= 0 or hold < MIN_HOLD_H:
            border += s - max(a, 0.0)  # at the border already, or nothing worth holding for
            continue
        border += s - a - hold
        if not t.departed and t.start_h > 0 and first_gated:
            where, at = "departure", -1
            departure += hold
        else:
            where, at = "yard", j
            yard += hold
        holds.append((i, at, Hold(spec.id, spec.name, hold, where, a + hold)))
    plan = CrossingSlots(spec.id, spec.name, len(due), fcfs_wait, border, yard, departure)
    return plan, holds


def plan_slots(state: LiveState, outcome: Outcome) -> SlotPlan:
    """Slots at every crossing where a train due within the horizon is forecast to wait more
    than SLOT_MIN_WAIT_H (its median)."""
    waits = outcome.waits()
    lay = outcome.layout
    crossings: list[CrossingSlots] = []
    holds: list[tuple[int, int, str, Hold]] = []
    for g in range(len(state.crossings)):
        m = (lay.crossing == g) & (lay.position >= 0)
        if not m.any():
            continue
        med_wait = np.nanmedian(waits[:, m], axis=0)
        med_arrive = np.nanmedian(outcome.arrive_h[:, m], axis=0)
        if not np.any((med_wait > SLOT_MIN_WAIT_H) & (med_arrive < state.horizon_h)):
            continue
        plan, found = plan_crossing(state, outcome, g)
        crossings.append(plan)
        holds += [(i, at, state.trains[i].id, h) for i, at, h in found]
    return SlotPlan(tuple(crossings), tuple(holds))


def apply_holds(state: LiveState, plan: SlotPlan) -> LiveState:
    """``state`` with the plan's holds on its trains."""
    by_train: dict[int, list[tuple[int, float]]] = {}
    for i, at, _, h in plan.holds:
        by_train.setdefault(i, []).append((at, h.hours))
    trains = tuple(
        replace(t, holds=(*t.holds, *by_train[i])) if i in by_train else t for i, t in enumerate(state.trains)
    )
    return replace(state, trains=trains)


def measure(state: LiveState, outcome: Outcome) -> Measured:
    """The waits of a forecast's outcome with the holds of ``state``'s trains (means over the
    replications)."""
    waits = outcome.waits()
    border = float(np.mean(np.nansum(waits, axis=1))) if waits.size else 0.0
    yard = sum(h for t in state.trains for v, h in t.holds if v >= 0)
    departure = sum(h for t in state.trains for v, h in t.holds if v < 0)
    return Measured(border, yard, departure)


def evaluate(plan: SlotPlan, state: LiveState, fcfs: Outcome, slotted: Outcome) -> SlotPlan:
    """The plan with its effect measured: the waits first come, first served (``fcfs``, the
    forecast) and with the holds (``slotted``: the same seeds), and each crossing's longest
    median queue both ways."""
    held = apply_holds(state, plan)
    times = np.arange(0.0, state.horizon_h + 1e-9, 1.0)
    crossings = []
    for c in plan.crossings:
        g = state.crossing_index(c.crossing)
        before = float(np.max(np.median(fcfs.queue(g, times), axis=0)))
        after = float(np.max(np.median(slotted.queue(g, times), axis=0)))
        crossings.append(replace(c, peak_queue_fcfs=before, peak_queue_slotted=after))
    return replace(
        plan, crossings=tuple(crossings), fcfs=measure(state, fcfs), slotted=measure(held, slotted)
    )
