"""Schema migrations (Alembic) on SQLite and PostgreSQL: a database made by the first revision
keeps its data through the upgrade, and the newest schema is what the code declares."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text

from silkrail.tracking import store

pytestmark = pytest.mark.integration
T = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def _alembic(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(store.__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def test_upgrade_keeps_data_and_matches_the_declared_schema(db_url: str) -> None:
    """At revision 0001 a train state with a position; after ``migrate`` its position time is the
    time it had; every declared table and column exists; migrating again changes nothing."""
    command.upgrade(_alembic(db_url), "0001")
    engine = store.make_engine(db_url)
    try:
        with engine.begin() as c:
            c.execute(
                text(
                    "INSERT INTO trains (id, name, origin, destination, departure, teu, route, profile, "
                    "planned_arrival, created_at) VALUES ('t1', 'x', 'Hanoi', 'Moscow', :t, 1, '{}', '{}', :t, :t)"
                ),
                {"t": T},
            )
            c.execute(
                text(
                    "INSERT INTO train_states (train_id, status, last_lat, last_lon, last_time, progress_km, "
                    "eta, delay_h, alerted, updated_at) VALUES ('t1', 'running', 21.3, 106.1, :t, 12.5, :t, 0, '', :t)"
                ),
                {"t": T},
            )
        store.migrate(db_url)
        store.migrate(db_url)
        with engine.connect() as c:
            row = c.execute(store.train_states.select()).one()
            names = set(inspect(c).get_table_names())
            columns = {t: {col["name"] for col in inspect(c).get_columns(t)} for t in store.metadata.tables}
    finally:
        engine.dispose()
    got = row.position_time if row.position_time.tzinfo else row.position_time.replace(tzinfo=UTC)
    assert got == T and row.last_lat == 21.3 and row.progress_km == 12.5
    assert set(store.metadata.tables) <= names
    for name, table in store.metadata.tables.items():
        assert columns[name] == {col.name for col in table.columns}, name


def test_alert_ids_are_64_bit(db_url: str) -> None:
    """After the migrations an alert may take an id past 2^31 (PostgreSQL's alerts.id was a
    32-bit integer: ``GET /alerts?since=2147483648`` failed there with a 500), and the newest
    alerts are read after such an id."""
    store.migrate(db_url)
    engine = store.make_engine(db_url)
    big = 2**40
    try:
        with engine.begin() as c:
            c.execute(
                text(
                    "INSERT INTO trains (id, name, origin, destination, departure, teu, route, profile, "
                    "planned_arrival, created_at) VALUES ('t1', 'x', 'Hanoi', 'Moscow', :t, 1, '{}', '{}', :t, :t)"
                ),
                {"t": T},
            )
            if c.dialect.name == "postgresql":  # the sequence reaches past 2^31
                c.execute(text("SELECT setval('alerts_id_seq', :i)"), {"i": big})
            else:  # the rowid follows the largest id
                c.execute(
                    text("INSERT INTO alerts (id, train_id, kind, message, time) VALUES (:i, 't1', 'late', 'm', :t)"),
                    {"i": big, "t": T},
                )
            c.execute(
                text("INSERT INTO alerts (train_id, kind, message, time) VALUES ('t1', 'late', 'next', :t)"),
                {"t": T},
            )
        with engine.connect() as c:
            ids = [r[0] for r in c.execute(text("SELECT id FROM alerts WHERE id > :s ORDER BY id"), {"s": 2**31})]
    finally:
        engine.dispose()
    assert ids[-1] == big + 1
