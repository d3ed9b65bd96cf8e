"""The tracking state machine as pure functions: ``apply(state, event, ...) -> Transition``.

No I/O and no clock: time comes from the events and the arguments. A train's events are applied
in time order, but events older than the state still count where they can: an old position is
kept out of the state, an old border entry may complete a wait whose exit came first, and an
exit may find its entry among the stored milestones. A milestone that cannot be true (an exit
before its entry, a wait no train makes) is refused alone and leaves the state as it was.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np

from silkrail.tracking import alerts as rules
from silkrail.tracking.dwell import ImplausibleWait, Learned, Milestones, find_wait, hours, observe
from silkrail.tracking.eta import Profile, estimate, estimate_scheduled, scheduled_arrival
from silkrail.tracking.model import MilestoneEvent, PositionEvent

STATUSES = ("planned", "running", "at_crossing", "arrived")
_NOT_AT_A_STOP = ("departed", "arrived")
MAX_PACE = 2.5  # no train covers a stretch of its route this many times faster than planned
JUMP_KM = 50.0  # how far ahead a sighting may lie without a time check (map-matching noise)


@dataclass(frozen=True)
class TrackState:
    """Where a tracked train is, as far as its events tell. ``last_time``: of the newest event of
    any kind; ``position_time``: of the newest position; ``crossing``: the stop (by its key) the
    train is inside, entered and not left; ``alerted``: the alert kinds it has raised."""

    train_id: str
    status: str
    progress_km: float
    eta: datetime
    delay_h: float = 0.0
    last_lat: float | None = None
    last_lon: float | None = None
    last_time: datetime | None = None
    position_time: datetime | None = None
    crossing: str | None = None
    crossing_since: datetime | None = None
    alerted: frozenset[str] = frozenset()
    events: int = 0  # stored events (the tracker counts them against the train's quota)

    @classmethod
    def planned(cls, train_id: str, eta: datetime) -> TrackState:
        """A train that has not reported yet: at its origin, due at its planned arrival."""
        return cls(train_id=train_id, status="planned", progress_km=0.0, eta=eta)


@dataclass(frozen=True)
class TrainPlan:
    """What ingest needs of a stored train: its route profile, planned arrival, operator (whose
    tokens may write it) and departure; none of them ever changes."""

    profile: Profile
    planned_arrival: datetime
    operator: str | None
    departure: datetime


@dataclass(frozen=True)
class Transition:
    """What one event (or an ETA refresh) did: the new state, the alerts it raised, the wait it
    completed at a stop (the stop's key, the hours it counts for), or why it was refused (then
    ``state`` is the old one)."""

    state: TrackState
    alerts: tuple[rules.NewAlert, ...] = ()
    observed: tuple[str, float] | None = None
    rejected: str | None = None


def apply(
    state: TrackState,
    event: PositionEvent | MilestoneEvent,
    *,
    profile: Profile,
    milestones: Milestones,
    match: tuple[float, float] | None = None,
    rejected: Collection[str] = frozenset(),
) -> Transition:
    """Move a train's state by one of its events. ``match``: a position's (km along the planned
    route, km off it); ``milestones``: the stored border milestones (for waits whose milestones
    came out of order); ``rejected``: ids of this train's events of this batch refused so far
    (never paired with)."""
    refused = _after_arrival(state, event)
    if refused is not None:
        return Transition(state, rejected=refused)
    if isinstance(event, PositionEvent):
        if match is None:
            raise ValueError(f"position {event.event_id!r}: its route match is missing")
        km, off = match  # a winding line may match a point farther along: it counts as far as it can be
        if km > state.progress_km + JUMP_KM:
            km = min(km, _reachable(state, event.time, profile))
        return _position(state, event, (km, off))
    return _milestone(state, event, profile, milestones, rejected)


def _after_arrival(state: TrackState, ev: PositionEvent | MilestoneEvent) -> str | None:
    """Why an event cannot follow the train's arrival (None: it can): nothing of a train comes
    after it arrived, and it arrives once."""
    if state.status != "arrived":
        return None
    if isinstance(ev, MilestoneEvent) and ev.milestone == "arrived":
        if ev.time != state.eta:
            return f"milestone: the train arrived already, at {state.eta.isoformat()}; it arrives once"
        return None
    if ev.time > state.eta:
        return (
            f"time: the train arrived at {state.eta.isoformat()}; no {ev.kind} of it comes later "
            f"({ev.time.isoformat()})"
        )
    return None


def _reachable(state: TrackState, t: datetime, p: Profile) -> float:
    """The farthest km the train can be at ``t``: from where its newest event had it, running
    MAX_PACE times its planned pace, and JUMP_KM more (everywhere, before its first event)."""
    last = state.last_time
    if last is None or t < last:
        return p.total_km
    hours = p.run_h_at(state.progress_km) + MAX_PACE * (t - last).total_seconds() / 3600
    return float(np.interp(hours, p.run_h, p.km)) + JUMP_KM


def _too_fast(state: TrackState, km: float, t: datetime, p: Profile, what: str) -> str | None:
    """Why the train cannot be at ``km`` at ``t`` (None: it can): from where its newest event
    had it, the planned running time there divided by MAX_PACE is longer than the time between.
    Events older than the state (delivered late) and short jumps are not checked."""
    last = state.last_time
    if last is None or t < last or km - state.progress_km <= JUMP_KM:
        return None
    planned_h = p.run_h_at(km) - p.run_h_at(state.progress_km)
    took_h = (t - last).total_seconds() / 3600
    if took_h >= planned_h / MAX_PACE:
        return None
    return (
        f"time: {what} puts the train at km {km:,.0f} at {t.isoformat()}, {took_h:,.1f} h after it "
        f"was at km {state.progress_km:,.0f}; the planned run between takes {planned_h:,.1f} h and "
        f"no train makes it in less than {planned_h / MAX_PACE:,.1f} h"
    )


def _position(state: TrackState, ev: PositionEvent, match: tuple[float, float]) -> Transition:
    """A position moves the train forward along its route (never back); an old position arriving
    late leaves the newer state as it is."""
    if state.last_time is not None and ev.time < state.last_time:
        return Transition(state)
    km, off = match
    alerted, raised = rules.raise_once(state.alerted, rules.off_route(state.train_id, off, ev.time))
    moved = replace(
        state,
        last_lat=ev.lat,
        last_lon=ev.lon,
        last_time=ev.time,
        position_time=ev.time,
        progress_km=max(state.progress_km, km),
        status="running" if state.status == "planned" else state.status,
        alerted=alerted,
    )
    return Transition(moved, raised)


def _milestone(
    state: TrackState,
    ev: MilestoneEvent,
    p: Profile,
    milestones: Milestones,
    rejected: Collection[str],
) -> Transition:
    t, last = ev.time, state.last_time
    newer = last is None or t >= last
    stop = p.stop_named(ev.at) if ev.milestone not in _NOT_AT_A_STOP else None
    key = stop.key if stop else ""
    where = p.total_km if ev.milestone == "arrived" else stop.km if stop is not None else None
    if where is not None:
        refused = _too_fast(state, where, t, p, f"this {ev.milestone}")
        if refused is not None:
            return Transition(state, rejected=refused)
    if ev.milestone == "departed" and newer and state.progress_km > JUMP_KM:
        return Transition(
            state,
            rejected=f"milestone: departed at {t.isoformat()}, but the train was at km "
            f"{state.progress_km:,.0f} already by {last.isoformat() if last else 'then'}; "
            "give the departure's true time",
        )
    alerted: frozenset[str] = state.alerted
    raised: tuple[rules.NewAlert, ...] = ()
    observed: tuple[str, float] | None = None
    if stop is not None and state.status != "arrived":
        try:
            wait = find_wait(
                tid=state.train_id,
                milestone=ev.milestone,
                stop=stop,
                t=t,
                me=ev.event_id,
                newer=newer,
                inside_since=state.crossing_since if state.crossing == key else None,
                milestones=milestones,
                rejected=rejected,
            )
            if wait is not None:
                observed = (key, observe(stop, *wait))
                alert = rules.long_dwell(state.train_id, hours(*wait), stop, wait[1])
                alerted, raised = rules.raise_once(alerted, alert)
        except ImplausibleWait as exc:
            return Transition(state, rejected=str(exc))
    s = replace(state, alerted=alerted, last_time=t if newer else last)
    if s.status == "planned" and ev.milestone != "arrived":  # any milestone says it left
        s = replace(s, status="running")
    if ev.milestone == "arrived":
        s = replace(s, status="arrived", progress_km=p.total_km, eta=t, crossing=None, crossing_since=None)
    elif stop is None or s.status == "arrived":
        pass
    elif ev.milestone in ("border_entry", "gauge_change_start"):
        if newer and s.crossing != key:
            s = replace(
                s,
                status="at_crossing",
                crossing=key,
                crossing_since=t,
                progress_km=max(s.progress_km, stop.km),
            )
    else:  # border_exit or gauge_change_done: the train is past the stop
        s = replace(s, progress_km=max(s.progress_km, stop.km))
        if s.crossing == key and ev.milestone == "border_exit":
            s = replace(s, status="running", crossing=None, crossing_since=None)
    return Transition(s, raised, observed)


def refresh(
    state: TrackState,
    *,
    profile: Profile,
    planned: datetime,
    learned: Learned,
    now: datetime,
) -> Transition:
    """Re-predict the ETA from the state (a train not arrived yet) and the delay against the
    ``planned`` arrival; a 'late' alert when it is new. ``now`` stands in for the time of the
    newest event when the train has none. A train that runs a timetable trip (its profile has
    the trip's schedule) is late against the timetable: its ETA is the scheduled arrival plus
    how far behind the schedule it is where it last was, and its planned arrival the scheduled
    one. A train that has not departed (no event yet) is due at its planned arrival, with no
    delay."""
    when = state.last_time or now
    eta = state.eta
    scheduled = scheduled_arrival(profile)
    if scheduled is not None:
        planned = scheduled
    if state.status == "planned":  # not departed: due as planned, no delay to tell
        return Transition(replace(state, eta=planned, delay_h=0.0))
    if scheduled is not None:
        if state.status != "arrived":
            eta = estimate_scheduled(profile, now=when, progress_km=state.progress_km)
    elif state.status != "arrived":
        eta = estimate(
            profile,
            now=when,
            progress_km=state.progress_km,
            learned=learned,
            inside=state.crossing,
            inside_since=state.crossing_since,
        )
    delay_h = (eta - planned).total_seconds() / 3600
    alerted, raised = rules.raise_once(state.alerted, rules.late(state.train_id, delay_h, eta, when))
    return Transition(replace(state, eta=eta, delay_h=delay_h, alerted=alerted), raised)


def check_silent(state: TrackState, now: datetime) -> Transition:
    """A 'silent' alert for a running train with no event for SILENT_H hours (once)."""
    if state.status not in ("running", "at_crossing"):
        return Transition(state)
    alerted, raised = rules.raise_once(state.alerted, rules.silent(state.train_id, state.last_time, now))
    return Transition(replace(state, alerted=alerted), raised)
