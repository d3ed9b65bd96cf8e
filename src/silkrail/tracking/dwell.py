"""Learning the dwell at border crossings from observed waits, without I/O.

A wait is an entry milestone paired with the exit after it at the same stop. Milestones may
arrive in any order, so a wait is found three ways: an exit whose entry the train's state
holds; an exit whose entry was stored out of order (the state never entered); a late entry
whose exit is stored already. Each wait, capped at the stop's cap, is one observation of the
train's operator at that crossing; a wait no train makes is refused.

The observations are kept per crossing and operator as sums (count, sum, sum of squares), which
add up in any order: batches of different trains learn at once without a lock. A crossing's
expected dwell combines the planned dwell (as PRIOR_WEIGHT observations) with each operator's
mean (weighted by its observations, at most MAX_WEIGHT), where
- an operator whose mean lies beyond OUTLIER_RATIO times (or below 1/OUTLIER_RATIO of) the
  weighted median of all these is an outlier and left out;
- no operator weighs more than MAX_SHARE of the whole: one operator alone moves the estimate at
  most half way from the plan; several that agree move it all the way.
So one operator cannot move a crossing for everyone (two trains reporting 7-day waits are
outliers), and a real change that every operator sees is learned.
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

LEARN_MIN_N = 2  # observations (of all operators) before the learned dwell counts at all
MAX_OBSERVED_DWELL_H = 30 * 24.0  # a longer "wait" at one crossing is a wrong time, not a wait
PRIOR_WEIGHT = 2.0  # the planned dwell counts as this many observations
MAX_WEIGHT = 20.0  # an operator's observations beyond this many weigh no more
MAX_SHARE = 0.5  # of the whole weight, for any one operator
OUTLIER_RATIO = 2.5  # an operator's mean this many times off the median of all is left out
BORDER = ("border_entry", "border_exit")
_LAST = "\U0010ffff"  # sorts after every event id


class DwellSums(NamedTuple):
    """One operator's observed waits at one crossing: their count, sum and sum of squares
    (hours). Sums add up in any order: two batches learning at once lose nothing."""

    n: int
    sum_h: float
    sum_h2: float

    def add(self, x: float) -> DwellSums:
        return DwellSums(self.n + 1, self.sum_h + x, self.sum_h2 + x * x)

    def plus(self, other: DwellSums) -> DwellSums:
        return DwellSums(self.n + other.n, self.sum_h + other.sum_h, self.sum_h2 + other.sum_h2)

    @property
    def mean_h(self) -> float:
        return self.sum_h / self.n if self.n else 0.0


NO_SUMS = DwellSums(0, 0.0, 0.0)
Learned = Mapping[str, Mapping[str, DwellSums]]
"""What the crossings' observed waits taught: a stop's key -> an operator ('' for trains of no
operator) -> its sums."""


class ImplausibleWait(ValueError):
    """A border wait no train makes (an exit before its entry, a wait beyond
    MAX_OBSERVED_DWELL_H): the milestone that completes it is refused, with this message."""


def stop_key(stop: Stop) -> str:
    """The key a stop's learned dwell is kept under: its crossing id, else its name."""
    return stop.key


def dwell_cap(stop: Stop) -> float:
    """The most one observed wait counts for when learning a stop's dwell, from its curated
    figures: three times its expected 95th percentile, at least three days. A longer wait still
    raises its alert; it teaches no more than this, so one report cannot drag the mean (and every
    ETA through the stop) arbitrarily far."""
    return max(3.0 * stop.p95_h, 3.0 * stop.dwell_h, 72.0)


@dataclass(frozen=True)
class Estimate:
    """A stop's expected dwell and how it was reached: the hours, and the operators whose means
    counted and those left out as outliers."""

    hours: float
    counted: tuple[str, ...] = ()
    outliers: tuple[str, ...] = ()


def _weighted_median(plan: float, values: list[tuple[float, float]]) -> float:
    """The value where the weights, in value order, pass half the whole; where they reach half
    exactly between two values, the one nearer ``plan`` (the plan holds against an equal weight)."""
    ordered = sorted(values)
    half = sum(w for _, w in ordered) / 2
    run = 0.0
    for k, (v, w) in enumerate(ordered):
        run += w
        if math.isclose(run, half) and k + 1 < len(ordered):
            nxt = ordered[k + 1][0]
            return v if abs(v - plan) <= abs(nxt - plan) else nxt
        if run > half:
            return v
    return ordered[-1][0]


def estimate_dwell(stop: Stop, learned: Learned) -> Estimate:
    """The stop's expected dwell from its plan and the operators' observations (module
    docstring): the plan until LEARN_MIN_N waits are observed in all; each operator's mean kept
    within 0 and the stop's cap (a stored value from before the cap cannot leave those bounds)."""
    plan = stop.dwell_h
    by_operator = learned.get(stop.key, {})
    if sum(s.n for s in by_operator.values()) < LEARN_MIN_N:
        return Estimate(plan)
    cap = dwell_cap(stop)
    means = {
        op: (min(max(s.mean_h, 0.0), cap), min(float(s.n), MAX_WEIGHT))
        for op, s in sorted(by_operator.items())
        if s.n > 0 and math.isfinite(s.mean_h)
    }
    center = _weighted_median(plan, [(plan, PRIOR_WEIGHT), *means.values()])
    floor = max(center, 1e-6)
    outliers = tuple(
        op
        for op, (m, _) in means.items()
        if max(m, 1e-6) > OUTLIER_RATIO * floor or m * OUTLIER_RATIO < center
    )
    kept = {op: mw for op, mw in means.items() if op not in outliers}
    weights = _capped({op: w for op, (_, w) in kept.items()}, PRIOR_WEIGHT)
    total = PRIOR_WEIGHT + sum(weights.values())
    hours = (PRIOR_WEIGHT * plan + sum(weights[op] * kept[op][0] for op in kept)) / total
    return Estimate(hours, tuple(kept), outliers)


def _capped(weights: dict[str, float], prior: float) -> dict[str, float]:
    """The operators' weights with none above MAX_SHARE of the whole (prior included): capped
    ones lowered, the rest kept, until none is above (a few rounds at most)."""
    out = dict(weights)
    for _ in range(len(out) + 1):
        total = prior + sum(out.values())
        over = {op for op, w in out.items() if w > MAX_SHARE * total + 1e-9}
        if not over:
            break
        rest = prior + sum(w for op, w in out.items() if op not in over)
        # each capped operator at exactly MAX_SHARE of the whole: w = s (rest + k w)
        k = len(over)
        w = MAX_SHARE * rest / (1 - MAX_SHARE * k) if MAX_SHARE * k < 1 else min(out[op] for op in over)
        for op in over:
            out[op] = min(out[op], w)
    return out


def expected_dwell(stop: Stop, learned: Learned) -> float:
    """The stop's expected dwell in hours (``estimate_dwell``)."""
    return estimate_dwell(stop, learned).hours


def hours(entered: datetime, left: datetime) -> float:
    return (left - entered).total_seconds() / 3600


def observe(stop: Stop, entered: datetime, left: datetime) -> float:
    """The wait from ``entered`` to ``left`` as one observation, capped at ``dwell_cap``; raises
    ImplausibleWait for a wait beyond MAX_OBSERVED_DWELL_H."""
    observed = hours(entered, left)
    if observed > MAX_OBSERVED_DWELL_H:
        raise ImplausibleWait(
            f"time: a wait of {observed:,.0f} h at {stop.name} (from {entered.isoformat()} to "
            f"{left.isoformat()}) is beyond the {MAX_OBSERVED_DWELL_H:,.0f} h any crossing takes; "
            "check the entry and exit times"
        )
    return min(observed, dwell_cap(stop))


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
    """Border milestones by (train, stop, milestone), in time order. ``batch``: the (train, event
    id) keys of the events being applied now (stored already, so ``first`` looks past them: an
    exit of this batch comes later in time order and finds its entry itself)."""

    def __init__(
        self,
        rows: Iterable[StoredMilestone],
        stop_of: Callable[[str, str], Stop | None],
        batch: Collection[tuple[str, str]] = (),
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
            if times[k][1] != me and (tid, times[k][1]) not in self.batch:
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
    rows: Iterable[StoredMilestone],
    stop_of: Callable[[str, str], Stop | None],
    operator_of: Callable[[str], str],
) -> dict[tuple[str, str], DwellSums]:
    """Every crossing's observations, per operator (``operator_of(train id)``), recomputed from
    stored border milestones (in train and time order), with the rules ingest applies: each exit
    paired with the latest entry before it and after the previous exit, a wait outside
    0..MAX_OBSERVED_DWELL_H left out, each wait counting for at most the stop's cap."""
    sums: dict[tuple[str, str], DwellSums] = {}
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
            slot = (key, operator_of(r.train_id))
            sums[slot] = sums.get(slot, NO_SUMS).add(min(observed, dwell_cap(stop)))
    return sums
