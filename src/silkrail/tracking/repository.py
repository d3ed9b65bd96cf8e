"""Where the tracker keeps trains, events, states, learned dwell and alerts: a repository
interface and its SQL implementations (SQLite, PostgreSQL) over the tables of ``store``.

Reads that need no transaction open their own connection; writes take the connection of a
``write()`` transaction, so the caller decides what commits together.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Collection, Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Column, bindparam, func, insert, select, tuple_, update
from sqlalchemy.engine import Engine
from sqlalchemy.engine import Row as SqlRow

from silkrail.tracking import store
from silkrail.tracking.alerts import NewAlert
from silkrail.tracking.core import TrackState, TrainPlan
from silkrail.tracking.dwell import BORDER, DwellSums, StoredMilestone
from silkrail.tracking.eta import Profile
from silkrail.tracking.results import AlertRecord, TrainRecord
from silkrail.tracking.values import Row, Value

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

EVENT_CONTENT = ("train_id", "time", "kind", "lat", "lon", "milestone", "at")  # what an event says
EventKey = tuple[str, str]  # (train id, event id): what an event is known by


def utc(dt: datetime | None) -> datetime | None:
    """A stored time as an aware UTC time (SQLite gives them back without a zone)."""
    if dt is None or dt.tzinfo is UTC:
        return dt
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _utc(dt: datetime) -> datetime:
    out = utc(dt)
    assert out is not None
    return out


class Repository(Protocol):
    """The tracker's storage. ``c`` is the connection of a ``write()`` transaction."""

    engine: Engine

    def write(self, *, lock: bool = True) -> AbstractContextManager[Connection]: ...
    def lock_states(self, c: Connection, train_ids: Collection[str]) -> dict[str, TrackState]: ...
    def notify(self, c: Connection, trains: Collection[str], alerts: Collection[int]) -> None: ...
    def add_train(
        self, c: Connection, train: Mapping[str, Value], state: TrackState, now: datetime
    ) -> None: ...
    def plans(self, train_ids: Collection[str]) -> dict[str, TrainPlan]: ...
    def insert_new_events(self, c: Connection, rows: list[Row]) -> set[EventKey]: ...
    def stored_contents(self, c: Connection, keys: list[EventKey]) -> dict[EventKey, tuple[Value, ...]]: ...
    def delete_events(self, c: Connection, keys: Collection[EventKey]) -> None: ...
    def states(self, c: Connection, train_ids: Collection[str]) -> dict[str, TrackState]: ...
    def moving_states(self, c: Connection, *, lock: bool = False) -> list[TrackState]: ...
    def save_states(self, c: Connection, states: list[TrackState], stamp: datetime) -> None: ...
    def save_alerted(self, c: Connection, state: TrackState) -> None: ...
    def learned(self, c: Connection) -> dict[str, dict[str, DwellSums]]: ...
    def save_learned(self, c: Connection, added: Mapping[tuple[str, str], DwellSums]) -> None: ...
    def replace_learned(self, sums: Mapping[tuple[str, str], DwellSums]) -> None: ...
    def active_trains(self, operator: str) -> int: ...
    def border_milestones(
        self, c: Connection, train_ids: Collection[str] | None = None
    ) -> list[StoredMilestone]: ...
    def add_alerts(self, c: Connection, alerts: list[NewAlert]) -> list[int]: ...
    def alerts(
        self,
        since_id: int = 0,
        *,
        limit: int | None = None,
        newest_first: bool = False,
        operator: str | None = None,
        ids: Collection[int] | None = None,
    ) -> list[AlertRecord]: ...
    def summaries(
        self,
        tid: str | None = None,
        status: str | None = None,
        since: datetime | None = None,
        *,
        operator: str | None = None,
        ids: Collection[str] | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[tuple[TrainRecord, TrackState, datetime]]: ...
    def latest(self) -> tuple[datetime | None, int | None]: ...
    def probe(self) -> None: ...


def _state(r: SqlRow[tuple[Value, ...]]) -> TrackState:
    """A ``train_states`` row as a TrackState."""
    return TrackState(
        train_id=r.train_id,
        status=r.status,
        progress_km=r.progress_km,
        eta=_utc(r.eta),
        delay_h=r.delay_h,
        last_lat=r.last_lat,
        last_lon=r.last_lon,
        last_time=utc(r.last_time),
        position_time=utc(r.position_time),
        crossing=r.crossing,
        crossing_since=utc(r.crossing_since),
        alerted=frozenset(filter(None, (r.alerted or "").split(","))),
        events=r.events or 0,
    )


def state_row(s: TrackState, stamp: datetime) -> Row:
    """A TrackState as a whole ``train_states`` row, stamped ``updated_at``."""
    return {
        "train_id": s.train_id,
        "status": s.status,
        "last_lat": s.last_lat,
        "last_lon": s.last_lon,
        "last_time": s.last_time,
        "position_time": s.position_time,
        "progress_km": s.progress_km,
        "eta": s.eta,
        "delay_h": s.delay_h,
        "crossing": s.crossing,
        "crossing_since": s.crossing_since,
        "alerted": ",".join(sorted(s.alerted)),
        "updated_at": stamp,
        "events": s.events,
    }


class SqlRepository:
    """The repository on SQLAlchemy Core; the statements every dialect runs alike."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def write(self, *, lock: bool = True) -> AbstractContextManager[Connection]:
        """A write transaction (SQLite: holding the database's one write lock from its start)."""
        return store.write_transaction(self.engine, lock=lock)

    def lock_states(self, c: Connection, train_ids: Collection[str]) -> dict[str, TrackState]:
        """The states of these trains, locked for this transaction's update (SQLite: the write
        transaction holds the database's lock already)."""
        return self.states(c, train_ids)

    def notify(self, c: Connection, trains: Collection[str], alerts: Collection[int]) -> None:
        """Tell the service processes listening that these trains and alerts changed, when this
        transaction commits (SQLite: nothing; its one writer's changes are polled)."""

    # --- trains ----------------------------------------------------------------------------

    def add_train(self, c: Connection, train: Mapping[str, Value], state: TrackState, now: datetime) -> None:
        """Store a planned train (its ``trains`` row, without ``created_at``) and its first state."""
        c.execute(insert(store.trains).values(**train, created_at=now))
        c.execute(insert(store.train_states).values(state_row(state, now)))

    def plans(self, train_ids: Collection[str]) -> dict[str, TrainPlan]:
        """The plans of these trains (one query); unknown trains are absent."""
        if not train_ids:
            return {}
        t = store.trains
        with self.engine.connect() as c:
            rows = c.execute(
                select(t.c.id, t.c.profile, t.c.planned_arrival, t.c.operator, t.c.departure).where(
                    t.c.id.in_(sorted(train_ids))
                )
            )
            return {
                r.id: TrainPlan(
                    Profile.from_json_text(r.profile),
                    _utc(r.planned_arrival),
                    r.operator,
                    _utc(r.departure),
                )
                for r in rows
            }

    # --- events ----------------------------------------------------------------------------

    def insert_new_events(self, c: Connection, rows: list[Row]) -> set[EventKey]:
        """Store the events whose (train, event id) is not stored yet; returns those keys (the
        rest are duplicates). One statement: ``INSERT ... ON CONFLICT DO NOTHING RETURNING``."""
        if not rows:
            return set()
        from sqlalchemy.dialects import sqlite

        e = store.events
        stmt = (
            sqlite.insert(e)
            .on_conflict_do_nothing(index_elements=["train_id", "event_id"])
            .returning(e.c.train_id, e.c.event_id)
        )
        return {(r.train_id, r.event_id) for r in c.execute(stmt, rows)}

    def stored_contents(self, c: Connection, keys: list[EventKey]) -> dict[EventKey, tuple[Value, ...]]:
        """What the stored events of these keys say (train, time, kind, lat, lon, milestone, at)."""
        e = store.events
        rows = c.execute(
            select(e.c.event_id, *(e.c[k] for k in EVENT_CONTENT)).where(
                tuple_(e.c.train_id, e.c.event_id).in_(keys)
            )
        )
        return {(r.train_id, r.event_id): (r.train_id, utc(r.time), *r[3:]) for r in rows}

    def delete_events(self, c: Connection, keys: Collection[EventKey]) -> None:
        """Remove events stored earlier in this transaction that were then rejected."""
        if keys:
            e = store.events
            c.execute(e.delete().where(tuple_(e.c.train_id, e.c.event_id).in_(sorted(keys))))

    def border_milestones(
        self, c: Connection, train_ids: Collection[str] | None = None
    ) -> list[StoredMilestone]:
        """The stored border milestones (of these trains; None: of all), in train and time order."""
        e = store.events
        q = select(e.c.event_id, e.c.train_id, e.c.milestone, e.c.time, e.c.at).where(
            e.c.milestone.isnot(None), e.c.milestone.in_(BORDER)  # (the partial index's own condition)
        )
        if train_ids is not None:
            q = q.where(e.c.train_id.in_(sorted(train_ids)))
        rows = c.execute(q.order_by(e.c.train_id, e.c.time))
        return [StoredMilestone(r.event_id, r.train_id, r.milestone, _utc(r.time), r.at) for r in rows]

    # --- states ----------------------------------------------------------------------------

    def states(self, c: Connection, train_ids: Collection[str]) -> dict[str, TrackState]:
        if not train_ids:
            return {}
        s = store.train_states
        return {
            r.train_id: _state(r) for r in c.execute(select(s).where(s.c.train_id.in_(sorted(train_ids))))
        }

    def moving_states(self, c: Connection, *, lock: bool = False) -> list[TrackState]:
        """The states of trains under way (running or at a crossing); ``lock``: locked for this
        transaction's update, those another transaction holds left out (PostgreSQL)."""
        s = store.train_states
        q = select(s).where(s.c.status.in_(["running", "at_crossing"])).order_by(s.c.train_id)
        if lock and c.dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        return [_state(r) for r in c.execute(q)]

    def save_states(self, c: Connection, states: list[TrackState], stamp: datetime) -> None:
        """Write whole train states (every column, keyed by ``train_id``) in one statement."""
        if not states:
            return
        s = store.train_states
        cols = [col for col in s.columns if col.name != "train_id"]
        stmt = (
            update(s)
            .where(s.c.train_id == bindparam("b_train_id"))
            .values({col.name: bindparam(f"b_{col.name}") for col in cols})
        )
        c.execute(stmt, [{f"b_{k}": v for k, v in state_row(st, stamp).items()} for st in states])

    def save_alerted(self, c: Connection, state: TrackState) -> None:
        """Store which alert kinds a train has raised (nothing else of its state)."""
        s = store.train_states
        c.execute(
            update(s).where(s.c.train_id == state.train_id).values(alerted=",".join(sorted(state.alerted)))
        )

    # --- learned dwell ---------------------------------------------------------------------

    def learned(self, c: Connection) -> dict[str, dict[str, DwellSums]]:
        """Every crossing's observed waits, per operator."""
        out: dict[str, dict[str, DwellSums]] = {}
        for r in c.execute(select(store.crossing_dwell)):
            out.setdefault(r.crossing, {})[r.operator] = DwellSums(r.n, r.sum_h, r.sum_h2)
        return out

    def save_learned(self, c: Connection, added: Mapping[tuple[str, str], DwellSums]) -> None:
        """Add observations to (crossing, operator) rows, in key order: one statement a row that
        adds to what is stored (so batches of other trains may add to the same row at once)."""
        from sqlalchemy.dialects import postgresql, sqlite

        d = store.crossing_dwell
        dialect = postgresql if c.dialect.name == "postgresql" else sqlite
        for (crossing, operator), (n, sum_h, sum_h2) in sorted(added.items()):
            stmt = dialect.insert(d).values(
                crossing=crossing, operator=operator, n=n, sum_h=sum_h, sum_h2=sum_h2
            )
            c.execute(
                stmt.on_conflict_do_update(
                    index_elements=["crossing", "operator"],
                    set_={
                        "n": d.c.n + stmt.excluded.n,
                        "sum_h": d.c.sum_h + stmt.excluded.sum_h,
                        "sum_h2": d.c.sum_h2 + stmt.excluded.sum_h2,
                    },
                )
            )

    def replace_learned(self, sums: Mapping[tuple[str, str], DwellSums]) -> None:
        """Replace the whole learned-dwell table, in one transaction."""
        with self.write() as c:
            c.execute(store.crossing_dwell.delete())
            if sums:
                c.execute(
                    insert(store.crossing_dwell),
                    [
                        {"crossing": k, "operator": op, "n": n, "sum_h": sh, "sum_h2": sh2}
                        for (k, op), (n, sh, sh2) in sorted(sums.items())
                    ],
                )

    def active_trains(self, operator: str) -> int:
        """The operator's trains not arrived yet."""
        t, st = store.trains, store.train_states
        q = (
            select(func.count())
            .select_from(t.join(st, st.c.train_id == t.c.id))
            .where(t.c.operator == operator, st.c.status != "arrived")
        )
        with self.engine.connect() as c:
            return int(c.execute(q).scalar() or 0)

    # --- alerts ----------------------------------------------------------------------------

    def add_alerts(self, c: Connection, alerts: list[NewAlert]) -> list[int]:
        """Store new alerts; returns their ids."""
        ids = []
        for a in alerts:
            res = c.execute(
                insert(store.alerts).values(train_id=a.train_id, kind=a.kind, message=a.message, time=a.time)
            )
            ids.append(int(res.inserted_primary_key[0]))  # type: ignore[index]
        return ids

    def alerts(
        self,
        since_id: int = 0,
        *,
        limit: int | None = None,
        newest_first: bool = False,
        operator: str | None = None,
        ids: Collection[int] | None = None,
    ) -> list[AlertRecord]:
        """Alerts with an id above ``since_id``, oldest first (or newest first), at most ``limit``
        (``operator``: of that operator's trains only; ``ids``: these alerts only), each with its
        train's operator."""
        a, t = store.alerts, store.trains
        q = (
            select(a, t.c.operator)
            .join(t, t.c.id == a.c.train_id)
            .where(a.c.id > since_id)
            .order_by(a.c.id.desc() if newest_first else a.c.id)
        )
        if operator is not None:
            q = q.where(t.c.operator == operator)
        if ids is not None:
            q = q.where(a.c.id.in_(sorted(ids)))
        with self.engine.connect() as c:
            rows = c.execute(q.limit(limit)).all()
        return [AlertRecord(r.id, r.train_id, r.kind, r.message, _utc(r.time), r.operator) for r in rows]

    # --- reads -----------------------------------------------------------------------------

    def summaries(
        self,
        tid: str | None = None,
        status: str | None = None,
        since: datetime | None = None,
        *,
        operator: str | None = None,
        ids: Collection[str] | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[tuple[TrainRecord, TrackState, datetime]]:
        """Trains with their states, oldest train first (``since``: changed after it, in the
        order they changed; ``operator``: that operator's only; ``ids``: these trains only); a
        page of ``limit`` after ``offset``."""
        t, s = store.trains, store.train_states
        q = (
            select(
                t.c.id,
                t.c.name,
                t.c.origin,
                t.c.destination,
                t.c.departure,
                t.c.planned_arrival,
                t.c.trip_id,
                t.c.start_date,
                t.c.operator,
                s,
            )
            .join(s, s.c.train_id == t.c.id)
            .order_by(t.c.created_at)
        )
        if tid is not None:
            q = q.where(t.c.id == tid)
        if operator is not None:
            q = q.where(t.c.operator == operator)
        if ids is not None:
            q = q.where(t.c.id.in_(sorted(ids)))
        if status is not None:
            q = q.where(s.c.status == status)
        if since is not None:  # what changed, in the order it changed
            q = q.where(s.c.updated_at > since).order_by(None).order_by(s.c.updated_at)
        if limit is not None:
            q = q.order_by(t.c.id).limit(limit).offset(offset)  # id: a stable order among equal times
        with self.engine.connect() as c:
            rows = c.execute(q).all()
        return [
            (
                TrainRecord(
                    r.id,
                    r.name,
                    r.origin,
                    r.destination,
                    _utc(r.departure),
                    _utc(r.planned_arrival),
                    operator=r.operator,
                    trip_id=r.trip_id,
                    start_date=r.start_date,
                ),
                _state(r),
                _utc(r.updated_at),
            )
            for r in rows
        ]

    def latest(self) -> tuple[datetime | None, int | None]:
        """(the newest state change, the newest alert id)."""
        s, a = store.train_states, store.alerts
        with self.engine.connect() as c:
            latest = utc(c.execute(select(func.max(s.c.updated_at))).scalar())
            last_alert = c.execute(select(func.max(a.c.id))).scalar()
        return latest, last_alert

    def probe(self) -> None:
        """Write a probe (16 kB of fresh content) and commit it, durably, then read it back:
        raises what a real write would (a full or read-only disk, the database away), or
        ProbeMismatch when what is read is not what was written."""
        mark = os.urandom(8).hex()
        pad = mark * (PROBE_BYTES // len(mark))
        p = store.service_probe
        with self.write(lock=False) as c:
            if c.execute(update(p).where(p.c.id == 1).values(pad=pad)).rowcount == 0:
                c.execute(insert(p).values(id=1, pad=pad))
        with self.engine.connect() as c:
            back = c.execute(select(p.c.pad).where(p.c.id == 1)).scalar()
        if back != pad:
            raise ProbeMismatch("the readiness probe read back other content than it wrote")


PROBE_BYTES = 16_384


class ProbeMismatch(RuntimeError):
    """The readiness probe read back other content than it had committed."""


class SqliteRepository(SqlRepository):
    """SQLite (WAL): the statements of SqlRepository as they are."""

    def probe(self) -> None:
        """The database probe, and a file beside the database written, synced and read back: a
        commit may fit in pages the database holds already while the disk is full."""
        super().probe()
        where = self.engine.url.database
        if not where or where == ":memory:":
            return
        path = f"{where}.probe"
        data = os.urandom(PROBE_BYTES)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            with open(path, "rb") as fh:
                if fh.read() != data:
                    raise ProbeMismatch(f"the probe file {path} read back other content than was written")
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)


def _pg_array_type(col: Column[object]) -> str:
    kind = {"DATETIME": "timestamptz", "FLOAT": "float8", "INTEGER": "int8"}
    return kind.get(type(col.type).__visit_name__.upper(), "text") + "[]"


def _unnest(cols: list[Column[object]]) -> str:
    return "unnest(" + ", ".join(f"%b::{_pg_array_type(col)}" for col in cols) + ")"


def _names(cols: list[Column[object]]) -> str:
    return ", ".join(f'"{col.name}"' for col in cols)


def _execute_by_column(
    c: Connection, sql: str, rows: list[Row], cols: list[Column[object]]
) -> list[tuple[Value, ...]]:
    """Run ``sql`` (with an ``_unnest(cols)``) on one array per column of ``rows``, in binary:
    one parameter per column instead of one per value, which the driver would otherwise parse
    and render one by one. Returns the rows it returns."""
    with c.connection.driver_connection.cursor() as cur:  # type: ignore[union-attr]
        cur.execute(sql, [[r[col.name] for r in rows] for col in cols])
        return cur.fetchall() if cur.description else []


CHANNEL = "silkrail_changes"  # PostgreSQL's notification channel of changed trains and alerts
MAX_NOTIFY_BYTES = 7000  # a notification's payload must stay under 8,000 bytes


def change_payloads(trains: Collection[str], alerts: Collection[int]) -> list[str]:
    """JSON payloads ``{"trains": [...], "alerts": [...]}`` naming these trains and alerts, each
    within MAX_NOTIFY_BYTES."""
    out: list[str] = []
    part_trains: list[str] = []
    part_alerts: list[int] = []
    size = 30
    items: list[str | int] = [*sorted(trains), *sorted(alerts)]
    for item in items:
        cost = len(json.dumps(item)) + 2
        if size + cost > MAX_NOTIFY_BYTES:
            out.append(_payload(part_trains, part_alerts))
            part_trains, part_alerts, size = [], [], 30
        if isinstance(item, str):
            part_trains.append(item)
        else:
            part_alerts.append(item)
        size += cost
    if part_trains or part_alerts:
        out.append(_payload(part_trains, part_alerts))
    return out


def _payload(trains: list[str], alerts: list[int]) -> str:
    return json.dumps({"trains": trains, "alerts": alerts}, separators=(",", ":"))


class PostgresRepository(SqlRepository):
    """PostgreSQL: bulk writes travel as one array per column (``unnest``); a batch locks the
    state rows of its own trains (``SELECT ... FOR UPDATE``, in train order), so batches of other
    trains commit in parallel, on one service instance and across several. ``global_lock``: one
    advisory lock for every batch instead (the former way, kept to measure against)."""

    def __init__(self, engine: Engine, *, global_lock: bool = False) -> None:
        super().__init__(engine)
        self.global_lock = global_lock

    def write(self, *, lock: bool = True) -> AbstractContextManager[Connection]:
        return store.write_transaction(self.engine, lock=lock and self.global_lock)

    def lock_states(self, c: Connection, train_ids: Collection[str]) -> dict[str, TrackState]:
        if self.global_lock:
            store.lock_writes(c)
            return self.states(c, train_ids)
        if not train_ids:
            return {}
        s = store.train_states
        # the rows locked in train order: two batches of the same trains queue, they never
        # deadlock (the connection's lock_timeout bounds the wait: then a 503)
        q = select(s).where(s.c.train_id.in_(sorted(train_ids))).order_by(s.c.train_id).with_for_update()
        return {r.train_id: _state(r) for r in c.execute(q)}

    def notify(self, c: Connection, trains: Collection[str], alerts: Collection[int]) -> None:
        for payload in change_payloads(trains, alerts):
            c.exec_driver_sql(
                "SELECT pg_notify(%(channel)s, %(payload)s)", {"channel": CHANNEL, "payload": payload}
            )

    def insert_new_events(self, c: Connection, rows: list[Row]) -> set[EventKey]:
        if not rows:
            return set()
        cols = list(store.events.columns)
        sql = (
            f"INSERT INTO events ({_names(cols)}) SELECT * FROM {_unnest(cols)} "
            "ON CONFLICT (train_id, event_id) DO NOTHING RETURNING train_id, event_id"
        )
        # in key order: two batches holding the same new events lock them in one order
        rows = sorted(rows, key=lambda r: (r["train_id"], r["event_id"]))
        return {(str(r[0]), str(r[1])) for r in _execute_by_column(c, sql, rows, cols)}

    def save_states(self, c: Connection, states: list[TrackState], stamp: datetime) -> None:
        if not states:
            return
        s = store.train_states
        keyed = [s.c.train_id, *(col for col in s.columns if col.name != "train_id")]
        sets = ", ".join(f'"{col.name}" = v."{col.name}"' for col in keyed[1:])
        sql = (
            f"UPDATE train_states AS s SET {sets} FROM {_unnest(keyed)} AS v({_names(keyed)}) "
            "WHERE s.train_id = v.train_id"
        )
        _execute_by_column(c, sql, [state_row(st, stamp) for st in states], keyed)


def repository_for(engine: Engine) -> SqlRepository:
    """The repository for ``engine``'s database. With PostgreSQL, ``SILKRAIL_WRITE_LOCK=global``
    serialises every batch on one advisory lock, as before per-train locking (to measure)."""
    if engine.dialect.name != "postgresql":
        return SqliteRepository(engine)
    return PostgresRepository(engine, global_lock=os.environ.get("SILKRAIL_WRITE_LOCK", "train") == "global")
