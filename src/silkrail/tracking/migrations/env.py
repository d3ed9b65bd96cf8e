"""Alembic environment: runs migrations on the URL the caller sets."""

from __future__ import annotations

from alembic import context

from silkrail.tracking.store import make_engine, metadata

config = context.config
engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
