"""``Hub``: live updates to this process's WebSocket clients, relayed from the database, each
client seeing them as its viewer may (``service.views``)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

from silkrail.service.views import Viewer, alert_view, train_view
from silkrail.tracking.results import AlertRecord, Cursor, TrainSummary
from silkrail.tracking.tracker import Tracker

MAX_QUEUED = 1000  # messages waiting for one slow client; beyond, it misses updates


class Hub:
    """Live updates to this process's WebSocket clients, relayed from the database: any service
    process may have stored the change. ``policy``: the deployment's public view."""

    def __init__(self, policy: str = "aggregated") -> None:
        self.policy: Any = policy
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

    def publish_changes(self, trains: list[TrainSummary], alerts: list[AlertRecord]) -> None:
        """Push these trains (those changed since last pushed) and alerts to each client, in its view."""
        for t in trains:
            if self.sent.get(t.id) != t.updated_at:
                self.sent[t.id] = t.updated_at
                self._each(lambda v, t=t: _train_message(t, v, self.policy))
        for a in alerts:
            self._each(lambda v, a=a: _alert_message(a, v, self.policy))

    def _each(self, message_for: Any) -> None:
        texts: dict[str, str | None] = {}  # by the viewer's key: one message a view
        for q, viewer in list(self.clients.items()):
            key = viewer.key()
            if key not in texts:
                doc = message_for(viewer)
                texts[key] = None if doc is None else json.dumps(doc, default=str)
            text = texts[key]
            if text is not None and q.qsize() < MAX_QUEUED:
                q.put_nowait(text)


def _train_message(t: TrainSummary, viewer: Viewer, policy: Any) -> dict[str, Any] | None:
    seen = train_view(t, viewer, policy)
    return None if seen is None else {"type": "train", "train": seen.to_dict()}


def _alert_message(a: AlertRecord, viewer: Viewer, policy: Any) -> dict[str, Any] | None:
    seen = alert_view(a, viewer, policy)
    return None if seen is None else {"type": "alert", "alert": seen.to_dict()}
