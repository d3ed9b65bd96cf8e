"""The index on (train, milestone) covers milestones only: a position (most events) then updates
the primary key alone when it is stored, and the one query it serves (a batch's stored border
milestones) reads only milestones.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.drop_index("ix_events_train_milestone", "events")
    op.create_index(
        "ix_events_train_milestone",
        "events",
        ["train_id", "milestone"],
        postgresql_where=sa.text("milestone IS NOT NULL"),
        sqlite_where=sa.text("milestone IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_events_train_milestone", "events")
    op.create_index("ix_events_train_milestone", "events", ["train_id", "milestone"])
