"""Trains of timetable trips: a train may run a trip of the timetables, named by its GTFS
``trip_id`` and service date (``start_date``); GTFS-Realtime reports it under that trip. Existing
trains run none.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    with op.batch_alter_table("trains") as batch:
        batch.add_column(sa.Column("trip_id", sa.String(64)))
        batch.add_column(sa.Column("start_date", sa.Date))
    op.create_index("ix_trains_trip", "trains", ["trip_id", "start_date"])


def downgrade() -> None:
    op.drop_index("ix_trains_trip", "trains")
    with op.batch_alter_table("trains") as batch:
        batch.drop_column("start_date")
        batch.drop_column("trip_id")
