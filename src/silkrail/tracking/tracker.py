"""The tracking core: trains, event batches (idempotent, per-event all-or-nothing), state, ETA,
learned dwell and alerts. The HTTP service is a thin shell over this."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Engine

from silkrail.errors import DataError, UnknownPlaceError
from silkrail.tracking import store
from silkrail.tracking.eta import Profile, build_profile, estimate
from silkrail.tracking.model import Event, MilestoneEvent, TrainIn

LATE_H = 12.0
OFF_ROUTE_KM = 50.0
SILENT_H = 24.0
FUTURE_TOLERANCE = timedelta(hours=1)
_EVENT = TypeAdapter(Event)


class UnknownTrainError(DataError, LookupError):
    """No train with that id."""


def _utc(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
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


def _insert_new_events(c: Any, rows: list[dict[str, Any]]) -> set[str]:
    """INSERT ... ON CONFLICT (event_id) DO NOTHING RETURNING event_id (SQLite and PostgreSQL)."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if c.dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(store.events)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(store.events.c.event_id)
    )
    return set(c.execute(stmt, rows).scalars())


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
        self._lock = threading.Lock()
        self._profiles: dict[str, Profile] = {}
        self._planned: dict[str, datetime] = {}

    # --- trains --------------------------------------------------------------------------

    def create_train(self, t: TrainIn) -> dict[str, Any]:
        from silkrail.routing.router import router_for

        router = router_for(self.net)
        try:
            route = router.route(
                t.origin, t.destination, mode="rail", teu=t.teu, year=min(max(t.departure.year, 2024), 2100)
            )
        except UnknownPlaceError as exc:
            raise DataError(str(exc), field="origin" if t.origin in str(exc) else "destination") from None
        profile = build_profile(route, self.net.crossings)
        departure = _utc(t.departure)
        assert departure is not None
        planned = departure + timedelta(hours=route.duration_h)
        tid = uuid.uuid4().hex[:16]
        now = datetime.now(UTC)
        with self._lock, self.engine.begin() as c:
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
        return {"id": tid, "eta": planned, "route": route.to_dict()}

    def _profile(self, c: Any, tid: str) -> Profile:
        p = self._profiles.get(tid)
        if p is None:
            row = c.execute(select(store.trains.c.profile).where(store.trains.c.id == tid)).one()
            p = self._profiles[tid] = Profile.from_json(json.loads(row.profile))
        return p

    def train(self, tid: str) -> dict[str, Any]:
        rows = self._states(tid=tid)
        if not rows:
            raise UnknownTrainError(f"no train '{tid}'", field="train_id")
        return rows[0]

    def trains(self, status: str | None = None) -> list[dict[str, Any]]:
        return self._states(status=status)

    def _states(self, tid: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
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
                s.c.last_time,
                s.c.progress_km,
                s.c.eta,
                s.c.delay_h,
                s.c.crossing,
            )
            .join(s, s.c.train_id == t.c.id)
            .order_by(t.c.created_at)
        )
        if tid is not None:
            q = q.where(t.c.id == tid)
        if status is not None:
            q = q.where(s.c.status == status)
        out = []
        with self.engine.connect() as c:
            for r in c.execute(q):
                p = self._profile(c, r.id)
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
                        if r.last_time is None
                        else {"lat": r.last_lat, "lon": r.last_lon, "time": _utc(r.last_time)},
                        "progress_km": round(r.progress_km, 1),
                        "remaining_km": round(max(p.total_km - r.progress_km, 0.0), 1),
                        "eta": _utc(r.eta),
                        "planned_arrival": _utc(r.planned_arrival),
                        "delay_h": round(r.delay_h, 2),
                        "next_event": nxt,
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
        effect on the train's state in one transaction; duplicates (same event_id) count once."""
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
            if _utc(ev.time) > now + FUTURE_TOLERANCE:  # type: ignore[operator]
                rejected.append({"index": i, "error": f"time: {ev.time.isoformat()} is in the future"})
                continue
            if ev.event_id in seen:
                duplicates += 1
                continue
            seen.add(ev.event_id)
            valid.append((i, ev))
        changed: list[str] = []
        new_alerts: list[dict[str, Any]] = []
        with self._lock, self.engine.begin() as c:
            train_ids = sorted({ev.train_id for _, ev in valid})
            states = {
                r.train_id: dict(r._mapping)
                for r in c.execute(
                    select(store.train_states).where(store.train_states.c.train_id.in_(train_ids))
                )
            }
            learned = {r.crossing: (r.n, r.mean_h, r.m2) for r in c.execute(select(store.crossing_dwell))}
            rows, accepted_events = [], []
            for i, ev in valid:
                if ev.train_id not in states:
                    rejected.append({"index": i, "error": f"train_id: no train '{ev.train_id}'"})
                    continue
                if (
                    isinstance(ev, MilestoneEvent)
                    and ev.milestone not in ("departed", "arrived")
                    and self._profile(c, ev.train_id).stop_named(ev.at) is None
                ):
                    names = ", ".join(s["name"] for s in self._profile(c, ev.train_id).stops) or "none"
                    error = f"at: unknown place '{ev.at}' for this train; its crossings: {names}"
                    rejected.append({"index": i, "error": error})
                    continue
                accepted_events.append(ev)
                rows.append(
                    {
                        "event_id": ev.event_id,
                        "train_id": ev.train_id,
                        "time": _utc(ev.time),
                        "kind": ev.kind,
                        "lat": getattr(ev, "lat", None),
                        "lon": getattr(ev, "lon", None),
                        "milestone": getattr(ev, "milestone", None),
                        "at": getattr(ev, "at", None),
                        "received_at": now,
                    }
                )
            # one statement stores the new events and names them: an event_id already stored is
            # a duplicate (idempotent retries), and only new events move a train's state
            new_ids = _insert_new_events(c, rows) if rows else set()
            duplicates += len(rows) - len(new_ids)
            accepted_events = [ev for ev in accepted_events if ev.event_id in new_ids]
            dwell_updates: dict[str, tuple[int, float, float]] = {}
            for ev in sorted(accepted_events, key=lambda e: _utc(e.time)):  # type: ignore[arg-type, return-value]
                st = states[ev.train_id]
                new_alerts += self._apply(c, st, ev, learned, dwell_updates)
                if ev.train_id not in changed:
                    changed.append(ev.train_id)
            if changed:  # one statement for every train that moved
                s = store.train_states
                cols = [col.name for col in s.columns if col.name != "train_id"]
                stmt = (
                    update(s)
                    .where(s.c.train_id == bindparam("b_train_id"))
                    .values({col: bindparam(f"b_{col}") for col in cols})
                )
                params = []
                for tid in changed:
                    states[tid]["updated_at"] = now
                    params.append({"b_train_id": tid, **{f"b_{col}": states[tid][col] for col in cols}})
                c.execute(stmt, params)
            for key, (n, mean, m2) in dwell_updates.items():
                exists = c.execute(
                    select(store.crossing_dwell.c.n).where(store.crossing_dwell.c.crossing == key)
                ).first()
                if exists:
                    c.execute(
                        update(store.crossing_dwell)
                        .where(store.crossing_dwell.c.crossing == key)
                        .values(n=n, mean_h=mean, m2=m2)
                    )
                else:
                    c.execute(insert(store.crossing_dwell).values(crossing=key, n=n, mean_h=mean, m2=m2))
            _store_alerts(c, new_alerts)
        return {
            "accepted": len(accepted_events),
            "duplicates": duplicates,
            "rejected": sorted(rejected, key=lambda r: r["index"]),
            "changed": changed,
            "alerts": new_alerts,
        }

    def _apply(
        self, c: Any, st: dict[str, Any], ev: Any, learned: dict[str, Any], dwell_updates: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Move one train's state by one event (in time order); returns new alerts."""
        tid = ev.train_id
        p = self._profile(c, tid)
        t = _utc(ev.time)
        assert t is not None
        last = _utc(st["last_time"])
        alerts: list[dict[str, Any]] = []
        if last is not None and t < last and ev.kind == "position":
            return alerts  # an old position arriving late: stored, but the newer state stands
        if ev.kind == "position":
            km, off = p.locate(ev.lat, ev.lon)
            st.update(last_lat=ev.lat, last_lon=ev.lon, last_time=t, progress_km=max(st["progress_km"], km))
            if st["status"] == "planned":
                st["status"] = "running"
            if off > OFF_ROUTE_KM:
                alerts += self._alert(
                    st, tid, "off_route", t, f"position {off:,.0f} km off the planned route"
                )
        else:
            st["last_time"] = max(t, last) if last else t
            stop = p.stop_named(ev.at) if ev.milestone not in ("departed", "arrived") else None
            key = (stop["id"] or stop["name"]) if stop else None
            if ev.milestone == "departed":
                st["status"] = "running"
            elif ev.milestone == "arrived":
                st.update(status="arrived", progress_km=p.total_km, eta=t, crossing=None, crossing_since=None)
            elif ev.milestone in ("border_entry", "gauge_change_start") and stop is not None:
                if st["crossing"] != key:
                    st.update(
                        status="at_crossing",
                        crossing=key,
                        crossing_since=t,
                        progress_km=max(st["progress_km"], stop["km"]),
                    )
            elif (
                ev.milestone in ("border_exit", "gauge_change_done")
                and stop is not None
                and st["crossing"] == key
            ):
                since = _utc(st["crossing_since"])
                if since is not None and ev.milestone == "border_exit":
                    observed = (t - since).total_seconds() / 3600
                    n, mean, m2 = dwell_updates.get(key, learned.get(key, (0, 0.0, 0.0)))
                    n += 1
                    delta = observed - mean
                    mean += delta / n
                    m2 += delta * (observed - mean)
                    dwell_updates[key] = learned[key] = (n, mean, m2)
                    if observed > stop["p95_h"]:
                        alerts += self._alert(
                            st,
                            tid,
                            "dwell",
                            t,
                            f"{observed:,.1f} h at {stop['name']}, beyond "
                            f"its expected 95th percentile of {stop['p95_h']:,.1f} h",
                        )
                if ev.milestone == "border_exit":
                    st.update(status="running", crossing=None, crossing_since=None)
        if st["status"] != "arrived":
            st["eta"] = estimate(
                p,
                now=_utc(st["last_time"]) or t,
                progress_km=st["progress_km"],
                learned=learned,
                inside=st["crossing"],
                inside_since=_utc(st["crossing_since"]),
            )
        planned = self._planned.get(tid)
        if planned is None:
            row = c.execute(
                select(store.trains.c.planned_arrival).where(store.trains.c.id == tid)
            ).scalar_one()
            planned = self._planned[tid] = _utc(row)  # type: ignore[assignment]
        st["delay_h"] = (_utc(st["eta"]) - planned).total_seconds() / 3600  # type: ignore[operator]
        if st["delay_h"] > LATE_H:
            alerts += self._alert(
                st,
                tid,
                "late",
                t,
                f"expected {st['delay_h']:,.1f} h late (ETA {_utc(st['eta']):%Y-%m-%d %H:%M} UTC)",
            )
        return alerts

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
        with self._lock, self.engine.begin() as c:
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
