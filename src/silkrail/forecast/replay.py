"""A recorded feed replayed into a tracker of its own (a SQLite database in a temporary directory),
up to any time: what the backtest and the what-if of a feed start from.

A feed is JSON Lines (plain or gzipped): ``{"type": "train", "ref", <train fields>}`` lines and
``{"type": "event", "train_ref", <event fields>}`` lines, as ``silkrail demo-feed`` and
``silkrail forecast demo-feed`` write them. Each line is checked: a bad line is a DataError with
the file and line; a train the tracker refuses is one too.
"""

from __future__ import annotations

import gzip
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

from silkrail.errors import DataError
from silkrail.routing.json_types import JsonObject, JsonValue

if TYPE_CHECKING:
    from silkrail.network.model import Network
    from silkrail.tracking.model import TrainIn
    from silkrail.tracking.planner import PlannedRoute, RoutePlanner
    from silkrail.tracking.tracker import Tracker

MAX_FEED_LINES = 2_000_000
MAX_LINE_CHARS = 100_000
BATCH = 2000


@dataclass(frozen=True)
class FeedEvent:
    """An event line of a feed: its time (UTC), its train's ref, and the event as the feed gives
    it (without ``type`` and ``train_ref``), which the tracker validates when it is ingested."""

    time: datetime
    train_ref: str
    fields: JsonObject

    @property
    def arrived(self) -> bool:
        """Whether it is the train's ``arrived`` milestone."""
        return self.fields.get("kind") == "milestone" and self.fields.get("milestone") == "arrived"


@dataclass
class ReplayTotals:
    """What the tracker made of the events replayed so far."""

    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0

    def to_dict(self) -> dict[str, int]:
        return {"accepted": self.accepted, "duplicates": self.duplicates, "rejected": self.rejected}


@dataclass(frozen=True)
class RecordedFeed:
    """A feed read from a file: its trains (the bodies of ``POST /trains``, by ref) and its
    events in time order."""

    name: str
    trains: dict[str, JsonObject]
    events: tuple[FeedEvent, ...]

    @property
    def start(self) -> datetime:
        if not self.events:
            raise DataError("the feed has no events", file=self.name)
        return self.events[0].time

    @property
    def end(self) -> datetime:
        if not self.events:
            raise DataError("the feed has no events", file=self.name)
        return self.events[-1].time

    def arrivals(self) -> dict[str, datetime]:
        """Each train's ``arrived`` milestone time, by ref."""
        return {e.train_ref: e.time for e in self.events if e.arrived}


def read_feed(path: Path) -> RecordedFeed:
    """The feed at ``path`` (``.jsonl`` or ``.jsonl.gz``), each line checked."""
    path = Path(path)
    trains: dict[str, JsonObject] = {}
    events: list[FeedEvent] = []
    try:
        with _open_text(path) as fh:
            for n, raw in enumerate(fh, 1):
                if n > MAX_FEED_LINES:
                    raise DataError(
                        f"more than {MAX_FEED_LINES:,} lines; split the feed", file=path.name, line=n
                    )
                if len(raw) > MAX_LINE_CHARS:
                    raise DataError(
                        f"a line of {len(raw):,} characters; at most {MAX_LINE_CHARS:,}",
                        file=path.name,
                        line=n,
                    )
                if not raw.strip():
                    continue
                _line(json_line(raw, path.name, n), path.name, n, trains, events)
    except OSError as exc:
        raise DataError(f"cannot read the feed ({exc.strerror or exc})", file=str(path)) from None
    except (EOFError, gzip.BadGzipFile, UnicodeDecodeError) as exc:
        raise DataError(f"not a readable feed ({exc})", file=path.name) from None
    events.sort(key=lambda x: x.time)
    if not trains:
        raise DataError("the feed has no train lines", file=path.name)
    return RecordedFeed(path.name, trains, tuple(events))


def _open_text(path: Path) -> IO[str]:
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else open(path, encoding="utf-8")


def json_line(raw: str, name: str, n: int) -> JsonObject:
    try:
        item = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise DataError(f"not JSON ({exc.msg})", file=name, line=n) from None
    if not isinstance(item, dict):
        raise DataError("each line is a JSON object", file=name, line=n)
    fields: JsonObject = item
    return fields


def _line(
    item: JsonObject, name: str, n: int, trains: dict[str, JsonObject], events: list[FeedEvent]
) -> None:
    kind = item.pop("type", None)
    if kind == "train":
        ref = item.pop("ref", None)
        if not isinstance(ref, str) or not ref:
            raise DataError("a train line needs its 'ref'", file=name, line=n, field="ref")
        if ref in trains:
            raise DataError(f"train ref '{ref}' is given twice", file=name, line=n, field="ref")
        trains[ref] = item
    elif kind == "event":
        ref = item.pop("train_ref", None)
        if not isinstance(ref, str) or ref not in trains:
            raise DataError(
                f"event for unknown train_ref {ref!r} (its train line must come first)",
                file=name,
                line=n,
                field="train_ref",
            )
        try:
            t = datetime.fromisoformat(str(item.get("time")))
        except ValueError:
            raise DataError(
                f"time {item.get('time')!r} is not an ISO 8601 time", file=name, line=n, field="time"
            ) from None
        if t.tzinfo is None:
            raise DataError("give each time with its zone", file=name, line=n, field="time")
        events.append(FeedEvent(t.astimezone(UTC), ref, item))
    else:
        raise DataError("each line needs type 'train' or 'event'", file=name, line=n, field="type")


class _SharedPlans:
    """Plans each origin, destination, year, cargo, traffic and named crossings once (a feed runs
    the same services many times)."""

    def __init__(self, planner: RoutePlanner) -> None:
        self.planner = planner
        self._plans: dict[tuple[str, str, int, float, tuple[str, ...], str], PlannedRoute] = {}

    def plan(self, train: TrainIn) -> PlannedRoute:
        if (
            train.trip_id is not None
            or train.origin is None
            or train.destination is None
            or train.departure is None
        ):
            return self.planner.plan(train)  # a train of a timetable trip runs that trip's own times
        via = tuple(train.via or ())
        key = (train.origin, train.destination, train.departure.year, train.teu, via, train.traffic)
        if key not in self._plans:
            self._plans[key] = self.planner.plan(train)
        return self._plans[key]


@dataclass
class Replayer:
    """A feed replayed into ``tracker``: every train created at once (planned trains are known
    ahead), events ingested up to the time :meth:`advance` is given."""

    feed: RecordedFeed
    tracker: Tracker
    ids: dict[str, str] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    cursor: int = 0
    totals: ReplayTotals = field(default_factory=ReplayTotals)
    rejections: list[str] = field(default_factory=list)
    scratch: Path | None = None  # the temporary directory of its own database, removed by close()

    @classmethod
    def start(cls, feed: RecordedFeed, net: Network, db_url: str | None = None) -> Replayer:
        """A fresh tracker (SQLite in a temporary directory unless ``db_url``) with the feed's
        trains planned on ``net``. Its own temporary database is removed by :meth:`close`, or at
        once if a train of the feed cannot be planned."""
        from silkrail.tracking.store import migrate
        from silkrail.tracking.tracker import Tracker

        scratch = None
        if db_url is None:
            scratch = Path(tempfile.mkdtemp(prefix="silkrail-replay-"))
            db_url = f"sqlite:///{scratch / 'tracking.sqlite'}"
        migrate(db_url)
        out = cls(feed, Tracker.open(db_url), scratch=scratch)
        try:
            out._create_trains(net)
        except BaseException:
            out.close()
            raise
        return out

    def _create_trains(self, net: Network) -> None:
        from pydantic import ValidationError

        from silkrail.tracking.model import TrainIn
        from silkrail.tracking.planner import NetworkPlanner

        feed, tracker = self.feed, self.tracker
        planner = _SharedPlans(NetworkPlanner(net))
        for ref, item in feed.trains.items():
            try:
                body = TrainIn.model_validate(item)
            except ValidationError as exc:
                e = exc.errors()[0]
                where = ".".join(str(x) for x in e["loc"]) or "train"
                raise DataError(f"train '{ref}': {e['msg']}", file=feed.name, field=where) from None
            try:
                created = tracker.create_train(body, plan=planner.plan(body))
            except DataError as exc:
                raise DataError(f"train '{ref}': {exc.reason}", file=feed.name, field=exc.field) from None
            self.ids[ref] = created.id
            self.refs[created.id] = ref

    def advance(self, until: datetime) -> int:
        """Ingest the events up to ``until`` (inclusive) as a service would have taken them then;
        returns how many."""
        events = self.feed.events
        start = self.cursor
        while self.cursor < len(events) and events[self.cursor].time <= until:
            self.cursor += 1
        todo = events[start : self.cursor]
        for i in range(0, len(todo), BATCH):
            chunk = todo[i : i + BATCH]
            bodies: list[JsonValue] = [e.fields | {"train_id": self.ids[e.train_ref]} for e in chunk]
            now = max(e.time for e in chunk)
            result = self.tracker.ingest(bodies, now=max(now, until))
            self.totals.accepted += result.accepted
            self.totals.duplicates += result.duplicates
            self.totals.rejected += len(result.rejected)
            self.rejections += [r.error for r in result.rejected[:5]]
        return len(todo)

    def close(self) -> None:
        """Close the database, and remove it if it was this replay's own temporary one."""
        self.tracker.engine.dispose()
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
