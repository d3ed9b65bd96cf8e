"""The live state a forecast starts from: the crossings with their capacity, and every train in
progress with the stops still ahead of it, as plain records (a Dask worker needs nothing else).

Times are hours from the snapshot's ``now``. A train under way is dead-reckoned from its newest
event: its remaining journey started ``-start_h`` hours ago at the km its events put it at, at
the planned pace. A train inside a crossing is being served there since ``in_service.elapsed_h``
hours. A train planned to depart starts at its departure. The figures are the route's own (the
transit model's running time and dwell, as the tracker planned it) and the dwell the tracker
learned at each crossing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from statistics import NormalDist
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from silkrail.network.model import Network
    from silkrail.tracking.dwell import Learned
    from silkrail.tracking.eta import Profile, Stop
    from silkrail.tracking.tracker import Tracker

DEFAULT_HORIZON_H = 72.0
MAX_HORIZON_H = 30 * 24.0
DEFAULT_SIGMA_LOG = 0.35
"""The spread of a dwell (log-normal sigma) where neither the route nor the tracker's
observations give one: basis ``default`` (a dwell 0.6 to 1.6 times its mean, 10th to 90th)."""
LEARN_SPREAD_N = 5
"""Observed waits at a crossing before their spread replaces the planned one."""
MAX_SILENT_H = 72.0
"""A train without an event for longer than this (or due to leave longer ago and without any) is
left out: where it is is a guess."""
MAX_DWELL_H = 30 * 24.0
TIMING_ERROR_H = 1.0
"""How far off (one standard deviation, hours) the time a train's stretch took may be read from
its reports: a report's own lag and its km matched to the nearest point of the route; basis
default."""
REPORT_ERROR_H = 0.25
"""Where a train under way is, read from its newest report, is uncertain by this much running
time (one standard deviation): a position matched to the nearest point of its route, a report
sent a little late; basis default."""
MIN_PACE_RUN_H = 3.0  # fewer planned running hours observed teach nothing
PACE_LIMITS = (0.7, 1.6)  # an observed pace beyond these is a stop or a wrong report, not a pace
NEAR_CROSSING_KM = 10.0  # a train this close before a crossing may be queueing: its pace is not read
_NORMAL = NormalDist()


@dataclass(frozen=True, slots=True)
class Dwell:
    """A time spent at a stop: log-normal with mean ``mean_h`` and log-spread ``sigma_log``
    (0: always the mean)."""

    mean_h: float
    sigma_log: float = 0.0

    def __post_init__(self) -> None:
        if not (0.0 <= self.mean_h <= MAX_DWELL_H) or not (0.0 <= self.sigma_log <= 3.0):
            raise ValueError(
                f"a dwell needs 0 <= mean <= {MAX_DWELL_H:.0f} h and 0 <= sigma <= 3 (got {self})"
            )

    @property
    def _mu(self) -> float:
        return math.log(self.mean_h) - self.sigma_log**2 / 2

    def quantile(self, u: float) -> float:
        """The dwell at probability ``u`` (0 < u < 1)."""
        if self.sigma_log == 0.0 or self.mean_h == 0.0:
            return self.mean_h
        return math.exp(self._mu + self.sigma_log * _NORMAL.inv_cdf(min(max(u, 1e-9), 1 - 1e-9)))

    def at(self, z: float) -> float:
        """The dwell at a standard normal draw ``z``."""
        if self.sigma_log == 0.0 or self.mean_h == 0.0:
            return self.mean_h
        return math.exp(self._mu + self.sigma_log * z)

    def remaining_at(self, elapsed_h: float, z: float) -> float:
        """The time left for a train served for ``elapsed_h`` already, at a standard normal draw
        ``z``: the dwell given that it is longer than that (at least 0.1 h: it is still inside)."""
        if self.sigma_log == 0.0 or self.mean_h == 0.0:
            return max(self.mean_h - elapsed_h, 0.1)
        low = self._cdf(elapsed_h)
        u = low + (1.0 - low) * _NORMAL.cdf(z)
        return max(self.quantile(u) - elapsed_h, 0.1)

    def _cdf(self, x: float) -> float:
        if x <= 0:
            return 0.0
        return _NORMAL.cdf((math.log(x) - self._mu) / self.sigma_log)

    def expected_remaining(self, elapsed_h: float) -> float:
        """The mean time left after ``elapsed_h`` (for planning slots)."""
        if self.sigma_log == 0.0 or self.mean_h == 0.0:
            return max(self.mean_h - elapsed_h, 0.0)
        us = [(i + 0.5) / 50 for i in range(50)]
        low = self._cdf(elapsed_h)
        return max(sum(self.quantile(low + (1 - low) * u) for u in us) / len(us) - elapsed_h, 0.0)

    def scaled(self, mean_h: float) -> Dwell:
        return Dwell(mean_h, self.sigma_log)


@dataclass(frozen=True, slots=True)
class Window:
    """A period in hours from now, ``[start_h, end_h)``."""

    start_h: float
    end_h: float

    def covers(self, t: float) -> bool:
        return self.start_h <= t < self.end_h


@dataclass(frozen=True, slots=True)
class CrossingSpec:
    """A crossing where trains queue: ``servers`` trains served at once (its capacity in trains a
    day times its planned dwell, over 24 h), closed in ``closures``, with ``cuts`` (a window and
    the servers left in it) and ``dwell_changes`` (a window and the mean dwell of a train whose
    service starts in it)."""

    id: str
    name: str
    lat: float
    lon: float
    capacity_per_day: float
    servers: int
    dwell: Dwell
    closures: tuple[Window, ...] = ()
    cuts: tuple[tuple[Window, int], ...] = ()
    dwell_changes: tuple[tuple[Window, float], ...] = ()

    def servers_at(self, t: float) -> int:
        for w, n in self.cuts:
            if w.covers(t):
                return n
        return self.servers

    def closed_at(self, t: float) -> bool:
        return any(w.covers(t) for w in self.closures)

    def dwell_at(self, dwell: Dwell, t: float) -> Dwell:
        """A train's ``dwell`` here when its service starts at ``t``: the changed mean (its own
        spread) in a window of ``dwell_changes``."""
        for w, mean in self.dwell_changes:
            if w.covers(t):
                return dwell.scaled(mean)
        return dwell


def servers_for(capacity_per_day: float, dwell_h: float) -> int:
    """Trains a crossing serves at once: what clears ``capacity_per_day`` when each takes
    ``dwell_h`` (at least one)."""
    return max(1, round(capacity_per_day * dwell_h / 24.0))


@dataclass(frozen=True, slots=True)
class Visit:
    """A stop ahead of a train: ``run_h`` planned running hours to reach it from the point before,
    then queue at crossing ``crossing`` (an index of the state's crossings; -1: a stop without a
    capacity, a pure delay) and be served for ``dwell``."""

    run_h: float
    crossing: int
    dwell: Dwell
    name: str
    km: float = 0.0


@dataclass(frozen=True, slots=True)
class InService:
    """A train inside a stop now: which (a crossing index or -1), its dwell there, the hours it
    has been inside."""

    crossing: int
    dwell: Dwell
    elapsed_h: float
    name: str
    km: float = 0.0


@dataclass(frozen=True, slots=True)
class LiveTrain:
    """A train as the forecast sees it. ``start_h``: when its remaining journey starts (its
    departure for a train still to leave; minus the hours since its newest event for a train
    under way); ``hold_h``: a hold before it moves on (a suggested slot: ``hold_at`` the index of
    the visit it waits before, or -1 before departure); ``pace``: its running time over the
    planned one as observed since its last crossing, and that observation's standard error (None:
    not observed); ``start_error_h``: how uncertain ``start_h`` is (a standard deviation);
    ``operator``: whose train it is; ``tracker_eta``: the tracker's own ETA (queues left out),
    for comparison."""

    id: str
    name: str
    destination: str
    status: str
    start_h: float
    visits: tuple[Visit, ...]
    final_run_h: float
    in_service: InService | None = None
    departed: bool = True
    lat: float = math.nan
    lon: float = math.nan
    progress_km: float = 0.0
    remaining_km: float = 0.0
    year: int | None = None
    pace: tuple[float, float] | None = None
    start_error_h: float = 0.0
    operator: str | None = None
    tracker_eta: datetime | None = None
    holds: tuple[tuple[int, float], ...] = ()  # (visit index or -1 for departure, hours)

    def hold_before(self, visit: int) -> float:
        return sum(h for v, h in self.holds if v == visit)


@dataclass(frozen=True)
class LiveState:
    """Everything a forecast run needs, as plain data: ``now`` (what hour 0 is), the horizon,
    the crossings where trains queue and the trains. ``left_out`` counts trains not forecast
    (silent too long, or leaving after the horizon)."""

    now: datetime
    horizon_h: float
    crossings: tuple[CrossingSpec, ...]
    trains: tuple[LiveTrain, ...]
    left_out: int = 0
    notes: tuple[str, ...] = field(default=())

    def crossing_index(self, crossing_id: str) -> int:
        for i, c in enumerate(self.crossings):
            if c.id == crossing_id:
                return i
        return -1

    def at(self, hours: float) -> datetime:
        """The time ``hours`` after ``now``."""
        try:
            return self.now + timedelta(hours=hours)
        except OverflowError:
            return datetime.max.replace(tzinfo=UTC)

    def with_crossing(self, index: int, crossing: CrossingSpec) -> LiveState:
        cs = list(self.crossings)
        cs[index] = crossing
        return replace(self, crossings=tuple(cs))


# --- from the tracker ----------------------------------------------------------------------


def learned_dwell(stop: Stop, learned: Learned, default_sigma: float) -> Dwell:
    """A train's dwell at ``stop``: the tracker's expected dwell there (the plan and the
    operators' observations, ``tracking.dwell.estimate_dwell``), with the spread of the waits of
    the operators it counted once LEARN_SPREAD_N are in, else the planned spread, else
    ``default_sigma``."""
    from silkrail.tracking.dwell import NO_SUMS, estimate_dwell

    found = estimate_dwell(stop, learned)
    mean = min(max(found.hours, 0.0), MAX_DWELL_H)
    by_operator = learned.get(stop.key, {})
    pooled = NO_SUMS
    for op in found.counted:
        pooled = pooled.plus(by_operator.get(op, NO_SUMS))
    sigma = stop.sigma_log or default_sigma
    if pooled.n >= LEARN_SPREAD_N and pooled.mean_h > 0:
        m = pooled.mean_h
        var = max(pooled.sum_h2 - pooled.n * m * m, 0.0) / (pooled.n - 1)
        if math.isfinite(var):
            sigma = math.sqrt(math.log1p(var / (m * m)))
    return Dwell(mean, min(sigma, 3.0))


def visits_ahead(
    profile: Profile,
    from_km: float,
    gate_of: Mapping[str, int],
    learned: Learned,
    default_sigma: float,
) -> tuple[tuple[Visit, ...], float]:
    """The stops of ``profile`` more than 1 km beyond ``from_km`` as visits, and the running
    hours from the last of them to the destination."""
    out: list[Visit] = []
    at = from_km
    for s in profile.stops:
        if s.km <= from_km + 1.0:
            continue
        run = max(profile.run_h_at(s.km) - profile.run_h_at(at), 0.0)
        out.append(Visit(run, gate_of.get(s.key, -1), learned_dwell(s, learned, default_sigma), s.name, s.km))
        at = s.km
    final = max(profile.run_h_at(profile.total_km) - profile.run_h_at(at), 0.0)
    return tuple(out), final


def crossing_specs(
    net: Network, profiles: Iterable[Profile], capacity: Mapping[str, float] | None = None
) -> tuple[tuple[CrossingSpec, ...], dict[str, int]]:
    """The curated crossings the profiles pass, each with its servers from its capacity and the
    routes' planned dwell there (their mean); and each one's index by stop key."""
    by_id = {c.id: c for c in net.crossings if c.curated}
    planned: dict[str, list[tuple[float, float]]] = {}
    for p in profiles:
        for s in p.stops:
            if s.id is not None and s.id in by_id:
                planned.setdefault(s.id, []).append((s.dwell_h, s.sigma_log))
    specs: list[CrossingSpec] = []
    index: dict[str, int] = {}
    for cid in sorted(planned):
        rec = by_id[cid]
        dwell_h = sum(d for d, _ in planned[cid]) / len(planned[cid])
        sigma = max(s for _, s in planned[cid]) or DEFAULT_SIGMA_LOG
        per_day = float((capacity or {}).get(cid, rec.capacity_trains_per_day))
        index[cid] = len(specs)
        specs.append(
            CrossingSpec(
                cid,
                rec.name,
                float(rec.lat),
                float(rec.lon),
                per_day,
                servers_for(per_day, dwell_h),
                Dwell(dwell_h, sigma),
            )
        )
    return tuple(specs), index


def snapshot(
    tracker: Tracker,
    net: Network,
    *,
    now: datetime | None = None,
    horizon_h: float = DEFAULT_HORIZON_H,
    default_sigma: float = DEFAULT_SIGMA_LOG,
) -> LiveState:
    """The live state of ``tracker``'s trains at ``now`` (default: the current time): every train
    under way, at a crossing or planned to leave within the horizon, on ``net``'s crossings."""

    now = (now or datetime.now(UTC)).astimezone(UTC)
    check_horizon(horizon_h)
    live = tracker.in_progress()
    learned = tracker.learned_dwell()
    exits: dict[str, list[tuple[datetime, str]]] = {}
    moving = [x.train.id for x in live if x.state.status in ("running", "at_crossing")]
    for m in tracker.border_milestones(moving) if moving else ():
        if m.milestone == "border_exit":
            exits.setdefault(m.train_id, []).append((m.time, m.at))
    profiles: list[Profile] = [x.plan.profile for x in live]
    crossings, gate_of = crossing_specs(net, profiles)
    trains: list[LiveTrain] = []
    left_out = 0
    for x in live:
        t = _live_train(x, now, horizon_h, gate_of, learned, default_sigma, net, exits.get(x.train.id, []))
        if t is None:
            left_out += 1
        else:
            trains.append(t)
    return LiveState(now, horizon_h, crossings, tuple(trains), left_out)


def check_horizon(horizon_h: float) -> float:
    from silkrail.errors import DataError

    if not (isinstance(horizon_h, int | float) and 1.0 <= horizon_h <= MAX_HORIZON_H):
        raise DataError(
            f"the horizon must be 1 to {MAX_HORIZON_H:,.0f} hours (got {horizon_h!r})", field="horizon_h"
        )
    return float(horizon_h)


def _hours(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 3600.0


def _live_train(
    x: object,
    now: datetime,
    horizon_h: float,
    gate_of: Mapping[str, int],
    learned: Learned,
    default_sigma: float,
    net: Network,
    exits: list[tuple[datetime, str]],
) -> LiveTrain | None:
    from silkrail.tracking.results import TrainInProgress

    assert isinstance(x, TrainInProgress)
    record, state, plan = x.train, x.state, x.plan
    profile = plan.profile
    year = net.clamp_year(record.departure.year)
    common = {
        "id": record.id,
        "name": record.name,
        "destination": record.destination,
        "status": state.status,
        "tracker_eta": state.eta,
        "year": year,
        "operator": plan.operator,
    }
    if state.status == "planned" and state.last_time is None:
        start = _hours(now, record.departure)
        if start > horizon_h:
            return None  # leaves after the horizon
        if start < -MAX_SILENT_H:
            return None  # due to leave long ago and never said a word: where it is is a guess
        visits, final = visits_ahead(profile, -2.0, gate_of, learned, default_sigma)
        return LiveTrain(
            start_h=start,
            visits=visits,
            final_run_h=final,
            departed=start <= 0,
            lat=float(profile.lat[0]),
            lon=float(profile.lon[0]),
            progress_km=0.0,
            remaining_km=profile.total_km,
            **common,  # type: ignore[arg-type]
        )
    last = state.last_time or now
    since = _hours(last, now)
    if since > MAX_SILENT_H:
        return None
    km = state.progress_km
    lat, lon = profile_point(profile, km)
    in_service = None
    from_km = km
    if state.status == "at_crossing" and state.crossing is not None:
        stop = profile.stop_keyed(state.crossing)
        if stop is not None:
            elapsed = max(_hours(state.crossing_since or last, now), 0.0)
            in_service = InService(
                gate_of.get(stop.key, -1),
                learned_dwell(stop, learned, default_sigma),
                elapsed,
                stop.name,
                stop.km,
            )
            from_km = max(km, stop.km)
    visits, final = visits_ahead(profile, from_km, gate_of, learned, default_sigma)
    pace = observed_pace(profile, record.departure, km, last, exits, learned)
    return LiveTrain(
        start_h=0.0 if in_service is not None else -max(since, 0.0),
        visits=visits,
        final_run_h=final,
        in_service=in_service,
        departed=True,
        lat=lat,
        lon=lon,
        progress_km=km,
        remaining_km=max(profile.total_km - km, 0.0),
        pace=pace,
        start_error_h=0.0 if in_service is not None else REPORT_ERROR_H,
        **common,  # type: ignore[arg-type]
    )


def observed_pace(
    profile: Profile,
    departure: datetime,
    km: float,
    last: datetime,
    exits: list[tuple[datetime, str]],
    learned: Learned,
) -> tuple[float, float] | None:
    """A train's pace since its last border exit (or its departure) up to its newest event: the
    hours it took over the planned running hours (the expected dwell of stops passed without a
    milestone taken out), and the standard error of that ratio (TIMING_ERROR_H and the spread of
    those stops' dwell, over the planned hours). None where it teaches nothing: too short a
    stretch, or a train near a crossing (it may be queueing)."""
    from silkrail.tracking.dwell import expected_dwell

    ahead = next((s for s in profile.stops if s.km > km + 1.0), None)
    if ahead is not None and ahead.km - km <= NEAR_CROSSING_KM:
        return None
    seg_t, seg_km = departure, 0.0
    for t, at in exits:
        stop = profile.stop_named(at)
        if stop is not None and stop.km <= km + 1.0 and seg_t <= t <= last:
            seg_t, seg_km = t, stop.km
    planned = profile.run_h_at(km) - profile.run_h_at(seg_km)
    if planned < MIN_PACE_RUN_H:
        return None
    passed = [s for s in profile.stops if seg_km + 1.0 < s.km <= km + 1.0]
    dwell = [learned_dwell(s, learned, DEFAULT_SIGMA_LOG) for s in passed]
    took = _hours(seg_t, last) - sum(expected_dwell(s, learned) for s in passed)
    if took <= 0:
        return None
    var_h = TIMING_ERROR_H**2 + sum(d.mean_h**2 * math.expm1(d.sigma_log**2) for d in dwell)
    pace = min(max(took / planned, PACE_LIMITS[0]), PACE_LIMITS[1])
    return pace, math.sqrt(var_h) / planned


def plan_hours(profile: Profile) -> float:
    """The planned hours of a whole run: running and dwell."""
    return profile.run_h_at(profile.total_km) + sum(s.dwell_h for s in profile.stops)


def profile_point(profile: Profile, km: float) -> tuple[float, float]:
    """(lat, lon) of the route at ``km``."""
    import numpy as np

    return float(np.interp(km, profile.km, profile.lat)), float(np.interp(km, profile.km, profile.lon))
