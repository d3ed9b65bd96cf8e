"""Tracking storage: SQLAlchemy 2 Core tables; SQLite (WAL) by default, PostgreSQL by URL.

The schema is declared here once; Alembic migrations (``migrations/``) create and evolve it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine

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
)

events = Table(
    "events",
    metadata,
    Column("event_id", String(200), primary_key=True),
    Column("train_id", String(64), ForeignKey("trains.id"), nullable=False, index=True),
    Column("time", DateTime(timezone=True), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("lat", Float),
    Column("lon", Float),
    Column("milestone", String(32)),
    Column("at", String(200)),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

train_states = Table(
    "train_states",
    metadata,
    Column("train_id", String(64), ForeignKey("trains.id"), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("last_lat", Float),
    Column("last_lon", Float),
    Column("last_time", DateTime(timezone=True)),
    Column("progress_km", Float, nullable=False),
    Column("eta", DateTime(timezone=True), nullable=False),
    Column("delay_h", Float, nullable=False),
    Column("crossing", String(64)),  # the crossing the train is inside (entered, not left)
    Column("crossing_since", DateTime(timezone=True)),
    Column("alerted", String(200), nullable=False, default=""),  # alert kinds raised, comma-separated
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("train_id", String(64), ForeignKey("trains.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("time", DateTime(timezone=True), nullable=False),
)

crossing_dwell = Table(
    "crossing_dwell",
    metadata,
    Column("crossing", String(64), primary_key=True),
    Column("n", Integer, nullable=False),
    Column("mean_h", Float, nullable=False),
    Column("m2", Float, nullable=False),
)


def default_url(home: Path) -> str:
    Path(home).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(home) / 'tracking.sqlite'}"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL and full synchronous commits (an acknowledged write
    survives a killed process)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    kwargs: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _pragmas(conn: Any, _: Any) -> None:
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

    return engine


def migrate(url: str) -> None:
    """Bring the database at ``url`` to the newest schema (Alembic ``upgrade head``)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    command.upgrade(cfg, "head")
