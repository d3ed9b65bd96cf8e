"""Learning the dwell at border crossings from observed waits, without I/O.

A wait is an entry milestone paired with the exit after it at the same stop. Milestones may
arrive in any order, so a wait is found three ways: an exit whose entry the train's state
holds; an exit whose entry was stored out of order (the state never entered); a late entry
whose exit is stored already. Each wait adds one observation to the crossing's running mean
(Welford), counting for at most the stop's cap; a wait no train makes is refused.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple, Protocol

if TYPE_CHECKING:
    from silkrail.tracking.eta import Stop

LEARN_MIN_N = 2  # observations before a learned dwell replaces the planned one
MAX_OBSERVED_DWELL_H = 30 * 24.0  # a longer "wait" at one crossing is a wrong time, not a wait
BORDER = ("border_entry", "border_exit")
_LAST = "\U0010ffff"  # sorts after every event id


class DwellStats(NamedTuple):
    """A crossing's learned dwell: observations, mean hours, and the sum of squared deviations."""

    n: int
    mean_h: float
    m2: float


NO_STATS = DwellStats(0, 0.0, 0.0)
Learned = Mapping[str, DwellStats]  # a crossing's key -> what its observed waits taught


class ImplausibleWait(ValueError):
    """A border wait no train makes (an exit before its entry, a wait beyond
    MAX_OBSERVED_DWELL_H): the milestone that completes it is refused, with this message."""


def stop_key(stop: Stop) -> str:
    """The key a stop's learned dwell is kept under: its crossing id, else its name."""
    return stop.key


def welford(stats: DwellStats, x: float) -> DwellStats:
    """One more observation ``x`` in a running mean and sum of squared deviations."""
    n = stats.n + 1
    delta = x - stats.mean_h
    mean = stats.mean_h + delta / n
    return DwellStats(n, mean, stats.m2 + delta * (x - mean))


def dwell_cap(stop: Stop) -> float:
    """The most one observed wait counts for when learning a stop's dwell, from its curated
    figures: three times its expected 95th percentile, at least three days. A longer wait still
    raises its alert; it teaches no more than this, so one report cannot drag the mean (and every
    ETA through the stop) arbitrarily far."""
    return max(3.0 * stop.p95_h, 3.0 * stop.dwell_h, 72.0)


def expected_dwell(stop: Stop, learned: Learned) -> float:
    """The learned mean once there are LEARN_MIN_N observations, kept within 0 and the stop's
    cap (a stored value from before the cap, or a bad row, cannot leave those bounds)."""
    n, mean, _ = learned.get(stop.key, NO_STATS)
    if n < LEARN_MIN_N or not math.isfinite(mean):
        return stop.dwell_h
    return min(max(mean, 0.0), dwell_cap(stop))


def hours(entered: datetime, left: datetime) -> float:
    return (left - entered).total_seconds() / 3600


def learn(learned: Learned, stop: Stop, entered: datetime, left: datetime) -> DwellStats:
    """The stop's statistics with the wait from ``entered`` to ``left`` added (capped at
    ``dwell_cap``); raises ImplausibleWait for a wait beyond MAX_OBSERVED_DWELL_H."""
    observed = hours(entered, left)
    if observed > MAX_OBSERVED_DWELL_H:
        raise ImplausibleWait(
            f"time: a wait of {observed:,.0f} h at {stop.name} (from {entered.isoformat()} to "
            f"{left.isoformat()}) is beyond the {MAX_OBSERVED_DWELL_H:,.0f} h any crossing takes; "
            "check the entry and exit times"
        )
    return welford(learned.get(stop.key, NO_STATS), min(observed, dwell_cap(stop)))


class Milestones(Protocol):
    """The stored border milestones of a batch's trains, for pairing entries and exits that
    arrive out of order. ``me`` is the asking event (never its own pair); ``rejected``: events
    of this batch refused so far (stored, but about to be removed)."""

    def last(
        self, tid: str, key: str, milestone: str, t: datetime, me: str, rejected: Collection[str]
    ) -> datetime | None: ...

    def first(self, tid: str, key: str, milestone: str, t: datetime, me: str) -> datetime | None: ...

    def none_between(
        self, tid: str, key: str, milestone: str, a: datetime, b: datetime, me: str, rejected: Collection[str]
    ) -> bool: ...


@dataclass(frozen=True)
class StoredMilestone:
    """A border milestone as stored: whose, which, when, where."""

    event_id: str
    train_id: str
    milestone: str
    time: datetime
    at: str


class MilestoneIndex:
    """Border milestones by (train, stop, milestone), in time order. ``batch``: the ids of the
    events being applied now (stored already, so ``first`` looks past them: an exit of this
    batch comes later in time order and finds its entry itself)."""

    def __init__(
        self,
        rows: Iterable[StoredMilestone],
        stop_of: Callable[[str, str], Stop | None],
        batch: Collection[str] = (),
    ) -> None:
        self.batch = batch
        self._by: dict[tuple[str, str, str], list[tuple[datetime, str]]] = {}
        for r in rows:
            stop = stop_of(r.train_id, r.at)
            if stop is not None:
                self._by.setdefault((r.train_id, stop.key, r.milestone), []).append((r.time, r.event_id))
        for times in self._by.values():
            times.sort()

    def last(
        self, tid: str, key: str, milestone: str, t: datetime, me: str, rejected: Collection[str]
    ) -> datetime | None:
        """The latest ``milestone`` at ``key`` at or before ``t`` (this batch's included)."""
        times = self._by.get((tid, key, milestone), [])
        for k in range(bisect.bisect_right(times, (t, _LAST)) - 1, -1, -1):
            if times[k][1] != me and times[k][1] not in rejected:
                return times[k][0]
        return None

    def first(self, tid: str, key: str, milestone: str, t: datetime, me: str) -> datetime | None:
        """The earliest ``milestone`` at ``key`` at or after ``t``, stored before this batch."""
        times = self._by.get((tid, key, milestone), [])
        for k in range(bisect.bisect_left(times, (t, "")), len(times)):
            if times[k][1] != me and times[k][1] not in self.batch:
                return times[k][0]
        return None

    def none_between(
        self, tid: str, key: str, milestone: str, a: datetime, b: datetime, me: str, rejected: Collection[str]
    ) -> bool:
        """Whether no other ``milestone`` at ``key`` lies strictly between ``a`` and ``b``: an
        entry pairs with one exit only."""
        times = self._by.get((tid, key, milestone), [])
        for k in range(bisect.bisect_right(times, (a, _LAST)), len(times)):
            if times[k][0] >= b:
                return True
            if times[k][1] != me and times[k][1] not in rejected:
                return False
        return True


def find_wait(
    *,
    tid: str,
    milestone: str,
    stop: Stop,
    t: datetime,
    me: str,
    newer: bool,
    inside_since: datetime | None,
    milestones: Milestones,
    rejected: Collection[str] = frozenset(),
) -> tuple[datetime, datetime] | None:
    """The wait (entered, left) that this border milestone completes, or None. ``inside_since``:
    when the train's state entered this stop (None: it is not inside it); ``newer``: the
    milestone is not older than the state. Raises ImplausibleWait for an exit before the entry
    the state holds."""
    key = stop.key
    if milestone == "border_exit":
        if inside_since is not None:
            if t < inside_since:
                raise ImplausibleWait(
                    f"time: this border_exit at {stop.name} ({t.isoformat()}) is before the "
                    f"train's border_entry there ({inside_since.isoformat()}); give the exit's true time"
                )
            return inside_since, t
        # an exit from a crossing the state never entered: its entry may be stored, out of order
        entered = milestones.last(tid, key, "border_entry", t, me, rejected)
        if entered is not None and milestones.none_between(tid, key, "border_exit", entered, t, me, rejected):
            return entered, t
    elif milestone == "border_entry" and not newer:
        # the train has moved on since: its exit may be stored already, out of order (an exit in
        # this same batch comes later in time order and finds this entry itself)
        left = milestones.first(tid, key, "border_exit", t, me)
        if left is not None and milestones.none_between(tid, key, "border_entry", t, left, me, rejected):
            return t, left
    return None


def relearn(
    rows: Iterable[StoredMilestone], stop_of: Callable[[str, str], Stop | None]
) -> dict[str, DwellStats]:
    """Every crossing's learned dwell recomputed from stored border milestones (in train and
    time order), with the rules ingest applies: each exit paired with the latest entry before
    it and after the previous exit, a wait outside 0..MAX_OBSERVED_DWELL_H left out, each wait
    counting for at most the stop's cap."""
    stats: dict[str, DwellStats] = {}
    entered: dict[tuple[str, str], datetime] = {}
    for r in rows:
        stop = stop_of(r.train_id, r.at)
        if stop is None:
            continue
        key = stop.key
        if r.milestone == "border_entry":
            entered[(r.train_id, key)] = r.time
            continue
        since = entered.pop((r.train_id, key), None)
        if since is None:
            continue
        observed = hours(since, r.time)
        if 0 <= observed <= MAX_OBSERVED_DWELL_H:
            stats[key] = welford(stats.get(key, NO_STATS), min(observed, dwell_cap(stop)))
    return stats
