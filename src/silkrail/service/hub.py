"""``Hub``: live updates to this process's WebSocket clients, relayed from the database."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

from silkrail.tracking.results import Cursor
from silkrail.tracking.tracker import Tracker

MAX_QUEUED = 1000  # messages waiting for one slow client; beyond, it misses updates


class Hub:
    """Live updates to this process's WebSocket clients, relayed from the database: any service
    process may have stored the change."""

    def __init__(self) -> None:
        self.clients: set[asyncio.Queue[str]] = set()
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
        for t in changed.trains:
            if self.sent.get(t.id) != t.updated_at:
                self.sent[t.id] = t.updated_at
                self.publish({"type": "train", "train": t.to_dict()})
        for a in changed.alerts:
            self.publish({"type": "alert", "alert": a.to_dict()})

    def publish(self, message: dict[str, Any]) -> None:
        text = json.dumps(message, default=str)
        for q in list(self.clients):
            if q.qsize() < MAX_QUEUED:
                q.put_nowait(text)
