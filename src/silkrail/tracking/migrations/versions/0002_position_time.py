"""Train states keep the time of their last position apart from the time of their last event: a
milestone after the last position must not restamp where the train was seen.

Existing rows get their last event's time, the best that is known: where a milestone came after
the last position, that is the milestone's time.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    with op.batch_alter_table("train_states") as batch:
        batch.add_column(sa.Column("position_time", sa.DateTime(timezone=True)))
    op.execute("UPDATE train_states SET position_time = last_time WHERE last_lat IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("train_states") as batch:
        batch.drop_column("position_time")
