"""``silkrail serve``, ``demo-feed`` and ``replay``: the tracking and routing service, a day of
demo events, and a recorded feed posted to a running service."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from silkrail.commands.console import EXIT_BAD_INPUT, err, fail, out
from silkrail.commands.console import load_network_or_exit as _load
from silkrail.errors import DataError, SilkrailError

if TYPE_CHECKING:
    from datetime import datetime

    from rich.progress import TaskID


def register(app: typer.Typer) -> None:
    """Add the service commands to the ``silkrail`` application."""
    app.command("serve")(serve_cmd)
    app.command("demo-feed")(demo_feed_cmd)
    app.command("replay")(replay_cmd)


def serve_cmd(
    db: Annotated[
        str | None, typer.Option("--db", help="database URL (default: SQLite in $SILKRAIL_HOME)")
    ] = None,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            envvar="SILKRAIL_INGEST_PROCESSES",
            help="ingest processes: posted batches are stored by whichever is free, one core each; "
            "0 stores them in the service's own process",
        ),
    ] = min(2, os.cpu_count() or 1),
    read_workers: Annotated[
        int,
        typer.Option(
            envvar="SILKRAIL_READ_WORKERS",
            help="processes for heavy reads (routes, comparisons, OD matrices, GTFS-Realtime), each "
            "with its own copy of the network; requests beyond them wait in a bounded queue",
        ),
    ] = max(1, (os.cpu_count() or 1) // 2),
) -> None:
    """Run the tracking and routing service and dashboard; writes need a bearer token
    (Authorization: Bearer $SILKRAIL_API_TOKEN)."""
    from silkrail.extras import needs_extra

    with needs_extra("silkrail serve"):
        import uvicorn

        from silkrail.service.app import ServiceSettings, create_app
        from silkrail.service.protocol import SERVER_OPTIONS
        from silkrail.tracking.store import migrate

    if not 0 <= workers <= 64:
        fail(DataError(f"--workers {workers}: give 0 to 64 ingest processes", field="workers"))
    if not 1 <= read_workers <= 64:
        fail(DataError(f"--read-workers {read_workers}: give 1 to 64 processes", field="read-workers"))
    _check_port(host, port)
    try:
        settings = ServiceSettings.from_env(db_url=db)
    except DataError as exc:
        fail(exc)
    except ValueError as exc:
        fail(DataError(str(exc)))
    if not settings.tokens:
        err.print("[yellow]no SILKRAIL_API_TOKEN or SILKRAIL_API_TOKENS_FILE: every write will be refused[/]")
    _load()  # build the network before listening, with a progress bar
    try:
        migrate(settings.db_url)  # once, before the workers start
    except Exception as exc:  # the driver's own words say what is wrong with the URL or server
        reason = str(exc).split("\n")[0]
        fail(f"--db: cannot open the database {_safe_url(settings.db_url)}: {reason}", code=EXIT_BAD_INPUT)
    settings.ingest_processes = workers
    settings.read_workers, settings.read_processes = read_workers, True
    out.print(f"dashboard: http://{host}:{port}/   API: http://{host}:{port}/docs")
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=10,  # open streams must not keep a stopping service alive
        **SERVER_OPTIONS,  # header deadline, header size and connection caps
    )

def _check_port(host: str, port: int) -> None:
    """Fail with a clear message, before any work, when the address cannot be listened on."""
    import socket

    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except OSError as exc:
        fail(
            DataError(f"cannot listen on {host}:{port} ({exc.strerror}); give another --port", field="port")
        )


def _safe_url(url: str) -> str:
    """A database URL without its password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unparseable URL)"


def demo_feed_cmd(
    out_file: Annotated[Path, typer.Option("--out", help="JSON Lines file to write")] = Path(
        "out/demo-feed.jsonl"
    ),
    trains_per_service: Annotated[int, typer.Option(help="trains under way per seed service")] = 3,
    every: Annotated[int, typer.Option(help="minutes between position reports")] = 15,
    ahead: Annotated[
        float, typer.Option(help="hours of the 24 that lie ahead of now (for replay --live)")
    ] = 0.0,
) -> None:
    """Write a realistic 24 hours of events (by default the last 24) for the seed corridors' services."""
    from silkrail.tracking.feed import demo_day, demo_feed, write_feed

    if not 1 <= trains_per_service <= 50 or not 1 <= every <= 1440:
        fail(
            DataError(
                "give 1-50 trains per service and 1-1440 minutes between reports", field="trains-per-service"
            )
        )
    if not 0 <= ahead <= 24:
        fail(DataError(f"--ahead {ahead}: give 0 to 24 hours", field="ahead"))
    out_file.parent.mkdir(parents=True, exist_ok=True)
    n = write_feed(
        demo_feed(_load(), demo_day(ahead), trains_per_service=trains_per_service, every_min=every), out_file
    )
    out.print(f"wrote {n:,} lines to {out_file}")


def replay_cmd(
    feed: Annotated[Path, typer.Argument(help="JSON Lines feed (see demo-feed)")],
    url: Annotated[str, typer.Option(help="service base URL")] = "http://127.0.0.1:8000",
    speed: Annotated[float, typer.Option(help="times real time; 0 = as fast as possible")] = 60.0,
    live: Annotated[
        bool,
        typer.Option(
            "--live", metavar="", help="each event when its time comes: the past at once, the rest as due"
        ),
    ] = False,
    token: Annotated[str | None, typer.Option(envvar="SILKRAIL_API_TOKEN", help="bearer token")] = None,
) -> None:
    """Post a recorded feed to a running service, paced at SPEED times real time (or --live)."""
    from rich.progress import Progress

    from silkrail.extras import needs_extra
    from silkrail.replay import ReplayTotals, replay

    with needs_extra("silkrail replay"):
        import httpx  # noqa: F401  (the client's transport: say which extra before anything else)

    if not feed.is_file():
        fail(DataError(f"{feed}: no such file"))
    if not token:
        fail(DataError("give --token or set SILKRAIL_API_TOKEN", field="token"))
    total = sum(1 for line in feed.read_text(encoding="utf-8").splitlines() if '"type": "event"' in line)
    try:
        with Progress(console=err.get()) as bar:
            task = bar.add_task("replaying", total=total)

            def advance(n: int, t: TaskID = task, b: Progress = bar) -> None:
                b.advance(t, n)

            def caught_up(so_far: dict[str, int], due: datetime, b: Progress = bar) -> None:
                done = ReplayTotals(**so_far)
                b.console.print(
                    f"caught up: {done.trains} trains, {done.accepted:,} events accepted, "
                    f"{done.rejected:,} rejected; the rest follow in real time from {due:%H:%M} UTC",
                    soft_wrap=True,
                )

            posted = replay(
                feed, url, token or "", speed=speed, live=live, progress=advance, caught_up=caught_up
            )
            totals = ReplayTotals(**posted)
    except SilkrailError as exc:  # a service that cannot be reached exits 1, bad input 2
        fail(exc)
    out.print(
        f"{totals.trains} trains; events: {totals.accepted:,} accepted, "
        f"{totals.duplicates:,} duplicates, {totals.rejected:,} rejected"
    )
