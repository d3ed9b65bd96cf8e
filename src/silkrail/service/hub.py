"""``Hub``: live updates to this process's WebSocket clients, relayed from the database, each
client seeing them as its viewer may (``service.views``).

With PostgreSQL every instance of the service LISTENs on one channel: each stored batch, new
train and silent-train check NOTIFYs the trains and alerts it changed when it commits (in commit
order), so a client of one instance hears of what another stored. With SQLite (one machine) the
hub polls the changes since its cursor instead."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from silkrail.service.views import Viewer, alert_view, train_view
from silkrail.tracking.results import AlertRecord, Cursor, TrainSummary
from silkrail.tracking.tracker import Tracker
from silkrail.tracking.values import Doc

if TYPE_CHECKING:
    from psycopg import Notify

    from silkrail.service.settings import PublicView

MAX_QUEUED = 1000  # messages waiting for one slow client; beyond, it misses updates
GATHER_S = 0.05  # notifications gathered this long before the changes are read, once
log = logging.getLogger("silkrail.service")


class Hub:
    """Live updates to this process's WebSocket clients, relayed from the database: any service
    process may have stored the change. ``policy``: the deployment's public view."""

    def __init__(self, policy: PublicView = "aggregated") -> None:
        self.policy: PublicView = policy
        self.clients: dict[asyncio.Queue[str], Viewer] = {}
        self.cursor: Cursor | None = None  # where the relay has read up to
        self.sent: dict[str, datetime] = {}  # train id -> the updated_at last pushed

    async def start_from_now(self, tracker: Tracker) -> None:
        """Begin relaying changes from now on (the first client arrived)."""
        if self.cursor is None:
            now = await asyncio.to_thread(tracker.changes, None)
            self.sent.update((t.id, t.updated_at) for t in now.trains)
            self.cursor = now.cursor

    async def relay(self, tracker: Tracker) -> None:
        """Push the trains and alerts changed since the last call."""
        if not self.clients:
            self.cursor = None  # nobody listens: start afresh when someone does
            return
        changed = await asyncio.to_thread(tracker.changes, self.cursor)
        self.cursor = changed.cursor
        self.publish_changes(changed.trains, changed.alerts)

    async def listen(self, db_url: str, tracker: Tracker, ready: asyncio.Event | None = None) -> None:
        """LISTEN for the changes every service instance stores (PostgreSQL) and push them to
        this process's clients; a lost connection is opened again (the changes meanwhile are
        missed by the stream; the clients read the lists again when it comes back)."""
        import psycopg

        from silkrail.tracking.repository import CHANNEL

        url = db_url.replace("postgresql+psycopg://", "postgresql://", 1)
        pause = 0.5
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    pause = 0.5
                    if ready is not None:
                        ready.set()
                    await self._heard(conn.notifies(), tracker)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database away: listen again when it is back
                log.warning("stream: listening for changes failed (%s); again in %.0f s", exc, pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 10.0)

    async def _heard(self, notifies: AsyncIterator[Notify], tracker: Tracker) -> None:
        """Read the notifications (in a task of their own: the notifications' generator must not
        be cancelled) and, for each burst of them, the changes they name."""
        heard: asyncio.Queue[str] = asyncio.Queue()

        async def read() -> None:
            async for n in notifies:
                heard.put_nowait(n.payload)

        reader = asyncio.create_task(read())
        try:
            while True:
                trains: set[str] = set()
                alerts: set[int] = set()
                first = asyncio.ensure_future(heard.get())
                await asyncio.wait({first, reader}, return_when=asyncio.FIRST_COMPLETED)
                if reader.done():  # the connection ended: listen again
                    first.cancel()
                    reader.result()
                    raise ConnectionError("the notification connection closed")
                self._add(first.result(), trains, alerts)
                with contextlib.suppress(TimeoutError):  # and whatever comes within GATHER_S
                    async with asyncio.timeout(GATHER_S):
                        while True:
                            self._add(await heard.get(), trains, alerts)
                while not heard.empty():
                    self._add(heard.get_nowait(), trains, alerts)
                if self.clients:
                    found = await asyncio.to_thread(tracker.trains, ids=trains) if trains else []
                    raised = await asyncio.to_thread(tracker.alerts, ids=alerts) if alerts else []
                    self.publish_changes(found, raised)
        finally:
            reader.cancel()

    @staticmethod
    def _add(payload: str, trains: set[str], alerts: set[int]) -> None:
        try:
            doc = json.loads(payload)
            trains.update(str(t) for t in doc.get("trains", ()))
            alerts.update(int(a) for a in doc.get("alerts", ()))
        except (ValueError, TypeError, AttributeError):
            log.warning("stream: a notification that is not ours: %.100s", payload)

    def publish_changes(self, trains: list[TrainSummary], alerts: list[AlertRecord]) -> None:
        """Push these trains (those changed since last pushed) and alerts to each client, in its view."""
        for t in trains:
            if self.sent.get(t.id) != t.updated_at:
                self.sent[t.id] = t.updated_at
                self._each(partial(_train_message, t, policy=self.policy))
        for a in alerts:
            self._each(partial(_alert_message, a, policy=self.policy))

    def _each(self, message_for: Callable[[Viewer], Doc | None]) -> None:
        texts: dict[str, str | None] = {}  # by the viewer's key: one message a view
        for q, viewer in list(self.clients.items()):
            key = viewer.key()
            if key not in texts:
                doc = message_for(viewer)
                texts[key] = None if doc is None else json.dumps(doc, default=str)
            text = texts[key]
            if text is not None and q.qsize() < MAX_QUEUED:
                q.put_nowait(text)


def _train_message(t: TrainSummary, viewer: Viewer, policy: PublicView) -> Doc | None:
    seen = train_view(t, viewer, policy)
    return None if seen is None else {"type": "train", "train": seen.to_dict()}


def _alert_message(a: AlertRecord, viewer: Viewer, policy: PublicView) -> Doc | None:
    seen = alert_view(a, viewer, policy)
    return None if seen is None else {"type": "alert", "alert": seen.to_dict()}
