"""The backtest: replay a recorded feed, forecast at chosen times from what was known then, and
score each forecast against what happened ``leads`` hours later.

Scores, per lead time (24 and 72 h by default):

- ETA coverage: the share of trains arriving within the lead whose arrival lies within their
  forecast 80 % interval (p10 to p90); a calibrated forecast covers about 80 %;
- ETA MAE: the mean absolute error of the forecast median, in hours, beside the tracker's own
  ETA (learned dwell, no queues) for the same trains;
- queue MAE: the mean absolute error of the forecast median queue at each crossing the trains
  pass, against the queue observed then (trains standing within OBSERVED_QUEUE_KM before a
  crossing they have not entered), beside persistence (the queue then is the queue now).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from silkrail.errors import DataError
from silkrail.forecast.replay import RecordedFeed, Replayer
from silkrail.forecast.runner import check_replications, run_forecast
from silkrail.forecast.state import snapshot
from silkrail.routing.json_types import JsonObject

if TYPE_CHECKING:
    from silkrail.forecast.result import Forecast
    from silkrail.network.model import Network
    from silkrail.tracking.tracker import Tracker

OBSERVED_QUEUE_KM = 10.0
"""A train standing this close before a crossing it has not entered counts as queueing there."""
MAX_FORECASTS = 200


@dataclass(frozen=True)
class LeadScore:
    """The scores of every forecast at one lead time."""

    lead_h: float
    trains: int
    coverage: float
    eta_mae_h: float
    tracker_eta_mae_h: float
    queue_points: int
    queue_mae: float
    persistence_queue_mae: float

    def to_dict(self) -> JsonObject:
        return {
            "lead_h": self.lead_h,
            "trains": self.trains,
            "coverage_80": _r(self.coverage, 3),
            "eta_mae_h": _r(self.eta_mae_h, 2),
            "tracker_eta_mae_h": _r(self.tracker_eta_mae_h, 2),
            "queue_points": self.queue_points,
            "queue_mae": _r(self.queue_mae, 2),
            "persistence_queue_mae": _r(self.persistence_queue_mae, 2),
        }


def _r(x: float, d: int) -> float | None:
    return None if not math.isfinite(x) else round(x, d)


@dataclass(frozen=True)
class ForecastScore:
    """One forecast: when, its trains, and per lead the arrivals it covered of those scored."""

    at: datetime
    trains: int
    queued: dict[str, int]
    covered: dict[float, tuple[int, int]]  # lead -> (covered, scored)

    def to_dict(self) -> JsonObject:
        return {
            "at": self.at.isoformat(timespec="seconds"),
            "trains": self.trains,
            "queued": self.queued,
            "covered": {f"{lead:g}h": {"covered": c, "scored": n} for lead, (c, n) in self.covered.items()},
        }


@dataclass(frozen=True)
class Backtest:
    """A backtest's scores by lead time, and each forecast's own."""

    feed: str
    replications: int
    leads: tuple[LeadScore, ...]
    forecasts: tuple[ForecastScore, ...]
    events: dict[str, int]

    def lead(self, hours: float) -> LeadScore:
        return next(x for x in self.leads if x.lead_h == hours)

    def to_dict(self) -> JsonObject:
        return {
            "feed": self.feed,
            "replications": self.replications,
            "leads": [x.to_dict() for x in self.leads],
            "forecasts": [f.to_dict() for f in self.forecasts],
            "events": self.events,
        }


def observed_queues(tracker: Tracker, crossings: Sequence[str]) -> dict[str, int]:
    """Trains standing within OBSERVED_QUEUE_KM before each crossing they have not entered."""
    wanted = set(crossings)
    out = dict.fromkeys(crossings, 0)
    for x in tracker.in_progress():
        st = x.state
        if st.status != "running":
            continue
        ahead = next((s for s in x.plan.profile.stops if s.km > st.progress_km + 1.0), None)
        if ahead is not None and ahead.key in wanted and ahead.km - st.progress_km <= OBSERVED_QUEUE_KM:
            out[ahead.key] += 1
    return out


def forecast_times(
    feed: RecordedFeed, *, warm_up_h: float, every_h: float, last_lead_h: float
) -> list[datetime]:
    """The times to forecast at: every ``every_h`` hours from ``warm_up_h`` after the feed's
    first event, as long as the last lead lies within the feed."""
    if every_h < 1:
        raise DataError(f"forecast every 1 h or more (got {every_h})", field="every_h")
    start = feed.start + timedelta(hours=warm_up_h)
    stop = feed.end - timedelta(hours=last_lead_h)
    out: list[datetime] = []
    t = start
    while t <= stop and len(out) < MAX_FORECASTS:
        out.append(t)
        t += timedelta(hours=every_h)
    if not out:
        span = (feed.end - feed.start).total_seconds() / 3600
        raise DataError(
            f"the feed spans {span:,.0f} h: too short for a warm-up of {warm_up_h:g} h and a lead of "
            f"{last_lead_h:g} h",
            file=feed.name,
        )
    return out


def backtest(
    feed: RecordedFeed,
    net: Network,
    *,
    leads: Sequence[float] = (24.0, 72.0),
    every_h: float = 12.0,
    warm_up_h: float = 48.0,
    replications: int = 100,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> Backtest:
    """Replay ``feed`` on ``net`` and score forecasts made every ``every_h`` hours (see the module
    docstring)."""
    check_replications(replications)
    leads = tuple(sorted({float(x) for x in leads}))
    if not leads or leads[0] <= 0 or leads[-1] > 30 * 24:
        raise DataError("give lead times from 1 h to 30 days", field="leads")
    times = forecast_times(feed, warm_up_h=warm_up_h, every_h=every_h, last_lead_h=leads[-1])
    checkpoints = sorted({*times, *(t + timedelta(hours=lead) for t in times for lead in leads)})
    arrivals = feed.arrivals()
    rp = Replayer.start(feed, net)
    try:
        crossings: list[str] = sorted(
            {s.key for x in rp.tracker.in_progress() for s in x.plan.profile.stops if s.id is not None}
        )
        observed: dict[datetime, dict[str, int]] = {}
        made: dict[datetime, Forecast] = {}
        for cp in checkpoints:
            rp.advance(cp)
            observed[cp] = observed_queues(rp.tracker, crossings)
            if cp in times:
                state = snapshot(rp.tracker, net, now=cp, horizon_h=max(leads[-1], 24.0))
                made[cp] = run_forecast(state, replications=replications, seed=seed, slots=False)
                if progress:
                    progress(cp.isoformat(timespec="minutes"))
        return _score(feed, rp, times, leads, made, observed, arrivals, replications)
    finally:
        rp.close()


def _score(
    feed: RecordedFeed,
    rp: Replayer,
    times: list[datetime],
    leads: tuple[float, ...],
    made: dict[datetime, Forecast],
    observed: dict[datetime, dict[str, int]],
    arrivals: dict[str, datetime],
    replications: int,
) -> Backtest:
    per_lead = {lead: _LeadErrors() for lead in leads}
    scores: list[ForecastScore] = []
    for t in times:
        f = made[t]
        covered: dict[float, tuple[int, int]] = {}
        for lead in leads:
            horizon = t + timedelta(hours=lead)
            got = per_lead[lead]
            c = n = 0
            for tr in f.trains:
                actual = arrivals.get(rp.refs.get(tr.id, ""))
                if actual is None or not t < actual <= horizon:
                    continue
                h = (actual - t).total_seconds() / 3600
                ok = tr.eta_h.covers(h)
                got.covered.append(float(ok))
                got.eta.append(abs(tr.eta_h.p50 - h))
                if tr.tracker_eta is not None:
                    got.tracker.append(abs((tr.tracker_eta - actual).total_seconds() / 3600))
                c += ok
                n += 1
            covered[lead] = (c, n)
            for cf in f.crossings:
                if cf.trains <= 0 or cf.id not in observed[horizon]:
                    continue
                k = int(np.argmin([abs(p.t_h - lead) for p in cf.queue]))
                got.queue.append(abs(cf.queue[k].band.p50 - observed[horizon][cf.id]))
                got.persistence.append(abs(observed[t][cf.id] - observed[horizon][cf.id]))
        busy = {k: v for k, v in observed[t].items() if v}
        scores.append(ForecastScore(t, len(f.trains), busy, covered))
    out = tuple(errors.score(lead) for lead, errors in per_lead.items())
    return Backtest(feed.name, replications, out, tuple(scores), rp.totals.to_dict())


@dataclass
class _LeadErrors:
    """What the forecasts at one lead time got right and wrong, arrival by arrival and crossing
    by crossing: covered (1 or 0), ETA errors (forecast and tracker), queue errors (forecast and
    persistence: the queue now taken as the queue then)."""

    covered: list[float] = field(default_factory=list)
    eta: list[float] = field(default_factory=list)
    tracker: list[float] = field(default_factory=list)
    queue: list[float] = field(default_factory=list)
    persistence: list[float] = field(default_factory=list)

    def score(self, lead: float) -> LeadScore:
        return LeadScore(
            lead,
            len(self.covered),
            _mean(self.covered),
            _mean(self.eta),
            _mean(self.tracker),
            len(self.queue),
            _mean(self.queue),
            _mean(self.persistence),
        )


def _mean(xs: list[float]) -> float:
    return float(np.mean(xs)) if xs else math.nan
