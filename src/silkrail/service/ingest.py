"""The events endpoint's work, run in the service's thread or in a pool of ingest processes.

Ingest is Python work (parsing, validation, map-matching, state updates) bound by one
interpreter's lock, so one process uses one core. The service therefore hands each batch to a
pool of processes, whichever is free, rather than tying a client's connection to one worker
process: the cores stay busy however many connections the clients open. The processes share the
database and serialise their state updates there (``store.write_transaction``).
"""

from __future__ import annotations

import asyncio
import faulthandler
import logging
import multiprocessing
import os
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeAlias

from silkrail.service.auth import Token
from silkrail.service.limits import JSONLimitError, parse_json
from silkrail.tracking.model import MAX_BATCH
from silkrail.tracking.tracker import Tracker, TrackerLimits
from silkrail.tracking.values import Doc

log = logging.getLogger("silkrail.service")
BUSY = "the database is busy or unreachable; nothing of this batch was stored, send it again"
Outcome: TypeAlias = tuple[int, Doc, float]
"""A batch's HTTP status, JSON payload and milliseconds spent storing."""
LOST = "the ingest process stopped; send the batch again (an event already stored counts as a duplicate)"


def handle(
    tracker: Tracker, body: bytes, token: Token, client: str = ""
) -> Outcome:
    """(HTTP status, JSON payload, milliseconds spent storing) for one batch posted with ``token``."""
    from silkrail.tracking.store import STORAGE_FULL, storage_failure, transient_errors
    from silkrail.tracking.tracker import LockBudgetExceeded

    try:
        doc = parse_json(body)
    except JSONLimitError as exc:
        return 422, {"error": f"body: {exc}"}, 0.0
    events = doc.get("events") if isinstance(doc, dict) else None
    if not isinstance(events, list):
        return 422, {"error": 'events: give {"events": [...]}'}, 0.0
    if len(events) > MAX_BATCH:
        n = len(events)
        return (
            413,
            {"error": f"events: {n:,} events in one batch; send at most {MAX_BATCH:,} per request"},
            0.0,
        )
    started = time.perf_counter()
    try:
        result = tracker.ingest(events, token=token)
    except LockBudgetExceeded as exc:  # rolled back: nothing stored
        return 503, {"error": str(exc)}, 0.0
    except (*transient_errors(), OSError) as exc:  # type: ignore[misc]  # rolled back: nothing stored
        if storage_failure(exc):
            log.error("ingest: database storage: %s", str(exc).split("\n")[0])
            return 507, {"error": STORAGE_FULL}, 0.0
        if isinstance(exc, OSError) and not isinstance(exc, transient_errors()):
            raise
        log.warning("ingest: %s", str(exc).split("\n")[0])
        return 503, {"error": BUSY}, 0.0
    ms = (time.perf_counter() - started) * 1000
    if result.foreign:
        from silkrail.service import audit

        audit.refused(
            status=403,
            reason="events for trains of another operator (answered as trains that do not exist)",
            client=client,
            method="POST",
            path="/api/v1/events",
            token_id=token.id,
            operator=token.operator,
            trains=list(result.foreign[:20]),
        )
    return 200, result.to_dict(), ms


_tracker: Tracker | None = None  # in an ingest process: its own connection pool to the shared database


def _start(db_url: str, parent: int, limits: TrackerLimits | None = None) -> None:
    global _tracker
    from silkrail.service.pool import name_process

    name_process("silkrail-ingest")
    faulthandler.enable(file=sys.stderr)
    threading.Thread(target=_follow, args=(parent,), daemon=True, name="follow-parent").start()
    _tracker = Tracker.open(db_url, limits=limits)  # the stored profiles only: no planner, no network


def _follow(parent: int) -> None:
    """End this process soon after the service that started it is gone (killed, even with
    SIGKILL): an orphan would hold database connections and locks with nobody to answer."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def _ready() -> bool:
    return _tracker is not None


def _handle(body: bytes, token: Token, client: str) -> Outcome:
    if _tracker is None:
        return 503, {"error": BUSY}, 0.0
    try:
        return handle(_tracker, body, token, client)
    except Exception:  # kept here: the parent gets a status, never a traceback
        log.exception("ingest failed")
        return 500, {"error": "internal error; the server log has details"}, 0.0


class IngestPool:
    """``processes`` ingest processes on ``db_url``; ``post`` runs a batch in whichever is free."""

    def __init__(self, db_url: str, processes: int, limits: TrackerLimits | None = None) -> None:
        self.db_url, self.processes, self.limits = db_url, processes, limits
        self._pool = self._new()
        self._warming: asyncio.Task[None] | None = None

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start,
            initargs=(self.db_url, os.getpid(), self.limits),
        )

    async def start(self) -> None:
        """Start every process now (each connects to the database), not at the first batch."""
        loop = asyncio.get_running_loop()
        try:
            await asyncio.gather(*(loop.run_in_executor(self._pool, _ready) for _ in range(self.processes)))
        except BaseException:
            self._pool.shutdown(wait=False, cancel_futures=True)
            raise

    async def post(self, body: bytes, token: Token, client: str = "") -> Outcome:
        pool = self._pool
        try:
            return await asyncio.get_running_loop().run_in_executor(
                pool,
                _handle,
                body,
                Token(token.id, token.operator),  # the secret stays here
                client,
            )
        except BrokenProcessPool:  # a process died (killed, out of memory): start afresh
            if self._pool is pool:  # once, by the first request to notice
                log.warning("an ingest process died; starting new ones")
                pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new()
                self._warming = asyncio.create_task(self.start())  # all of them, not one by one
            return 503, {"error": LOST}, 0.0

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
