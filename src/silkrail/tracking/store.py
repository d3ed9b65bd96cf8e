"""Tracking storage: SQLAlchemy 2 Core tables; SQLite (WAL) by default, PostgreSQL by URL.

The schema is declared here once; Alembic migrations (``migrations/``) create and evolve it.
The statements the tracker runs on these tables live in ``repository``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import Connection, Engine

metadata = MetaData()

trains = Table(
    "trains",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("origin", String(200), nullable=False),
    Column("destination", String(200), nullable=False),
    Column("departure", DateTime(timezone=True), nullable=False),
    Column("teu", Float, nullable=False),
    Column("route", Text, nullable=False),  # Route.to_dict() as JSON
    Column("profile", Text, nullable=False),  # km / planned hours / crossings along the route, JSON
    Column("planned_arrival", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("operator", String(64)),  # whose tokens may write it; NULL: admin tokens only
    Column("created_by", String(64)),  # the id of the token that created it
    Column("trip_id", String(64)),  # the timetable trip it runs (GTFS trip_id), and its service date
    Column("start_date", Date),
    Index("ix_trains_trip", "trip_id", "start_date"),
)

events = Table(
    "events",
    metadata,
    # an event is known by its train and its id: ids are the operator's own (a train has one
    # operator), so one operator's ids never meet another's
    Column("train_id", String(64), ForeignKey("trains.id"), primary_key=True),
    Column("event_id", String(200), primary_key=True),
    Column("time", DateTime(timezone=True), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("lat", Float),
    Column("lon", Float),
    Column("milestone", String(32)),
    Column("at", String(200)),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("token_id", String(64)),  # the id of the token that wrote it
    Index(  # milestones only: a position updates the primary key alone
        "ix_events_train_milestone",
        "train_id",
        "milestone",
        postgresql_where=text("milestone IS NOT NULL"),
        sqlite_where=text("milestone IS NOT NULL"),
    ),
)

train_states = Table(
    "train_states",
    metadata,
    Column("train_id", String(64), ForeignKey("trains.id"), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("last_lat", Float),
    Column("last_lon", Float),
    Column("last_time", DateTime(timezone=True)),  # of the newest event of any kind
    Column("position_time", DateTime(timezone=True)),  # of the newest position (last_lat, last_lon)
    Column("progress_km", Float, nullable=False),
    Column("eta", DateTime(timezone=True), nullable=False),
    Column("delay_h", Float, nullable=False),
    Column("crossing", String(64)),  # the crossing the train is inside (entered, not left)
    Column("crossing_since", DateTime(timezone=True)),
    Column("alerted", String(200), nullable=False, default=""),  # alert kinds raised, comma-separated
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("events", Integer, nullable=False, default=0),  # events stored (the train's quota)
)

alerts = Table(
    "alerts",
    metadata,
    # 64-bit (SQLite's integer primary key is, and must be spelt INTEGER to stay the rowid)
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("train_id", String(64), ForeignKey("trains.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("time", DateTime(timezone=True), nullable=False),
)

crossing_dwell = Table(  # observed waits per crossing and operator, as sums that add in any order
    "crossing_dwell",
    metadata,
    Column("crossing", String(64), primary_key=True),
    Column("operator", String(64), primary_key=True),  # '': trains of no operator
    Column("n", Integer, nullable=False),
    Column("sum_h", Float, nullable=False),
    Column("sum_h2", Float, nullable=False),
)


service_probe = Table(  # the readiness probe's write (one row, rewritten by each probe)
    "service_probe",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("pad", Text, nullable=False),
)


@contextmanager
def write_transaction(engine: Engine, *, lock: bool = True) -> Iterator[Connection]:
    """A transaction holding the database's write lock, so the read-modify-write of train
    states is serial across every process of the service: SQLite's ``BEGIN IMMEDIATE`` (behind
    a file lock), on PostgreSQL a transaction-scoped advisory lock. With ``lock=False``
    PostgreSQL takes it only at ``lock_writes``: statements before that (storing a batch's
    events) run alongside other transactions. SQLite always locks at the start."""
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        # writers queue on a file lock first: the kernel hands it over at once, where SQLite's
        # own busy handler would poll with sleeps of up to 100 ms
        with _file_lock(f"{engine.url.database}.write-lock"), engine.connect() as c:
            c.execution_options(write=True)
            with c.begin():
                yield c
        return
    with engine.connect() as c:
        c.execution_options(write=True)
        with c.begin():
            if lock:
                lock_writes(c)
            yield c


def lock_writes(c: Connection) -> None:
    """Take the write lock inside a ``write_transaction(lock=False)`` (PostgreSQL; a no-op where
    the transaction holds it already)."""
    if c.dialect.name == "postgresql":  # (the connection's lock_timeout bounds the wait: a 503)
        c.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")


@contextmanager
def _file_lock(path: str) -> Iterator[None]:
    """Hold the exclusive file lock at ``path`` (any OS), waiting at most LOCK_WAIT_S: at once
    when free, then in short sleeps (0.2 ms growing to 2 ms) so a released lock is taken up
    quickly."""
    import time

    from filelock import FileLock, Timeout

    lock = FileLock(path, mode=0o666)
    deadline = time.monotonic() + LOCK_WAIT_S
    pause = 0.0002
    while True:
        try:
            lock.acquire(timeout=0)
            break
        except Timeout:
            if time.monotonic() > deadline:
                raise WriteLockTimeout(f"the write lock stayed taken for {LOCK_WAIT_S:.0f} s") from None
            time.sleep(pause)
            pause = min(pause * 2, 0.002)
    try:
        yield
    finally:
        lock.release()


def default_url(home: Path) -> str:
    Path(home).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(home) / 'tracking.sqlite'}"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL and full synchronous commits (an acknowledged write
    survives a killed process)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    pre_ping = url.startswith("postgresql")  # a restarted server costs one failed request, not a stale pool
    connect_args: dict[str, str | bool | int] = {}
    if url.startswith("postgresql"):
        # a statement waits at most LOCK_WAIT_S for a lock (then LockNotAvailable: a 503), set once
        # per connection rather than in every transaction
        connect_args = {"options": f"-c lock_timeout={LOCK_WAIT_S * 1000:.0f}"}
    if url.startswith("sqlite"):
        connect_args = {"check_same_thread": False, "timeout": 30}
    from silkrail.extras import needs_extra

    with needs_extra(f"a {url.split(':', 1)[0]} database URL"):  # the driver loads here
        engine = create_engine(url, future=True, pool_pre_ping=pre_ping, connect_args=connect_args)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _pragmas(conn: sqlite3.Connection, _: object) -> None:
            conn.isolation_level = None  # the driver begins nothing itself: see _begin
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            # a write transaction takes the write lock at BEGIN (IMMEDIATE), so two processes never
            # read the same state and then both write it; reads stay DEFERRED and never wait
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")

    return engine


MIGRATE_LOCK = 7_120_001  # PostgreSQL advisory lock keys of silkrail
WRITE_LOCK = 7_120_002
LOCK_WAIT_S = 30.0  # a writer waits this long for the write lock, then the request gets a 503


class WriteLockTimeout(TimeoutError):
    """Another writer held the write lock for LOCK_WAIT_S."""


STORAGE_FULL = (
    "the database's disk is full or read-only; nothing was written. An operator must free space "
    "or make it writable; send again after that"
)
_STORAGE_ERRNOS = {28, 30, 122}  # ENOSPC, EROFS, EDQUOT
_STORAGE_SQLSTATES = {"53100", "25006", "58030"}  # disk_full, read_only_sql_transaction, io_error
_STORAGE_WORDS = ("database or disk is full", "readonly database", "read-only file system", "disk i/o error")


def storage_failure(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot store anything (disk full, read-only, I/O error):
    not a busy database that a retry in a second would find free."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in _STORAGE_ERRNOS:
            return True
        if getattr(exc, "sqlstate", None) in _STORAGE_SQLSTATES:
            return True
        if any(w in str(exc).lower() for w in _STORAGE_WORDS):
            return True
        exc = getattr(exc, "orig", None) or exc.__cause__  # type: ignore[assignment]
    return False


def transient_errors() -> tuple[type[Exception], ...]:
    """Errors after which nothing of the transaction is stored and the same request may simply
    be sent again: the database busy, away, or a deadlock it broke."""
    from sqlalchemy.exc import OperationalError, TimeoutError

    out: tuple[type[Exception], ...] = (OperationalError, TimeoutError, WriteLockTimeout)
    try:  # statements run on the driver's own cursor raise the driver's own errors
        import psycopg

        out += (psycopg.OperationalError,)
    except ImportError:
        pass
    return out


@contextmanager
def _migration_lock(url: str) -> Iterator[None]:
    """One migration at a time across processes (the service's workers all start by migrating)."""
    if url.startswith("sqlite"):
        from filelock import FileLock

        path = url.split("///", 1)[-1]
        if not path or path == ":memory:":
            yield
            return
        with FileLock(f"{path}.migrate-lock", mode=0o666):
            yield
        return
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            c.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATE_LOCK})")
            try:
                yield
            finally:
                c.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATE_LOCK})")
    finally:
        engine.dispose()


def migrate(url: str) -> None:
    """Bring the database at ``url`` to the newest schema (Alembic ``upgrade head``); safe when
    several processes start at once."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    with _migration_lock(url):
        command.upgrade(cfg, "head")
