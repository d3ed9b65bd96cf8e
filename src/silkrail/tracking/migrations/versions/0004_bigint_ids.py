"""Ids are 64-bit on PostgreSQL: the alerts' id (and the sequence behind it) was a 32-bit integer
behind an API that takes ids up to 2^53, so ``GET /alerts?since=2147483648`` failed there. SQLite's
integer primary key is 64-bit already.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.alter_column(
        "alerts", "id", type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=False
    )
    op.execute("ALTER SEQUENCE IF EXISTS alerts_id_seq AS bigint")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER SEQUENCE IF EXISTS alerts_id_seq AS integer")
    op.alter_column(
        "alerts", "id", type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=False
    )
