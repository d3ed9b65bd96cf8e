"""The first tracking schema: trains, events, train states, alerts, learned crossing dwell.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "trains",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("origin", sa.String(200), nullable=False),
        sa.Column("destination", sa.String(200), nullable=False),
        sa.Column("departure", sa.DateTime(timezone=True), nullable=False),
        sa.Column("teu", sa.Float, nullable=False),
        sa.Column("route", sa.Text, nullable=False),
        sa.Column("profile", sa.Text, nullable=False),
        sa.Column("planned_arrival", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("event_id", sa.String(200), primary_key=True),
        sa.Column("train_id", sa.String(64), sa.ForeignKey("trains.id"), nullable=False, index=True),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("lat", sa.Float),
        sa.Column("lon", sa.Float),
        sa.Column("milestone", sa.String(32)),
        sa.Column("at", sa.String(200)),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "train_states",
        sa.Column("train_id", sa.String(64), sa.ForeignKey("trains.id"), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("last_lat", sa.Float),
        sa.Column("last_lon", sa.Float),
        sa.Column("last_time", sa.DateTime(timezone=True)),
        sa.Column("progress_km", sa.Float, nullable=False),
        sa.Column("eta", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delay_h", sa.Float, nullable=False),
        sa.Column("crossing", sa.String(64)),
        sa.Column("crossing_since", sa.DateTime(timezone=True)),
        sa.Column("alerted", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("train_id", sa.String(64), sa.ForeignKey("trains.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "crossing_dwell",
        sa.Column("crossing", sa.String(64), primary_key=True),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("mean_h", sa.Float, nullable=False),
        sa.Column("m2", sa.Float, nullable=False),
    )


def downgrade() -> None:
    for table in ("crossing_dwell", "alerts", "train_states", "events", "trains"):
        op.drop_table(table)
