"""Operators and an audit trail: a train belongs to an operator (whose tokens may write it), and
every stored train and event records the id of the token that wrote it (never the secret). An
index on (train, milestone) serves the one query per batch for a train's stored border
milestones, and a table takes the readiness probe's trial write.

Existing trains get no operator: only an admin token writes them.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    with op.batch_alter_table("trains") as batch:
        batch.add_column(sa.Column("operator", sa.String(64)))
        batch.add_column(sa.Column("created_by", sa.String(64)))
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("token_id", sa.String(64)))
    # (train_id, milestone) serves every query by train as well: it replaces the train_id index,
    # so an insert still updates one index beside the primary key
    op.create_index("ix_events_train_milestone", "events", ["train_id", "milestone"])
    op.drop_index("ix_events_train_id", "events")
    op.create_table(
        "service_probe",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("pad", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("service_probe")
    op.create_index("ix_events_train_id", "events", ["train_id"])
    op.drop_index("ix_events_train_milestone", "events")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("token_id")
    with op.batch_alter_table("trains") as batch:
        batch.drop_column("created_by")
        batch.drop_column("operator")
