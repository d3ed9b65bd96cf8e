"""``silkrail tracking repair``: maintain the tracking database."""

from __future__ import annotations

from typing import Annotated

import typer

from silkrail.commands.console import out

tracking_app = typer.Typer(help="Maintain the tracking database.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the tracking group to the ``silkrail`` application."""
    app.add_typer(tracking_app, name="tracking")


@tracking_app.command("repair")
def tracking_repair(
    db: Annotated[
        str | None, typer.Option("--db", help="database URL (default: SQLite in $SILKRAIL_HOME)")
    ] = None,
) -> None:
    """Recompute every crossing's learned dwell from the stored events, with today's bounds."""
    from silkrail.extras import needs_extra
    from silkrail.settings import get_settings

    with needs_extra("silkrail tracking repair"):
        from silkrail.tracking.store import default_url, migrate
        from silkrail.tracking.tracker import Tracker

    url = db or default_url(get_settings().home)
    migrate(url)
    tracker = Tracker.open(url)
    try:
        learned = tracker.repair()
    finally:
        tracker.engine.dispose()
    for crossing, (n, mean) in learned.items():
        out.print(f"{crossing}: {n} waits, mean {mean:,.1f} h")
    out.print(f"recomputed the learned dwell of {len(learned)} crossings")
