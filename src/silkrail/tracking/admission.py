"""Which events of a batch may be stored, decided without I/O: each event validated alone,
then checked against its train's plan (known train, the token's operator's, a plausible time, a
known place, the per-train cap); and the positions map-matched onto the planned routes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import numpy as np
from pydantic import TypeAdapter, ValidationError

from silkrail.network.geo import EARTH_RADIUS_KM, unit_vectors
from silkrail.tracking.core import TrainPlan
from silkrail.tracking.model import AnyEvent, Event, MilestoneEvent, PositionEvent
from silkrail.tracking.results import Rejection
from silkrail.tracking.values import Row, Value

FUTURE_TOLERANCE = timedelta(minutes=5)  # clock skew; a later event would freeze the train until then
BEFORE_DEPARTURE = timedelta(days=7)  # events may come from the terminal before departure
LONGEST_JOURNEY = timedelta(days=120)  # no event of a train comes later after its departure
MAX_PER_TRAIN = 2_000  # events for one train in one batch (a day of positions each minute fits)
_EVENT: TypeAdapter[AnyEvent] = TypeAdapter(Event)
_EVENTS: TypeAdapter[list[AnyEvent]] = TypeAdapter(list[Event])


EventKey = tuple[str, str]  # (train id, event id)


@dataclass(frozen=True)
class Admitted:
    """The events of a batch that may be stored, each one's index in the batch by its key, the
    repeats within the batch, and the other operators' trains the batch named."""

    events: list[AnyEvent]
    index_of: dict[EventKey, int]
    duplicates: int
    foreign: tuple[str, ...]


class Writer(Protocol):
    """Who writes a batch or a train (the service's write token): its id, recorded with every
    write, and its operator (``*``: an admin)."""

    @property
    def id(self) -> str: ...
    @property
    def operator(self) -> str: ...
    @property
    def admin(self) -> bool: ...
    def may_write(self, operator: str | None) -> bool: ...


def validation_error(exc: ValidationError) -> str:
    e = exc.errors()[0]
    loc = [str(x) for x in e["loc"] if not isinstance(x, int)]
    if loc and loc[0] in ("position", "milestone"):
        loc = loc[1:]  # the union's tag is not a field
    where = ".".join(loc) or "event"
    msg = e["msg"].removeprefix("Value error, ")
    if e["type"] == "union_tag_invalid" or where == "event":
        msg = "kind must be 'position' or 'milestone'"
    return f"{where}: {msg}"


def event_row(ev: AnyEvent, received: datetime, token_id: str | None = None) -> Row:
    """The events-table row of an event (attributes read directly: a pydantic model's missing
    attribute is slow to probe), with the id of the token that wrote it."""
    if ev.kind == "position":
        lat, lon, milestone, at = ev.lat, ev.lon, None, None
    else:
        lat, lon, milestone, at = None, None, ev.milestone, ev.at
    return {
        "event_id": ev.event_id,
        "train_id": ev.train_id,
        "time": ev.time,
        "kind": ev.kind,
        "lat": lat,
        "lon": lon,
        "milestone": milestone,
        "at": at,
        "received_at": received,
        "token_id": token_id,
    }


def _content(ev: AnyEvent) -> tuple[Value, ...]:
    """What an event says, beyond its id (two copies of one event_id must say the same)."""
    return (
        ev.train_id,
        ev.time,
        ev.kind,
        getattr(ev, "lat", None),
        getattr(ev, "lon", None),
        getattr(ev, "milestone", None),
        getattr(ev, "at", None),
    )


def validate(raw: Sequence[object], now: datetime) -> tuple[list[tuple[int, AnyEvent]], list[Rejection]]:
    """Each item of a batch validated alone: (index, event) of the valid ones, and the
    rejections of the others (a bad field, or a time in the future)."""
    rejected: list[Rejection] = []
    valid: list[tuple[int, AnyEvent]] = []
    try:  # the whole batch at once (one call: most batches hold no bad event), else each alone
        checked: list[AnyEvent | None] = list(_EVENTS.validate_python(raw))
    except ValidationError:
        checked = [None] * len(raw)
    for i, item in enumerate(raw):
        ev = checked[i]
        if ev is None:
            try:
                ev = _EVENT.validate_python(item)
            except ValidationError as exc:
                rejected.append(Rejection(i, validation_error(exc)))
                continue
        if ev.time > now + FUTURE_TOLERANCE:
            rejected.append(Rejection(i, f"time: {ev.time.isoformat()} is in the future"))
            continue
        valid.append((i, ev))
    return valid, rejected


def admit(
    valid: list[tuple[int, AnyEvent]],
    plans: dict[str, TrainPlan],
    rejected: list[Rejection],
    token: Writer | None,
) -> Admitted:
    """The events that may be stored (known train, the token's operator's, a plausible time,
    a known place, within the per-train cap); the others are added to ``rejected``. An event
    for another operator's train is refused in the words used for a train that does not exist:
    a refusal tells nobody what exists (the trains are in ``foreign``, for the audit log)."""
    events: list[AnyEvent] = []
    index_of: dict[EventKey, int] = {}
    first: dict[EventKey, AnyEvent] = {}
    per_train: dict[str, int] = {}
    foreign: set[str] = set()
    duplicates = 0

    def reject(i: int, error: str) -> None:
        rejected.append(Rejection(i, error))

    for i, ev in valid:
        key = (ev.train_id, ev.event_id)
        if key in first:  # a repeat within the batch, after a copy that was accepted
            if _content(first[key]) != _content(ev):
                reject(
                    i,
                    f"event_id: '{ev.event_id}' comes twice in this batch with different content; "
                    "give each event its own id",
                )
            else:
                duplicates += 1
            continue
        plan = plans.get(ev.train_id)
        mine = plan is not None and (token is None or token.may_write(plan.operator))
        if plan is None or not mine:
            if plan is not None:
                foreign.add(ev.train_id)
            whose = "" if token is None or token.admin else f" of the operator '{token.operator}'"
            reject(i, f"train_id: no train '{ev.train_id}'{whose}")
            continue
        departure = plan.departure
        if not departure - BEFORE_DEPARTURE <= ev.time <= departure + LONGEST_JOURNEY:
            reject(
                i,
                f"time: {ev.time.isoformat()} is implausible for a train departing "
                f"{departure.isoformat()}; give a time from {BEFORE_DEPARTURE.days} days before "
                f"its departure to {LONGEST_JOURNEY.days} days after",
            )
            continue
        if (
            isinstance(ev, MilestoneEvent)
            and ev.milestone not in ("departed", "arrived")
            and plan.profile.stop_named(ev.at) is None
        ):
            names = ", ".join(s.name for s in plan.profile.stops) or "none"
            reject(i, f"at: unknown place '{ev.at}' for this train; its crossings: {names}")
            continue
        per_train[ev.train_id] = per_train.get(ev.train_id, 0) + 1
        if per_train[ev.train_id] > MAX_PER_TRAIN:
            reject(
                i,
                f"train_id: more than {MAX_PER_TRAIN:,} events for train '{ev.train_id}' in one "
                "batch; send the rest in another",
            )
            continue
        first[key] = ev
        index_of[key] = i
        events.append(ev)
    return Admitted(events, index_of, duplicates, tuple(sorted(foreign)))


def match(events: list[AnyEvent], plans: dict[str, TrainPlan]) -> dict[EventKey, tuple[float, float]]:
    """Map-match the position events onto their trains' planned routes: (train, event id) -> (km
    along the route, km off it). One matrix product per train; the rest is done for all at once."""
    positions = [ev for ev in events if isinstance(ev, PositionEvent)]
    if not positions:
        return {}
    n = len(positions)
    xyz = unit_vectors(
        np.fromiter((e.lat for e in positions), float, n), np.fromiter((e.lon for e in positions), float, n)
    )
    by_train: dict[str, list[int]] = {}
    for k, ev in enumerate(positions):
        by_train.setdefault(ev.train_id, []).append(k)
    km, best = np.empty(n), np.empty(n)
    for tid, idx in by_train.items():
        p = plans[tid].profile
        dots = p.xyz @ xyz[idx].T
        i = dots.argmax(axis=0)
        km[idx] = p.km[i]
        best[idx] = dots[i, np.arange(len(idx))]
    off = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip((1 - best) / 2, 0.0, 1.0)))
    return dict(
        zip(
            ((e.train_id, e.event_id) for e in positions),
            zip(km.tolist(), off.tolist(), strict=True),
            strict=True,
        )
    )
