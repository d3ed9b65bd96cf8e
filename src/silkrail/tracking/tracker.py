"""The tracking core: trains, event batches (idempotent, per-event all-or-nothing), state, ETA,
learned dwell and alerts. The HTTP service is a thin shell over this."""

from __future__ import annotations

import bisect
import json
import logging
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Engine

from silkrail.errors import DataError, SilkrailError, UnknownPlaceError
from silkrail.network.geo import EARTH_RADIUS_KM, unit_vectors
from silkrail.tracking import store
from silkrail.tracking.eta import MAX_OBSERVED_DWELL_H, Profile, build_profile, dwell_cap, estimate
from silkrail.tracking.model import Event, MilestoneEvent, TrainIn

LATE_H = 12.0
OFF_ROUTE_KM = 50.0
SILENT_H = 24.0
FUTURE_TOLERANCE = timedelta(hours=1)
CHANGE_OVERLAP = timedelta(seconds=2)  # clock skew between service processes
BEFORE_DEPARTURE = timedelta(days=7)  # events may come from the terminal before departure
LONGEST_JOURNEY = timedelta(days=120)  # no event of a train comes later after its departure
MAX_PER_TRAIN = 2_000  # events for one train in one batch (a day of positions each minute fits)
LOCK_BUDGET_S = 10.0  # a batch holding the write lock longer than this is rolled back
BORDER = ("border_entry", "border_exit")
_EVENT = TypeAdapter(Event)
log = logging.getLogger("silkrail.tracking")


class UnknownTrainError(DataError, LookupError):
    """No train with that id."""


class ForbiddenError(SilkrailError, PermissionError):
    """The token's operator may not write this."""


class EventRejected(ValueError):
    """One event cannot be applied; the message names the field (the rest of the batch stands)."""


class LockBudgetExceeded(TimeoutError):
    """A batch held the write lock for LOCK_BUDGET_S; it was rolled back."""


def _utc(dt: datetime | None) -> datetime | None:
    if dt is None or dt.tzinfo is UTC:
        return dt
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _err(exc: ValidationError) -> str:
    e = exc.errors()[0]
    loc = [str(x) for x in e["loc"] if not isinstance(x, int)]
    if loc and loc[0] in ("position", "milestone"):
        loc = loc[1:]  # the union's tag is not a field
    where = ".".join(loc) or "event"
    msg = e["msg"].removeprefix("Value error, ")
    if e["type"] == "union_tag_invalid" or where == "event":
        msg = "kind must be 'position' or 'milestone'"
    return f"{where}: {msg}"


def _row(ev: Any, received: datetime, token_id: str | None = None) -> dict[str, Any]:
    """The events-table row of an event (attributes read directly: a pydantic model's missing
    attribute is slow to probe), with the id of the token that wrote it."""
    row = {"event_id": ev.event_id, "train_id": ev.train_id, "time": _utc(ev.time), "kind": ev.kind}
    if ev.kind == "position":
        row.update(lat=ev.lat, lon=ev.lon, milestone=None, at=None)
    else:
        row.update(lat=None, lon=None, milestone=ev.milestone, at=ev.at)
    row["received_at"] = received
    row["token_id"] = token_id
    return row


def _content(ev: Any) -> tuple[Any, ...]:
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


def _welford(n: int, mean: float, m2: float, x: float) -> tuple[int, float, float]:
    """One more observation ``x`` in a running mean and sum of squared deviations."""
    n += 1
    delta = x - mean
    mean += delta / n
    return n, mean, m2 + delta * (x - mean)


class _Milestones:
    """The stored border milestones of a batch's trains, by (train, stop, milestone) in time
    order: read in one query, the first time an event needs them, for the whole batch (so the
    work under the write lock stays linear in the batch however many such events it holds).
    Events of this batch are in it too (stored before the lock); ``rejected`` ones are not."""

    def __init__(self, c: Any, profiles: dict[str, Profile], batch: set[str], dropped: set[str]) -> None:
        self.c, self.profiles, self.batch = c, profiles, batch
        self.rejected = dropped
        self._by: dict[tuple[str, str, str], list[tuple[datetime, str]]] | None = None

    def _times(self, tid: str, key: str, milestone: str) -> list[tuple[datetime, str]]:
        if self._by is None:
            self._by = {}
            e = store.events
            rows = self.c.execute(
                select(e.c.event_id, e.c.train_id, e.c.milestone, e.c.time, e.c.at).where(
                    e.c.train_id.in_(sorted(self.profiles)), e.c.milestone.in_(BORDER)
                )
            )
            for r in rows:
                stop = self.profiles[r.train_id].stop_named(r.at)
                if stop is not None:
                    k = (r.train_id, stop["id"] or stop["name"], r.milestone)
                    self._by.setdefault(k, []).append((_utc(r.time), r.event_id))  # type: ignore[arg-type]
            for times in self._by.values():
                times.sort()
        return self._by.get((tid, key, milestone), [])

    def last(self, tid: str, key: str, milestone: str, t: datetime, me: str) -> datetime | None:
        """The latest ``milestone`` at ``key`` at or before ``t`` (this batch's included)."""
        times = self._times(tid, key, milestone)
        for k in range(bisect.bisect_right(times, (t, "\U0010ffff")) - 1, -1, -1):
            if times[k][1] != me and times[k][1] not in self.rejected:
                return times[k][0]
        return None

    def first(self, tid: str, key: str, milestone: str, t: datetime, me: str) -> datetime | None:
        """The earliest ``milestone`` at ``key`` at or after ``t``, stored before this batch."""
        times = self._times(tid, key, milestone)
        for k in range(bisect.bisect_left(times, (t, "")), len(times)):
            if times[k][1] != me and times[k][1] not in self.batch:
                return times[k][0]
        return None

    def none_between(self, tid: str, key: str, milestone: str, a: datetime, b: datetime, me: str) -> bool:
        """Whether no other ``milestone`` at ``key`` lies strictly between ``a`` and ``b``: an
        entry pairs with one exit only."""
        times = self._times(tid, key, milestone)
        for k in range(bisect.bisect_right(times, (a, "\U0010ffff")), len(times)):
            if times[k][0] >= b:
                return True
            if times[k][1] != me and times[k][1] not in self.rejected:
                return False
        return True


def _match(events: list[Any], profiles: dict[str, Profile]) -> dict[str, tuple[float, float]]:
    """Map-match the position events onto their trains' planned routes: event_id -> (km along
    the route, km off it). One matrix product per train; the rest is done for all at once."""
    positions = [ev for ev in events if ev.kind == "position"]
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
        p = profiles[tid]
        dots = p.xyz @ xyz[idx].T
        i = dots.argmax(axis=0)
        km[idx] = p.km[i]
        best[idx] = dots[i, np.arange(len(idx))]
    off = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip((1 - best) / 2, 0.0, 1.0)))
    return dict(
        zip((e.event_id for e in positions), zip(km.tolist(), off.tolist(), strict=True), strict=True)
    )


def _store_alerts(c: Any, alerts: list[dict[str, Any]]) -> None:
    """Insert new alerts and give each its id."""
    for a in alerts:
        res = c.execute(
            insert(store.alerts).values(
                train_id=a["train_id"], kind=a["kind"], message=a["message"], time=a["time"]
            )
        )
        a["id"] = int(res.inserted_primary_key[0])


class Tracker:
    """Trains and their events in one database, with a router for the planned routes."""

    def __init__(self, engine: Engine, net: Any) -> None:
        self.engine = engine
        self.net = net
        self._profiles: dict[str, Profile] = {}
        self._planned: dict[str, datetime] = {}
        self._meta: dict[str, tuple[str | None, datetime]] = {}  # train id -> (operator, departure)

    # --- trains --------------------------------------------------------------------------

    def create_train(self, t: TrainIn, *, token: Any = None) -> dict[str, Any]:
        """Plan and store a train. ``token`` (an ``auth.Token``; None: an admin) decides whose
        train it is: its own operator's, or the one an admin names."""
        from silkrail.routing.router import router_for

        operator = t.operator
        if token is not None and not token.admin:
            if operator not in (None, token.operator):
                raise ForbiddenError(
                    f"operator: this token writes the trains of '{token.operator}', not of '{operator}'"
                )
            operator = token.operator

        router = router_for(self.net)
        try:
            route = router.route(
                t.origin, t.destination, mode="rail", teu=t.teu, year=self.net.clamp_year(t.departure.year)
            )
        except UnknownPlaceError as exc:
            raise DataError(str(exc), field="origin" if t.origin in str(exc) else "destination") from None
        profile = build_profile(route, self.net.crossings)
        departure = _utc(t.departure)
        assert departure is not None
        planned = departure + timedelta(hours=route.train_h)
        tid = uuid.uuid4().hex[:16]
        with store.write_transaction(self.engine) as c:
            now = datetime.now(UTC)
            c.execute(
                insert(store.trains).values(
                    id=tid,
                    name=t.name,
                    origin=route.origin.name,
                    destination=route.destination.name,
                    departure=departure,
                    teu=t.teu,
                    route=json.dumps(route.to_dict(), ensure_ascii=False),
                    profile=json.dumps(profile.to_json()),
                    planned_arrival=planned,
                    created_at=now,
                    operator=operator,
                    created_by=None if token is None else token.id,
                )
            )
            c.execute(
                insert(store.train_states).values(
                    train_id=tid,
                    status="planned",
                    progress_km=0.0,
                    eta=planned,
                    delay_h=0.0,
                    alerted="",
                    updated_at=now,
                )
            )
        self._profiles[tid] = profile
        self._planned[tid] = planned
        self._meta[tid] = (operator, departure)
        return {"id": tid, "eta": planned, "route": route.to_dict()}

    def train(self, tid: str) -> dict[str, Any]:
        rows = self._states(tid=tid)
        if not rows:
            raise UnknownTrainError(f"no train '{tid}'", field="train_id")
        return rows[0]

    def trains(
        self, status: str | None = None, *, limit: int | None = None, offset: int = 0
    ) -> list[dict[str, Any]]:
        """Train states, oldest train first; a page of ``limit`` after ``offset``."""
        return self._states(status=status, limit=limit, offset=offset)

    def changes(
        self, cursor: dict[str, Any] | None
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
        """What changed after ``cursor`` (from any service process): (train states, alerts, the
        next cursor). Trains changed within the last CHANGE_OVERLAP before the cursor come again:
        the caller drops repeats by ``updated_at``. ``None`` starts from now: no alerts, and the
        trains of the overlap as they are now (for the caller to count as seen)."""
        s, a = store.train_states, store.alerts
        if cursor is None:
            with self.engine.connect() as c:
                latest = _utc(c.execute(select(func.max(s.c.updated_at))).scalar())
                last_alert = c.execute(select(func.max(a.c.id))).scalar()
            seen = self._states(since=latest - CHANGE_OVERLAP) if latest else []
            return seen, [], {"time": latest or datetime.now(UTC), "alert": last_alert or 0}
        trains = self._states(since=cursor["time"] - CHANGE_OVERLAP)
        alerts = self.alerts(cursor["alert"])
        latest = max((t["updated_at"] for t in trains), default=cursor["time"])
        return (
            trains,
            alerts,
            {
                "time": max(latest, cursor["time"]),
                "alert": max((x["id"] for x in alerts), default=cursor["alert"]),
            },
        )

    def _states(
        self,
        tid: str | None = None,
        status: str | None = None,
        since: datetime | None = None,
        *,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        t, s = store.trains, store.train_states
        q = (
            select(
                t.c.id,
                t.c.name,
                t.c.origin,
                t.c.destination,
                t.c.departure,
                t.c.planned_arrival,
                s.c.status,
                s.c.last_lat,
                s.c.last_lon,
                s.c.position_time,
                s.c.progress_km,
                s.c.eta,
                s.c.delay_h,
                s.c.crossing,
                s.c.updated_at,
            )
            .join(s, s.c.train_id == t.c.id)
            .order_by(t.c.created_at)
        )
        if tid is not None:
            q = q.where(t.c.id == tid)
        if status is not None:
            q = q.where(s.c.status == status)
        if since is not None:  # what changed, in the order it changed
            q = q.where(s.c.updated_at > since).order_by(None).order_by(s.c.updated_at)
        if limit is not None:
            q = q.order_by(t.c.id).limit(limit).offset(offset)  # id: a stable order among equal times
        out = []
        with self.engine.connect() as c:
            rows = c.execute(q).all()
        profiles = self._load_profiles({r.id for r in rows})  # one query for those not cached
        for r in rows:
            p = profiles[r.id]
            ahead = [x for x in p.stops if x["km"] > r.progress_km + 1.0]
            inside = next(
                (x["name"] for x in p.stops if r.crossing and (x["id"] or x["name"]) == r.crossing), None
            )
            nxt = inside or (ahead[0]["name"] if ahead else None)
            out.append(
                {
                    "id": r.id,
                    "name": r.name,
                    "status": r.status,
                    "origin": r.origin,
                    "destination": r.destination,
                    "departure": _utc(r.departure),
                    "last_position": None
                    if r.position_time is None
                    else {"lat": r.last_lat, "lon": r.last_lon, "time": _utc(r.position_time)},
                    "progress_km": round(r.progress_km, 1),
                    "remaining_km": round(max(p.total_km - r.progress_km, 0.0), 1),
                    "eta": _utc(r.eta),
                    "planned_arrival": _utc(r.planned_arrival),
                    "delay_h": round(r.delay_h, 2),
                    "next_event": nxt,
                    "updated_at": _utc(r.updated_at),
                }
            )
        return out

    def alerts(
        self, since_id: int = 0, *, limit: int | None = None, newest_first: bool = False
    ) -> list[dict[str, Any]]:
        """Alerts with an id above ``since_id``, oldest first (or newest first), at most ``limit``."""
        a = store.alerts
        q = select(a).where(a.c.id > since_id).order_by(a.c.id.desc() if newest_first else a.c.id)
        with self.engine.connect() as c:
            rows = c.execute(q.limit(limit)).all()
        return [
            {"id": r.id, "train_id": r.train_id, "kind": r.kind, "message": r.message, "time": _utc(r.time)}
            for r in rows
        ]

    # --- events --------------------------------------------------------------------------

    def ingest(self, raw: list[Any], *, now: datetime | None = None, token: Any = None) -> dict[str, Any]:
        """Store a batch: each event is validated alone; valid new events are stored with their
        effect on the train's state in one transaction; duplicates (same event_id, same content)
        count once. ``token`` (an ``auth.Token``; None: an admin) may write its operator's trains.

        Work that needs no train state (validation, map-matching) runs before the lock, so one
        batch's Python work overlaps another's database round trips. Under the lock the work is
        linear in the batch: at most one query for the stored border milestones the batch needs.
        Each train's events are applied on their own: a failure rejects that train's events, with
        a reason, and the rest of the batch is stored."""
        now = now or datetime.now(UTC)
        rejected: list[dict[str, Any]] = []
        valid: list[tuple[int, Any]] = []
        for i, item in enumerate(raw):
            try:
                ev = _EVENT.validate_python(item)
            except ValidationError as exc:
                rejected.append({"index": i, "error": _err(exc)})
                continue
            if ev.time > now + FUTURE_TOLERANCE:
                rejected.append({"index": i, "error": f"time: {ev.time.isoformat()} is in the future"})
                continue
            valid.append((i, ev))
        profiles = self._load_profiles({ev.train_id for _, ev in valid})
        events, index_of, duplicates = self._admit(valid, profiles, rejected, token)
        matched = _match(events, profiles)
        token_id = None if token is None else token.id
        rows = [_row(ev, now, token_id) for ev in events]
        changed: list[str] = []
        new_alerts: list[dict[str, Any]] = []
        with store.write_transaction(self.engine, lock=False) as c:
            # one statement stores the new events and names them: an event_id already stored is
            # a duplicate (idempotent retries), and only new events move a train's state. Other
            # batches may store theirs meanwhile (an event_id in flight elsewhere waits for that
            # transaction's end); the states are then updated one batch at a time.
            new_ids = store.insert_new_events(c, rows)
            if len(new_ids) < len(rows):
                duplicates += self._repeats(
                    c, [r for r in rows if r["event_id"] not in new_ids], index_of, rejected
                )
            store.lock_writes(c)
            locked = time.monotonic()
            events = [ev for ev in events if ev.event_id in new_ids]
            by_train: dict[str, list[Any]] = {}
            for ev in sorted(events, key=lambda e: e.time):
                by_train.setdefault(ev.train_id, []).append(ev)
            s = store.train_states
            states = (
                {
                    r.train_id: dict(r._mapping)
                    for r in c.execute(select(s).where(s.c.train_id.in_(sorted(by_train))))
                }
                if by_train
                else {}
            )
            learned = {r.crossing: (r.n, r.mean_h, r.m2) for r in c.execute(select(store.crossing_dwell))}
            dwell_updates: dict[str, tuple[int, float, float]] = {}
            dropped: set[str] = set()
            stored = _Milestones(c, profiles, new_ids, dropped)
            for n, (tid, mine) in enumerate(sorted(by_train.items())):
                if n % 64 == 0 and time.monotonic() - locked > LOCK_BUDGET_S:
                    raise LockBudgetExceeded(
                        f"the batch needed more than {LOCK_BUDGET_S:.0f} s under the write lock and was "
                        "not stored; send it again in smaller batches"
                    )
                alerts = self._apply_train(
                    states[tid],
                    mine,
                    profiles[tid],
                    matched,
                    learned,
                    dwell_updates,
                    stored,
                    index_of,
                    rejected,
                )
                if alerts is None:  # every event of this train rejected
                    dropped.update(ev.event_id for ev in mine)
                    continue
                dropped.update(ev.event_id for ev in mine if ev.event_id in stored.rejected)
                new_alerts += alerts
                changed.append(tid)
            store.delete_events(c, dropped)
            stamp = datetime.now(UTC)  # taken under the write lock: stamps follow commit order
            for tid in changed:
                states[tid]["updated_at"] = stamp
            store.update_states(c, [states[tid] for tid in changed])
            for key, (n, mean, m2) in dwell_updates.items():
                d = store.crossing_dwell
                if (
                    c.execute(update(d).where(d.c.crossing == key).values(n=n, mean_h=mean, m2=m2)).rowcount
                    == 0
                ):
                    c.execute(insert(d).values(crossing=key, n=n, mean_h=mean, m2=m2))
            _store_alerts(c, new_alerts)
        return {
            "accepted": len(events) - len(dropped),
            "duplicates": duplicates,
            "rejected": sorted(rejected, key=lambda r: r["index"]),
            "changed": changed,
            "alerts": new_alerts,
        }

    def _admit(
        self,
        valid: list[tuple[int, Any]],
        profiles: dict[str, Profile],
        rejected: list[dict[str, Any]],
        token: Any,
    ) -> tuple[list[Any], dict[str, int], int]:
        """The events that may be stored (known train, the token's operator's, a plausible time,
        a known place, within the per-train cap); the others are added to ``rejected``. Returns
        (events, event_id -> index in the batch, repeats within the batch)."""
        events: list[Any] = []
        index_of: dict[str, int] = {}
        first: dict[str, Any] = {}
        per_train: dict[str, int] = {}
        duplicates = 0

        def reject(i: int, error: str) -> None:
            rejected.append({"index": i, "error": error})

        for i, ev in valid:
            if ev.event_id in first:  # a repeat within the batch, after a copy that was accepted
                if _content(first[ev.event_id]) != _content(ev):
                    reject(
                        i,
                        f"event_id: '{ev.event_id}' comes twice in this batch with different content; "
                        "give each event its own id",
                    )
                else:
                    duplicates += 1
                continue
            p = profiles.get(ev.train_id)
            if p is None:
                reject(i, f"train_id: no train '{ev.train_id}'")
                continue
            operator, departure = self._meta[ev.train_id]
            if token is not None and not token.may_write(operator):
                reject(
                    i,
                    f"train_id: train '{ev.train_id}' is not of this token's operator "
                    f"'{token.operator}'; it takes events from its own operator's tokens",
                )
                continue
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
                and p.stop_named(ev.at) is None
            ):
                names = ", ".join(s["name"] for s in p.stops) or "none"
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
            first[ev.event_id] = ev
            index_of[ev.event_id] = i
            events.append(ev)
        return events, index_of, duplicates

    @staticmethod
    def _repeats(
        c: Any, rows: list[dict[str, Any]], index_of: dict[str, int], rejected: list[dict[str, Any]]
    ) -> int:
        """Of events whose id is stored already: the count with the same content (duplicates);
        the others are rejected (one query for them all)."""
        e = store.events
        cols = ("train_id", "time", "kind", "lat", "lon", "milestone", "at")
        ids = [r["event_id"] for r in rows]
        have = {
            r.event_id: r
            for r in c.execute(select(e.c.event_id, *(e.c[k] for k in cols)).where(e.c.event_id.in_(ids)))
        }
        same = 0
        for r in rows:
            old = have.get(r["event_id"])
            if old is None or all(
                (_utc(getattr(old, k)) if k == "time" else getattr(old, k)) == r[k] for k in cols
            ):
                same += 1  # (None: stored by a batch in flight, then rolled back; counts as before)
                continue
            rejected.append(
                {
                    "index": index_of[r["event_id"]],
                    "error": f"event_id: '{r['event_id']}' is stored already with other content; "
                    "give each event its own id",
                }
            )
        return same

    def _apply_train(
        self,
        st: dict[str, Any],
        mine: list[Any],
        p: Profile,
        matched: dict[str, tuple[float, float]],
        learned: dict[str, Any],
        dwell_updates: dict[str, Any],
        stored: _Milestones,
        index_of: dict[str, int],
        rejected: list[dict[str, Any]],
    ) -> list[dict[str, Any]] | None:
        """Apply one train's events (in time order) and refresh its ETA; returns its new alerts.
        An event that cannot be applied is rejected alone (its id goes to ``stored.rejected``);
        any other failure leaves the train as it was and rejects all its events (None)."""
        before = (dict(st), dict(learned), dict(dwell_updates))
        alerts: list[dict[str, Any]] = []
        try:
            for ev in mine:
                try:
                    alerts += self._apply(st, ev, p, matched, learned, dwell_updates, stored)
                except EventRejected as exc:
                    stored.rejected.add(ev.event_id)
                    rejected.append({"index": index_of[ev.event_id], "error": str(exc)})
            alerts += self._refresh_eta(st, ev.train_id, p, learned)
        except Exception:
            log.exception("train %s: its events could not be applied", mine[0].train_id)
            st.clear()
            st.update(before[0])
            for target, saved in ((learned, before[1]), (dwell_updates, before[2])):
                target.clear()
                target.update(saved)
            for ev in mine:
                if ev.event_id not in stored.rejected:
                    rejected.append(
                        {
                            "index": index_of[ev.event_id],
                            "error": f"train_id: the events of train '{ev.train_id}' could not be applied "
                            "(an internal error, logged); none of them was stored",
                        }
                    )
            return None
        return alerts

    def _load_profiles(self, train_ids: set[str]) -> dict[str, Profile]:
        """The planned-route profiles of these trains (cached; a train's profile never changes).
        Unknown trains are absent."""
        missing = [tid for tid in train_ids if tid not in self._profiles]
        if missing:
            t = store.trains
            with self.engine.connect() as c:
                for r in c.execute(
                    select(t.c.id, t.c.profile, t.c.planned_arrival, t.c.operator, t.c.departure).where(
                        t.c.id.in_(missing)
                    )
                ):
                    self._planned[r.id] = _utc(r.planned_arrival)  # type: ignore[assignment]
                    self._meta[r.id] = (r.operator, _utc(r.departure))  # type: ignore[assignment]
                    self._profiles[r.id] = Profile.from_json(json.loads(r.profile))
        return {tid: self._profiles[tid] for tid in train_ids if tid in self._profiles}

    def _apply(
        self,
        st: dict[str, Any],
        ev: Any,
        p: Profile,
        matched: dict[str, tuple[float, float]],
        learned: dict[str, Any],
        dwell_updates: dict[str, Any],
        stored: _Milestones,
    ) -> list[dict[str, Any]]:
        """Move one train's state by one event (the train's events come in time order; events
        older than the state still count where they can); returns new alerts. EventRejected
        (raised before any change) refuses this event alone."""
        tid = ev.train_id
        t = ev.time
        last = _utc(st["last_time"])
        alerts: list[dict[str, Any]] = []
        if last is not None and t < last and ev.kind == "position":
            return alerts  # an old position arriving late: stored, but the newer state stands
        if ev.kind == "position":
            km, off = matched[ev.event_id]
            st.update(
                last_lat=ev.lat,
                last_lon=ev.lon,
                last_time=t,
                position_time=t,
                progress_km=max(st["progress_km"], km),
            )
            if st["status"] == "planned":
                st["status"] = "running"
            if off > OFF_ROUTE_KM:
                alerts += self._alert(
                    st, tid, "off_route", t, f"position {off:,.0f} km off the planned route"
                )
            return alerts
        newer = last is None or t >= last
        stop = p.stop_named(ev.at) if ev.milestone not in ("departed", "arrived") else None
        key: str = (stop["id"] or stop["name"]) if stop else ""
        if stop is not None and st["status"] != "arrived":
            alerts += self._check_border(st, ev, stop, key, newer, learned, dwell_updates, stored)
        st["last_time"] = t if newer else last
        if st["status"] == "planned" and ev.milestone != "arrived":  # any milestone says it left
            st["status"] = "running"
        if ev.milestone == "arrived":
            st.update(status="arrived", progress_km=p.total_km, eta=t, crossing=None, crossing_since=None)
        elif stop is None or st["status"] == "arrived":
            pass
        elif ev.milestone in ("border_entry", "gauge_change_start"):
            if newer and st["crossing"] != key:
                st.update(
                    status="at_crossing",
                    crossing=key,
                    crossing_since=t,
                    progress_km=max(st["progress_km"], stop["km"]),
                )
        else:  # border_exit or gauge_change_done: the train is past the stop
            st["progress_km"] = max(st["progress_km"], stop["km"])
            if st["crossing"] == key and ev.milestone == "border_exit":
                st.update(status="running", crossing=None, crossing_since=None)
        return alerts

    def _check_border(
        self,
        st: dict[str, Any],
        ev: Any,
        stop: dict[str, Any],
        key: str,
        newer: bool,
        learned: dict[str, Any],
        dwell_updates: dict[str, Any],
        stored: _Milestones,
    ) -> list[dict[str, Any]]:
        """The wait a border milestone completes, learned (and alerted on); raises EventRejected
        for an exit before its entry or a wait no train makes. Changes no train state."""
        tid, t = ev.train_id, ev.time
        if ev.milestone == "border_exit":
            since = _utc(st["crossing_since"]) if st["crossing"] == key else None
            if since is not None:
                if t < since:
                    raise EventRejected(
                        f"time: this border_exit at {stop['name']} ({t.isoformat()}) is before the "
                        f"train's border_entry there ({since.isoformat()}); give the exit's true time"
                    )
                return self._learn_dwell(st, tid, stop, since, t, learned, dwell_updates)
            # an exit from a crossing the state never entered: its entry may be stored, out of order
            entered = stored.last(tid, key, "border_entry", t, ev.event_id)
            if entered is not None and stored.none_between(tid, key, "border_exit", entered, t, ev.event_id):
                return self._learn_dwell(st, tid, stop, entered, t, learned, dwell_updates)
        elif ev.milestone == "border_entry" and not newer:
            # the train has moved on since: its exit may be stored already, out of order (an
            # exit in this same batch comes later in time order and finds this entry itself)
            left = stored.first(tid, key, "border_exit", t, ev.event_id)
            if left is not None and stored.none_between(tid, key, "border_entry", t, left, ev.event_id):
                return self._learn_dwell(st, tid, stop, t, left, learned, dwell_updates)
        return []

    def _learn_dwell(
        self,
        st: dict[str, Any],
        tid: str,
        stop: dict[str, Any],
        entered: datetime,
        left: datetime,
        learned: dict[str, Any],
        dwell_updates: dict[str, Any],
    ) -> list[dict[str, Any]]:
        """Add one observed dwell to the crossing's running mean (Welford), counting for at most
        the stop's cap (``eta.dwell_cap``); a 'dwell' alert when it is beyond the crossing's
        expected 95th percentile. A wait beyond MAX_OBSERVED_DWELL_H is a wrong time: rejected."""
        key = stop["id"] or stop["name"]
        observed = (left - entered).total_seconds() / 3600
        if observed > MAX_OBSERVED_DWELL_H:
            raise EventRejected(
                f"time: a wait of {observed:,.0f} h at {stop['name']} (from {entered.isoformat()} to "
                f"{left.isoformat()}) is beyond the {MAX_OBSERVED_DWELL_H:,.0f} h any crossing takes; "
                "check the entry and exit times"
            )
        n, mean, m2 = dwell_updates.get(key, learned.get(key, (0, 0.0, 0.0)))
        n, mean, m2 = _welford(n, mean, m2, min(observed, dwell_cap(stop)))
        dwell_updates[key] = learned[key] = (n, mean, m2)
        if observed <= stop["p95_h"]:
            return []
        return self._alert(
            st,
            tid,
            "dwell",
            left,
            f"{observed:,.1f} h at {stop['name']}, "
            f"beyond its expected 95th percentile of {stop['p95_h']:,.1f} h",
        )

    def _refresh_eta(
        self, st: dict[str, Any], tid: str, p: Profile, learned: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Re-predict the ETA from the train's state; returns a 'late' alert when it is new."""
        if st["status"] != "arrived":
            st["eta"] = estimate(
                p,
                now=_utc(st["last_time"]) or datetime.now(UTC),
                progress_km=st["progress_km"],
                learned=learned,
                inside=st["crossing"],
                inside_since=_utc(st["crossing_since"]),
            )
        planned = self._planned[tid]
        st["delay_h"] = (_utc(st["eta"]) - planned).total_seconds() / 3600  # type: ignore[operator]
        if st["delay_h"] <= LATE_H:
            return []
        t = _utc(st["last_time"]) or datetime.now(UTC)
        return self._alert(
            st,
            tid,
            "late",
            t,
            f"expected {st['delay_h']:,.1f} h late (ETA {_utc(st['eta']):%Y-%m-%d %H:%M} UTC)",
        )

    @staticmethod
    def _alert(st: dict[str, Any], tid: str, kind: str, t: datetime, message: str) -> list[dict[str, Any]]:
        raised = set(filter(None, (st.get("alerted") or "").split(",")))
        if kind in raised:
            return []
        raised.add(kind)
        st["alerted"] = ",".join(sorted(raised))
        return [{"train_id": tid, "kind": kind, "message": message, "time": t}]

    def check_silent(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Raise a 'silent' alert for running trains with no event for SILENT_H hours."""
        now = now or datetime.now(UTC)
        out: list[dict[str, Any]] = []
        with store.write_transaction(self.engine) as c:
            s = store.train_states
            for r in c.execute(select(s).where(s.c.status.in_(["running", "at_crossing"]))).all():
                st = dict(r._mapping)
                last = _utc(st["last_time"])
                if last is None or (now - last).total_seconds() / 3600 < SILENT_H:
                    continue
                new = self._alert(
                    st,
                    r.train_id,
                    "silent",
                    now,
                    f"no event for {(now - last).total_seconds() / 3600:,.0f} h",
                )
                if new:
                    _store_alerts(c, new)
                    c.execute(update(s).where(s.c.train_id == r.train_id).values(alerted=st["alerted"]))
                out += new
        return out

    def repair(self) -> dict[str, tuple[int, float]]:
        """Recompute every crossing's learned dwell from the stored border milestones, with the
        rules ingest applies now (each exit paired with the latest entry before it and after the
        previous exit, a wait beyond MAX_OBSERVED_DWELL_H left out, each wait counting for at
        most the stop's cap): what a poisoned or pre-cap table should have held. Returns
        crossing -> (observations, mean hours)."""
        e = store.events
        with self.engine.connect() as c:
            rows = c.execute(
                select(e.c.train_id, e.c.milestone, e.c.time, e.c.at)
                .where(e.c.milestone.in_(BORDER))
                .order_by(e.c.train_id, e.c.time)
            ).all()
        profiles = self._load_profiles({r.train_id for r in rows})
        stats: dict[str, tuple[int, float, float]] = {}
        entered: dict[tuple[str, str], datetime] = {}
        for r in rows:
            p = profiles.get(r.train_id)
            stop = p.stop_named(r.at) if p else None
            if stop is None:
                continue
            key = stop["id"] or stop["name"]
            t = _utc(r.time)
            assert t is not None
            if r.milestone == "border_entry":
                entered[(r.train_id, key)] = t
                continue
            since = entered.pop((r.train_id, key), None)
            if since is None:
                continue
            observed = (t - since).total_seconds() / 3600
            if 0 <= observed <= MAX_OBSERVED_DWELL_H:
                stats[key] = _welford(*stats.get(key, (0, 0.0, 0.0)), min(observed, dwell_cap(stop)))
        with store.write_transaction(self.engine) as c:
            c.execute(store.crossing_dwell.delete())
            if stats:
                c.execute(
                    insert(store.crossing_dwell),
                    [{"crossing": k, "n": n, "mean_h": mean, "m2": m2} for k, (n, mean, m2) in stats.items()],
                )
        return {k: (n, mean) for k, (n, mean, _) in sorted(stats.items())}

    def check_writable(self) -> str | None:
        """None while a write can succeed, else why not: a trial write of a few pages (rolled
        back), so a full disk shows here before a batch finds it."""

        class _Rollback(Exception):
            pass

        try:
            with store.write_transaction(self.engine, lock=False) as c:
                c.execute(insert(store.service_probe).values(id=1, pad="x" * 16_384))
                raise _Rollback
        except _Rollback:
            return None
        except Exception as exc:
            if store.storage_failure(exc):
                return store.STORAGE_FULL
            return f"the database cannot take a write: {str(exc).splitlines()[0][:200]}"
