"""The tracking core: trains, event batches (idempotent, per-event all-or-nothing), state, ETA,
learned dwell and alerts. The HTTP service is a thin shell over this."""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Engine

from silkrail.errors import DataError, UnknownPlaceError
from silkrail.network.geo import EARTH_RADIUS_KM, unit_vectors
from silkrail.tracking import store
from silkrail.tracking.eta import Profile, build_profile, estimate
from silkrail.tracking.model import Event, MilestoneEvent, TrainIn

LATE_H = 12.0
OFF_ROUTE_KM = 50.0
SILENT_H = 24.0
FUTURE_TOLERANCE = timedelta(hours=1)
CHANGE_OVERLAP = timedelta(seconds=2)  # clock skew between service processes
_EVENT = TypeAdapter(Event)


class UnknownTrainError(DataError, LookupError):
    """No train with that id."""


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


def _row(ev: Any, received: datetime) -> dict[str, Any]:
    """The events-table row of an event (attributes read directly: a pydantic model's missing
    attribute is slow to probe)."""
    row = {"event_id": ev.event_id, "train_id": ev.train_id, "time": _utc(ev.time), "kind": ev.kind}
    if ev.kind == "position":
        row.update(lat=ev.lat, lon=ev.lon, milestone=None, at=None)
    else:
        row.update(lat=None, lon=None, milestone=ev.milestone, at=ev.at)
    row["received_at"] = received
    return row


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

    # --- trains --------------------------------------------------------------------------

    def create_train(self, t: TrainIn) -> dict[str, Any]:
        from silkrail.routing.router import router_for

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
        return {"id": tid, "eta": planned, "route": route.to_dict()}

    def train(self, tid: str) -> dict[str, Any]:
        rows = self._states(tid=tid)
        if not rows:
            raise UnknownTrainError(f"no train '{tid}'", field="train_id")
        return rows[0]

    def trains(self, status: str | None = None) -> list[dict[str, Any]]:
        return self._states(status=status)

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
        self, tid: str | None = None, status: str | None = None, since: datetime | None = None
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

    def alerts(self, since_id: int = 0) -> list[dict[str, Any]]:
        a = store.alerts
        with self.engine.connect() as c:
            rows = c.execute(select(a).where(a.c.id > since_id).order_by(a.c.id)).all()
        return [
            {"id": r.id, "train_id": r.train_id, "kind": r.kind, "message": r.message, "time": _utc(r.time)}
            for r in rows
        ]

    # --- events --------------------------------------------------------------------------

    def ingest(self, raw: list[Any], *, now: datetime | None = None) -> dict[str, Any]:
        """Store a batch: each event is validated alone; valid new events are stored with their
        effect on the train's state in one transaction; duplicates (same event_id) count once.

        Work that needs no train state (validation, map-matching) runs before the lock, so one
        batch's Python work overlaps another's database round trips."""
        now = now or datetime.now(UTC)
        rejected: list[dict[str, Any]] = []
        valid: list[tuple[int, Any]] = []
        seen: set[str] = set()
        duplicates = 0
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
        events: list[Any] = []
        for i, ev in valid:
            if ev.event_id in seen:  # a repeat within the batch, after a copy that was accepted
                duplicates += 1
                continue
            p = profiles.get(ev.train_id)
            if p is None:
                rejected.append({"index": i, "error": f"train_id: no train '{ev.train_id}'"})
            elif (
                isinstance(ev, MilestoneEvent)
                and ev.milestone not in ("departed", "arrived")
                and p.stop_named(ev.at) is None
            ):
                names = ", ".join(s["name"] for s in p.stops) or "none"
                rejected.append(
                    {
                        "index": i,
                        "error": f"at: unknown place '{ev.at}' for this train; its crossings: {names}",
                    }
                )
            else:
                seen.add(ev.event_id)
                events.append(ev)
        matched = _match(events, profiles)
        rows = [_row(ev, now) for ev in events]
        changed: list[str] = []
        new_alerts: list[dict[str, Any]] = []
        with store.write_transaction(self.engine, lock=False) as c:
            # one statement stores the new events and names them: an event_id already stored is
            # a duplicate (idempotent retries), and only new events move a train's state. Other
            # batches may store theirs meanwhile (an event_id in flight elsewhere waits for that
            # transaction's end); the states are then updated one batch at a time.
            new_ids = store.insert_new_events(c, rows)
            store.lock_writes(c)
            duplicates += len(rows) - len(new_ids)
            events = [ev for ev in events if ev.event_id in new_ids]
            train_ids = sorted({ev.train_id for ev in events})
            s = store.train_states
            states = (
                {
                    r.train_id: dict(r._mapping)
                    for r in c.execute(select(s).where(s.c.train_id.in_(train_ids)))
                }
                if train_ids
                else {}
            )
            learned = {r.crossing: (r.n, r.mean_h, r.m2) for r in c.execute(select(store.crossing_dwell))}
            dwell_updates: dict[str, tuple[int, float, float]] = {}
            for ev in sorted(events, key=lambda e: _utc(e.time)):  # type: ignore[arg-type, return-value]
                new_alerts += self._apply(
                    states[ev.train_id],
                    ev,
                    profiles[ev.train_id],
                    matched,
                    learned,
                    dwell_updates,
                    c,
                    new_ids,
                )
                if ev.train_id not in changed:
                    changed.append(ev.train_id)
            stamp = datetime.now(UTC)  # taken under the write lock: stamps follow commit order
            for tid in changed:  # the ETA once per train, after all its events in this batch
                new_alerts += self._refresh_eta(states[tid], tid, profiles[tid], learned)
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
            "accepted": len(events),
            "duplicates": duplicates,
            "rejected": sorted(rejected, key=lambda r: r["index"]),
            "changed": changed,
            "alerts": new_alerts,
        }

    def _load_profiles(self, train_ids: set[str]) -> dict[str, Profile]:
        """The planned-route profiles of these trains (cached; a train's profile never changes).
        Unknown trains are absent."""
        missing = [tid for tid in train_ids if tid not in self._profiles]
        if missing:
            t = store.trains
            with self.engine.connect() as c:
                for r in c.execute(
                    select(t.c.id, t.c.profile, t.c.planned_arrival).where(t.c.id.in_(missing))
                ):
                    self._planned[r.id] = _utc(r.planned_arrival)  # type: ignore[assignment]
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
        c: Any,
        batch: set[str],
    ) -> list[dict[str, Any]]:
        """Move one train's state by one event (the batch's events come in time order; events
        older than the state still count where they can); returns new alerts."""
        tid = ev.train_id
        t = _utc(ev.time)
        assert t is not None
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
        st["last_time"] = t if newer else last
        stop = p.stop_named(ev.at) if ev.milestone not in ("departed", "arrived") else None
        key: str = (stop["id"] or stop["name"]) if stop else ""
        if st["status"] == "planned" and ev.milestone != "arrived":  # any milestone says it left
            st["status"] = "running"
        if ev.milestone == "departed":
            pass
        elif ev.milestone == "arrived":
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
            elif not newer and ev.milestone == "border_entry":
                # the train has moved on since: its exit may be stored already, out of order (an
                # exit in this same batch comes later in time order and finds this entry itself)
                left = self._stored_milestones(c, tid, p, "border_exit", key, after=t, exclude=batch)
                if left:
                    alerts += self._learn_dwell(st, tid, stop, t, min(left), learned, dwell_updates)
        else:  # border_exit or gauge_change_done: the train is past the stop
            st["progress_km"] = max(st["progress_km"], stop["km"])
            if st["crossing"] == key:
                since = _utc(st["crossing_since"])
                if since is not None and ev.milestone == "border_exit":
                    alerts += self._learn_dwell(st, tid, stop, since, t, learned, dwell_updates)
                if ev.milestone == "border_exit":
                    st.update(status="running", crossing=None, crossing_since=None)
            elif ev.milestone == "border_exit":
                # an exit from a crossing the state never entered: its entry may be stored, out of order
                entered = self._stored_milestones(c, tid, p, "border_entry", key, before=t)
                if entered:
                    alerts += self._learn_dwell(st, tid, stop, max(entered), t, learned, dwell_updates)
        return alerts

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
        """Add one observed dwell to the crossing's running mean (Welford); a 'dwell' alert when
        it is beyond the crossing's expected 95th percentile."""
        key = stop["id"] or stop["name"]
        observed = (left - entered).total_seconds() / 3600
        n, mean, m2 = dwell_updates.get(key, learned.get(key, (0, 0.0, 0.0)))
        n += 1
        delta = observed - mean
        mean += delta / n
        m2 += delta * (observed - mean)
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

    @staticmethod
    def _stored_milestones(
        c: Any,
        tid: str,
        p: Profile,
        milestone: str,
        key: str,
        *,
        after: datetime | None = None,
        before: datetime | None = None,
        exclude: Collection[str] = (),
    ) -> list[datetime]:
        """Times of this train's stored ``milestone`` events at the stop ``key`` (within the
        bounds, leaving out the event ids in ``exclude``)."""
        e = store.events
        rows = c.execute(
            select(e.c.event_id, e.c.time, e.c.at).where(e.c.train_id == tid, e.c.milestone == milestone)
        ).all()
        out = []
        for r in rows:
            if r.event_id in exclude:
                continue
            stop = p.stop_named(r.at)
            t = _utc(r.time)
            assert t is not None
            if stop is None or (stop["id"] or stop["name"]) != key:
                continue
            if (after is None or t >= after) and (before is None or t <= before):
                out.append(t)
        return out

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
