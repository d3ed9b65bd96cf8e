"""``Hub``: live updates to this process's WebSocket clients, relayed from the database."""

from __future__ import annotations

import asyncio
import json
from typing import Any


class Hub:
    """Live updates to this process's WebSocket clients, relayed from the database: any service
    process may have stored the change."""

    def __init__(self) -> None:
        self.clients: set[asyncio.Queue[str]] = set()
        self.cursor: dict[str, Any] | None = None  # where the relay has read up to
        self.sent: dict[str, Any] = {}  # train id -> the updated_at last pushed

    async def relay(self, tracker: Any) -> None:
        """Push the trains and alerts changed since the last call."""
        if not self.clients:
            self.cursor = None  # nobody listens: start afresh when someone does
            return
        trains, alerts, self.cursor = await asyncio.to_thread(tracker.changes, self.cursor)
        for t in trains:
            if self.sent.get(t["id"]) != t["updated_at"]:
                self.sent[t["id"]] = t["updated_at"]
                self.publish({"type": "train", "train": t})
        for a in alerts:
            self.publish({"type": "alert", "alert": a})

    def publish(self, message: dict[str, Any]) -> None:
        text = json.dumps(message, default=str)
        for q in list(self.clients):
            if q.qsize() < 1000:
                q.put_nowait(text)
