"""A forecast as frozen records: per crossing its queue and wait over time, per train its ETA,
each as a band of the replications' 10th, 50th and 90th percentiles; the predicted congestion
alerts; ``to_dict()`` gives the JSON of ``GET /api/v1/forecast``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from silkrail.forecast.model import Layout, Replication
from silkrail.forecast.state import LiveState
from silkrail.routing.json_types import JsonObject

if TYPE_CHECKING:
    from silkrail.forecast.slots import SlotPlan

ALERT_QUEUE = 3.0
"""A crossing's predicted queue (trains waiting, median) that raises a congestion alert."""
ALERT_WAIT_H = 12.0
"""A crossing's predicted wait (90th percentile) that raises a congestion alert."""
DEFAULT_STEP_H = 3.0


@dataclass(frozen=True, slots=True)
class Band:
    """The 10th, 50th and 90th percentiles of a forecast quantity over the replications."""

    p10: float
    p50: float
    p90: float

    @classmethod
    def of(cls, values: npt.ArrayLike) -> Band:
        a = np.asarray(values, dtype=np.float64)
        a = a[np.isfinite(a)]
        if a.size == 0:
            return cls(math.nan, math.nan, math.nan)
        lo, mid, hi = np.percentile(a, (10, 50, 90))
        return cls(float(lo), float(mid), float(hi))

    def to_dict(self, digits: int = 2) -> dict[str, float | None]:
        return {k: _num(getattr(self, k), digits) for k in ("p10", "p50", "p90")}

    def times(self, now: datetime) -> dict[str, str | None]:
        """The band of hours from ``now`` as ISO times."""
        return {k: iso_time(now, getattr(self, k)) for k in ("p10", "p50", "p90")}

    def covers(self, x: float) -> bool:
        return self.p10 <= x <= self.p90


def _num(x: float, digits: int) -> float | None:
    return None if not math.isfinite(x) else round(x, digits)


def iso_time(now: datetime, hours: float) -> str | None:
    """The time ``hours`` after ``now`` as ISO 8601 text in UTC (None beyond the calendar)."""
    if not math.isfinite(hours):
        return None
    try:
        return (now + timedelta(hours=hours)).astimezone(UTC).isoformat(timespec="seconds")
    except OverflowError:
        return None


@dataclass(frozen=True, slots=True)
class Point:
    """A band at a time (hours from now), with the mean count of trains it was drawn from."""

    t_h: float
    band: Band
    trains: float = 0.0


@dataclass(frozen=True)
class CrossingForecast:
    """One crossing: its queue (trains waiting, not those being served) at each step, the wait
    of the trains arriving in each step, the wait of every train arriving within the horizon,
    and how many trains arrive then (a mean over the replications)."""

    id: str
    name: str
    lat: float
    lon: float
    servers: int
    capacity_per_day: float
    queue: tuple[Point, ...]
    wait: tuple[Point, ...]
    wait_h: Band
    trains: float
    closed: tuple[tuple[float, float], ...] = ()

    @property
    def peak(self) -> Point:
        """The step where the median queue is longest (the first of equals)."""
        return max(self.queue, key=lambda p: (p.band.p50, -p.t_h))

    def to_dict(self, now: datetime) -> JsonObject:
        peak = self.peak
        return {
            "id": self.id,
            "name": self.name,
            "lat": round(self.lat, 5),
            "lon": round(self.lon, 5),
            "servers": self.servers,
            "capacity_trains_per_day": self.capacity_per_day,
            "trains": round(self.trains, 2),
            "queue": [{"t": iso_time(now, p.t_h), "h": p.t_h, **p.band.to_dict(1)} for p in self.queue],
            "wait": [
                {"t": iso_time(now, p.t_h), "h": p.t_h, "trains": round(p.trains, 2), **p.band.to_dict(1)}
                for p in self.wait
            ],
            "wait_h": self.wait_h.to_dict(1),
            "peak": {"t": iso_time(now, peak.t_h), "h": peak.t_h, "queue": round(peak.band.p50, 1)},
            "closed": [{"from": iso_time(now, a), "to": iso_time(now, b)} for a, b in self.closed],
        }


@dataclass(frozen=True)
class CrossingVisit:
    """A train at a crossing ahead: when it gets there and how long it waits (hours from now)."""

    crossing: str
    name: str
    arrive_h: Band
    wait_h: Band

    def to_dict(self, now: datetime) -> JsonObject:
        return {
            "crossing": self.crossing,
            "name": self.name,
            "arrive": self.arrive_h.times(now),
            "wait_h": self.wait_h.to_dict(1),
        }


@dataclass(frozen=True)
class Hold:
    """A suggested hold: ``hours`` before ``crossing``'s slot, taken ``where`` (``departure``: the
    train leaves later; ``yard``: it waits at the last yard before the crossing), so that it
    reaches the crossing at ``slot_h``."""

    crossing: str
    name: str
    hours: float
    where: str
    slot_h: float

    def to_dict(self, now: datetime) -> JsonObject:
        return {
            "crossing": self.crossing,
            "name": self.name,
            "hours": round(self.hours, 1),
            "where": self.where,
            "slot": iso_time(now, self.slot_h),
        }


@dataclass(frozen=True)
class TrainForecast:
    """One train: its ETA band (hours from now), the crossings ahead with its arrival and wait
    there, and the slot plan's holds for it."""

    id: str
    name: str
    destination: str
    status: str
    lat: float
    lon: float
    eta_h: Band
    tracker_eta: datetime | None
    crossings: tuple[CrossingVisit, ...]
    holds: tuple[Hold, ...] = ()

    @property
    def suggested_hold_h(self) -> float:
        return sum(h.hours for h in self.holds)

    def to_dict(self, now: datetime) -> JsonObject:
        return {
            "id": self.id,
            "name": self.name,
            "destination": self.destination,
            "status": self.status,
            "lat": None if not math.isfinite(self.lat) else round(self.lat, 5),
            "lon": None if not math.isfinite(self.lon) else round(self.lon, 5),
            "eta": self.eta_h.times(now),
            "eta_h": self.eta_h.to_dict(1),
            "tracker_eta": None
            if self.tracker_eta is None
            else self.tracker_eta.isoformat(timespec="seconds"),
            "crossings": [c.to_dict(now) for c in self.crossings],
            "suggested_hold_h": round(self.suggested_hold_h, 1),
            "holds": [h.to_dict(now) for h in self.holds],
        }


@dataclass(frozen=True)
class CongestionAlert:
    """Predicted congestion at a crossing: the longest median queue, when, and the 90th
    percentile of the wait."""

    crossing: str
    name: str
    in_h: float
    trains: float
    wait_p90_h: float

    @property
    def message(self) -> str:
        when = "now" if self.in_h < 1 else f"in {self.in_h:.0f} h"
        return (
            f"predicted congestion at {self.name} {when}: {self.trains:.0f} trains queueing, "
            f"p90 wait {self.wait_p90_h:.0f} h"
        )

    def to_dict(self, now: datetime) -> JsonObject:
        return {
            "kind": "congestion",
            "crossing": self.crossing,
            "at": iso_time(now, self.in_h),
            "in_h": self.in_h,
            "trains": round(self.trains, 1),
            "wait_p90_h": round(self.wait_p90_h, 1),
            "message": self.message,
        }


@dataclass(frozen=True)
class Forecast:
    """A forecast of ``horizon_h`` hours from ``now`` (the live state's time), ``replications``
    runs from ``seed``; ``generated_at`` is when it was computed."""

    now: datetime
    generated_at: datetime
    horizon_h: float
    replications: int
    seed: int
    crossings: tuple[CrossingForecast, ...]
    trains: tuple[TrainForecast, ...]
    alerts: tuple[CongestionAlert, ...]
    left_out: int = 0
    slots: SlotPlan | None = None
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default=())

    def crossing(self, crossing_id: str) -> CrossingForecast | None:
        return next((c for c in self.crossings if c.id == crossing_id), None)

    def train(self, train_id: str) -> TrainForecast | None:
        return next((t for t in self.trains if t.id == train_id), None)

    def to_dict(self) -> JsonObject:
        """The JSON of ``GET /api/v1/forecast``."""
        now = self.now
        return {
            "generated_at": self.generated_at.astimezone(UTC).isoformat(timespec="seconds"),
            "state_at": now.astimezone(UTC).isoformat(timespec="seconds"),
            "horizon_h": self.horizon_h,
            "replications": self.replications,
            "seed": self.seed,
            "crossings": [c.to_dict(now) for c in self.crossings],
            "trains": [t.to_dict(now) for t in self.trains],
            "alerts": [a.to_dict(now) for a in self.alerts],
            "slots": None if self.slots is None else self.slots.to_dict(now),
            "left_out": self.left_out,
            "seconds": round(self.seconds, 3),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class Outcome:
    """The replications' raw outcome: ``eta_h[r, i]``, ``arrive_h[r, v]``, ``start_h[r, v]``."""

    layout: Layout
    seeds: tuple[int, ...]
    eta_h: npt.NDArray[np.float64]
    arrive_h: npt.NDArray[np.float64]
    start_h: npt.NDArray[np.float64]

    @classmethod
    def of(cls, layout: Layout, reps: Sequence[Replication]) -> Outcome:
        reps = sorted(reps, key=lambda r: r.seed)
        return cls(
            layout,
            tuple(r.seed for r in reps),
            np.vstack([r.eta_h for r in reps]) if reps else np.zeros((0, 0)),
            np.vstack([r.arrive_h for r in reps]) if reps else np.zeros((0, 0)),
            np.vstack([r.start_h for r in reps]) if reps else np.zeros((0, 0)),
        )

    def waits(self) -> npt.NDArray[np.float64]:
        """Each visit's wait from its arrival (or from now, for a train due in the past); NaN for
        a train inside a crossing at the start (it waits no more)."""
        w = self.start_h - np.maximum(self.arrive_h, 0.0)
        w[:, self.layout.position < 0] = np.nan
        return w

    def queue(self, crossing: int, times: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Trains waiting at ``crossing`` at each time, per replication (R x T)."""
        m = self.layout.crossing == crossing
        a = self.arrive_h[:, m][:, :, None]
        s = self.start_h[:, m][:, :, None]
        return np.sum((a <= times) & (s > times), axis=1).astype(np.float64)


def congestion(c: CrossingForecast) -> CongestionAlert | None:
    """The crossing's congestion alert, if any: trains arriving in some step wait ALERT_WAIT_H
    or more (their 90th percentile), or ALERT_QUEUE trains queue (the median) while some wait
    3 h or more. It names the longest median queue, when, and the worst 90th percentile."""
    worst = max((p.band.p90 for p in c.wait if math.isfinite(p.band.p90)), default=0.0)
    peak = c.peak
    if worst >= ALERT_WAIT_H or (peak.band.p50 >= ALERT_QUEUE and worst >= 3.0):
        return CongestionAlert(c.id, c.name, peak.t_h, peak.band.p50, worst)
    return None


def summarise(
    state: LiveState,
    outcome: Outcome,
    *,
    seed: int,
    step_h: float = DEFAULT_STEP_H,
    generated_at: datetime | None = None,
) -> Forecast:
    """The forecast of ``state`` from its replications' outcome."""
    horizon = state.horizon_h
    times = np.arange(0.0, horizon + 1e-9, step_h)
    lay = outcome.layout
    waits = outcome.waits()
    arrive = np.maximum(outcome.arrive_h, 0.0)
    reps = max(len(outcome.seeds), 1)
    crossings: list[CrossingForecast] = []
    alerts: list[CongestionAlert] = []
    for g, spec in enumerate(state.crossings):
        m = lay.crossing == g
        q = outcome.queue(g, times)
        queue = tuple(Point(float(t), Band.of(q[:, k])) for k, t in enumerate(times))
        w, a = waits[:, m], arrive[:, m]
        inside = (a < horizon) & np.isfinite(w)
        per_step = []
        for t in times[:-1] if len(times) > 1 else times:
            sel = inside & (a >= t) & (a < t + step_h)
            per_step.append(Point(float(t), Band.of(w[sel]), float(sel.sum()) / reps))
        total = Band.of(w[inside]) if inside.any() else Band(0.0, 0.0, 0.0)
        closed = tuple((max(c.start_h, 0.0), c.end_h) for c in spec.closures if c.end_h > 0)
        cf = CrossingForecast(
            spec.id,
            spec.name,
            spec.lat,
            spec.lon,
            spec.servers,
            spec.capacity_per_day,
            queue,
            tuple(per_step),
            total,
            float(inside.sum()) / reps,
            closed,
        )
        crossings.append(cf)
        alert = congestion(cf)
        if alert is not None:
            alerts.append(alert)
    trains: list[TrainForecast] = []
    for i, t in enumerate(state.trains):
        visits = []
        for v in np.flatnonzero(lay.train == i):
            if lay.position[v] < 0:
                continue  # inside now
            spec = state.crossings[int(lay.crossing[v])]
            visits.append(
                CrossingVisit(spec.id, spec.name, Band.of(outcome.arrive_h[:, v]), Band.of(waits[:, v]))
            )
        trains.append(
            TrainForecast(
                t.id,
                t.name,
                t.destination,
                t.status,
                t.lat,
                t.lon,
                Band.of(np.maximum(outcome.eta_h[:, i], 0.0)),
                t.tracker_eta,
                tuple(visits),
            )
        )
    alerts.sort(key=lambda x: (-x.trains, x.in_h))
    return Forecast(
        now=state.now,
        generated_at=generated_at or datetime.now(UTC),
        horizon_h=horizon,
        replications=len(outcome.seeds),
        seed=seed,
        crossings=tuple(sorted(crossings, key=lambda c: (-c.peak.band.p50, -c.wait_h.p90, c.id))),
        trains=tuple(trains),
        alerts=tuple(alerts),
        left_out=state.left_out,
        notes=state.notes,
    )
