"""Replaying a recorded feed (``tracking.feed``'s JSON Lines) into a running service through the
typed client: the trains first, their refs mapped to the ids the service gives, then the events
in batches, at ``speed`` times real time (0: as fast as possible) or ``live`` as they fall due.

It lives beside the client, above the service: the tracking layer knows nothing of HTTP.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from silkrail.client import JsonValue, ServiceClient, ServiceError
from silkrail.errors import DataError

__all__ = ["ReplayTotals", "replay"]


@dataclass
class ReplayTotals:
    """What a replay posted: trains created, and events accepted, already stored
    (duplicates) and refused."""

    trains: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0

    def as_dict(self) -> dict[str, int]:
        """The totals as :func:`replay` returns them."""
        return asdict(self)


def replay(
    path: Path,
    url: str,
    token: str,
    *,
    speed: float = 60.0,
    batch: int = 500,
    live: bool = False,
    progress: Callable[[int], None] | None = None,
    caught_up: Callable[[dict[str, int], datetime], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> dict[str, int]:
    """Post a feed to a service: trains first, then events in time order, paced by ``speed``
    times real time; or ``live``: each event when its own time comes, so the events of the past
    go at once (then ``caught_up(totals so far, next event time)``) and the rest as they fall due."""
    ids: dict[str, str] = {}
    totals = ReplayTotals()
    pending: list[dict[str, JsonValue]] = []
    first_event: datetime | None = None
    started = time.monotonic()
    with ServiceClient(url, token=token, timeout=60) as client:

        def flush() -> None:
            if not pending:
                return
            try:
                out = client.post_events(pending)
            except ServiceError as exc:
                raise DataError(
                    f"the service answered {exc.status}: {exc.text[:300]}", field="events"
                ) from None
            totals.accepted += out.accepted
            totals.duplicates += out.duplicates
            totals.rejected += len(out.rejected)
            if progress:
                progress(len(pending))
            pending.clear()

        for n, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if not raw.strip():
                continue
            try:
                item = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise DataError(f"not JSON ({exc.msg})", file=Path(path).name, line=n) from None
            if not isinstance(item, dict):
                raise DataError("each line must be a JSON object", file=Path(path).name, line=n)
            kind = item.pop("type", None)
            if kind == "train":
                ref = item.pop("ref")
                try:
                    ids[ref] = client.create_train(item).id
                except ServiceError as exc:
                    raise DataError(
                        f"train '{ref}' refused: {exc.text[:300]}", file=Path(path).name, line=n
                    ) from None
                totals.trains += 1
            elif kind == "event":
                ref = item.pop("train_ref")
                if ref not in ids:
                    raise DataError(f"event for unknown train_ref '{ref}'", file=Path(path).name, line=n)
                match item:
                    case {"time": str(at)}:
                        t = _time(at, Path(path).name, n)
                    case _:
                        raise DataError("an event needs its 'time'", file=Path(path).name, line=n)
                first_event = first_event or t
                if live:
                    wait = (t - now()).total_seconds()
                    if wait > 0:
                        flush()
                        if caught_up is not None:
                            caught_up(totals.as_dict(), t)
                            caught_up = None
                        sleep(wait)
                elif speed > 0:
                    due = (t - first_event).total_seconds() / speed
                    wait = due - (time.monotonic() - started)
                    if wait > 0:
                        flush()
                        sleep(wait)
                pending.append({**item, "train_id": ids[ref]})
                if len(pending) >= batch:
                    flush()
            else:
                raise DataError("each line needs type 'train' or 'event'", file=Path(path).name, line=n)
        flush()
    return totals.as_dict()


def _time(text: str, file: str, line: int) -> datetime:
    """An event's ISO 8601 time."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise DataError(f"'{text}' is not an ISO 8601 time", file=file, line=line, field="time") from None
