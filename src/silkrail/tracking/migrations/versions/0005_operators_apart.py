"""Operators apart: an event is known by its train and its id (one operator's ids never meet
another's); the learned dwell is kept per crossing and operator, as sums that add in any order;
a train state counts its stored events (the train's quota).

Existing events keep their ids (unique already, so unique per train). Each crossing's learned
dwell becomes the observations of operator '' (trains of no operator): n, n * mean and
m2 + n * mean^2 are its count, sum and sum of squares. Each state's count is its train's events.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    _events_keyed_by(["train_id", "event_id"])
    op.create_table(
        "crossing_dwell_new",
        sa.Column("crossing", sa.String(64), primary_key=True),
        sa.Column("operator", sa.String(64), primary_key=True),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("sum_h", sa.Float, nullable=False),
        sa.Column("sum_h2", sa.Float, nullable=False),
    )
    op.execute(
        "INSERT INTO crossing_dwell_new (crossing, operator, n, sum_h, sum_h2) "
        "SELECT crossing, '', n, n * mean_h, m2 + n * mean_h * mean_h FROM crossing_dwell"
    )
    op.drop_table("crossing_dwell")
    op.rename_table("crossing_dwell_new", "crossing_dwell")
    with op.batch_alter_table("train_states") as batch:
        batch.add_column(sa.Column("events", sa.Integer, nullable=False, server_default="0"))
    op.execute(
        "UPDATE train_states SET events = "
        "(SELECT count(*) FROM events WHERE events.train_id = train_states.train_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("train_states") as batch:
        batch.drop_column("events")
    op.create_table(
        "crossing_dwell_old",
        sa.Column("crossing", sa.String(64), primary_key=True),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("mean_h", sa.Float, nullable=False),
        sa.Column("m2", sa.Float, nullable=False),
    )
    op.execute(
        "INSERT INTO crossing_dwell_old (crossing, n, mean_h, m2) SELECT crossing, sum(n), "
        "sum(sum_h) / sum(n), sum(sum_h2) - sum(sum_h) * sum(sum_h) / sum(n) FROM crossing_dwell "
        "WHERE n > 0 GROUP BY crossing"
    )
    op.drop_table("crossing_dwell")
    op.rename_table("crossing_dwell_old", "crossing_dwell")
    _events_keyed_by(["event_id"])


def _events_keyed_by(key: list[str]) -> None:
    """The events table with ``key`` as its primary key: on PostgreSQL the constraint replaced in
    place; SQLite cannot alter a primary key, so the table is copied into one made so."""
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("events_pkey", "events", type_="primary")
        op.create_primary_key("events_pkey", "events", key)
        return
    op.create_table(
        "events_new",
        sa.Column("train_id", sa.String(64), sa.ForeignKey("trains.id"), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("lat", sa.Float),
        sa.Column("lon", sa.Float),
        sa.Column("milestone", sa.String(32)),
        sa.Column("at", sa.String(200)),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("token_id", sa.String(64)),
        sa.PrimaryKeyConstraint(*key, name="events_pkey"),
    )
    columns = "train_id, event_id, time, kind, lat, lon, milestone, at, received_at, token_id"
    op.execute(f"INSERT INTO events_new ({columns}) SELECT {columns} FROM events")
    op.drop_index("ix_events_train_milestone", "events")
    op.drop_table("events")
    op.rename_table("events_new", "events")
    op.create_index("ix_events_train_milestone", "events", ["train_id", "milestone"])
