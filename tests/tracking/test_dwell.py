"""Dwell learning without a database: pairing waits (the branches of ``find_wait``), the
running mean, the cap, the planned fallback and the recomputation from stored milestones."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime

import pytest

from silkrail.tracking.dwell import (
    NO_SUMS,
    DwellSums,
    ImplausibleWait,
    MilestoneIndex,
    StoredMilestone,
    dwell_cap,
    estimate_dwell,
    expected_dwell,
    find_wait,
    observe,
    relearn,
)
from silkrail.tracking.eta import Stop

from .track import BORDER, TRAIN, at, index, ms, profile


def _wait(
    milestone: str,
    h: float,
    *,
    newer: bool = True,
    inside: float | None = None,
    stored: MilestoneIndex | None = None,
) -> tuple[datetime, datetime] | None:
    return find_wait(
        tid=TRAIN,
        milestone=milestone,
        stop=BORDER,
        t=at(h),
        me="me",
        newer=newer,
        inside_since=None if inside is None else at(inside),
        milestones=stored if stored is not None else index([]),
    )


def test_an_exit_ends_the_wait_the_state_holds() -> None:
    """Branch 1: inside the crossing since hour 2, an exit at hour 9 completes 2..9."""
    assert _wait("border_exit", 9, inside=2) == (at(2), at(9))


def test_an_exit_before_the_entry_it_ends_is_implausible() -> None:
    """Branch 1, refused: an exit earlier than the entry the state holds."""
    with pytest.raises(ImplausibleWait, match="before the train's border_entry"):
        _wait("border_exit", 1, inside=2)


def test_an_exit_outside_any_crossing_pairs_with_a_stored_entry() -> None:
    """Branch 2: not inside, the exit pairs with the latest stored entry before it."""
    stored = index([ms("in1", "border_entry", 1), ms("in2", "border_entry", 3)])
    assert _wait("border_exit", 9, stored=stored) == (at(3), at(9))
    assert _wait("border_exit", 9) is None  # nothing stored: nothing to learn


def test_a_late_entry_pairs_with_a_stored_exit() -> None:
    """Branch 3: an entry older than the state pairs with the first exit stored after it; a
    current entry (``newer``) waits for its exit instead."""
    stored = index([ms("out", "border_exit", 9)])
    assert _wait("border_entry", 3, newer=False, stored=stored) == (at(3), at(9))
    assert _wait("border_entry", 3, newer=True, stored=stored) is None


def test_other_milestones_complete_no_wait() -> None:
    """Branch 4: gauge-change milestones teach no border dwell."""
    stored = index([ms("in", "border_entry", 1)])
    assert _wait("gauge_change_done", 9, stored=stored) is None
    assert _wait("gauge_change_start", 9, newer=False, stored=stored) is None


def test_sums_add_in_any_order() -> None:
    """2, 4 and 9 h: count 3, sum 15, squares 101, mean 5, whichever order they come in, and two
    halves kept apart add up to the whole (what concurrent batches rely on)."""
    one = NO_SUMS.add(2.0).add(4.0).add(9.0)
    other = NO_SUMS.add(9.0).plus(NO_SUMS.add(4.0).add(2.0))
    assert one == other == DwellSums(3, 15.0, 101.0) and one.mean_h == 5.0


def test_one_wait_counts_for_at_most_the_cap() -> None:
    """The cap is three times the 95th percentile or the dwell, at least 72 h: a 100 h wait at
    the border (95th percentile 12 h) counts 72 h."""
    assert dwell_cap(BORDER) == 72.0
    assert dwell_cap(replace(BORDER, dwell_h=30.0, p95_h=40.0)) == 120.0
    assert observe(BORDER, at(0), at(100)) == 72.0
    assert observe(BORDER, at(0), at(6)) == 6.0


def test_a_wait_beyond_thirty_days_is_refused() -> None:
    with pytest.raises(ImplausibleWait, match="beyond the 720 h"):
        observe(BORDER, at(0), at(721))


def _waits(n: int, hours: float) -> DwellSums:
    return DwellSums(n, n * hours, n * hours * hours)


@pytest.mark.parametrize(
    ("by_operator", "expected"),
    [
        ({}, 5.0),  # nothing learned: the planned 5 h
        ({"a": _waits(1, 10.0)}, 5.0),  # one observation is not enough
        ({"a": _waits(2, 10.0)}, 7.5),  # one operator: half way at most
        ({"a": _waits(20, 10.0)}, 7.5),  # however many it sends
        ({"a": _waits(2, 500.0)}, 5.0),  # counted at the 72 h cap, 14 times the plan: an outlier
        ({"a": _waits(2, -3.0)}, 5.0),  # a stored mean below 0 counts as 0: an outlier
        ({"a": DwellSums(2, math.nan, math.nan)}, 5.0),  # a broken row teaches nothing
        ({"a": _waits(20, 10.0), "b": _waits(20, 10.0)}, (10 + 400) / 42),  # two that agree
    ],
)
def test_expected_dwell(by_operator: dict[str, DwellSums], expected: float) -> None:
    assert expected_dwell(BORDER, {"xb": by_operator}) == pytest.approx(expected)


def test_two_trains_of_one_operator_move_nothing_for_everyone() -> None:
    """The reported attack at Alashankou–Dostyk: one operator's two trains wait 7 days (counted
    at the cap); alone they are an outlier and the estimate stays the plan; among three operators
    that see 12 h, they are an outlier too, and twenty such trains still are."""
    stop = replace(BORDER, dwell_h=10.0, p95_h=20.0)
    cap = dwell_cap(stop)
    attack = {"attacker": _waits(2, cap)}
    found = estimate_dwell(stop, {"xb": attack})
    assert (found.hours, found.outliers) == (10.0, ("attacker",))
    honest = {op: _waits(10, 12.0) for op in ("fesco", "rzd", "ktz")}
    for n in (2, 20):
        found = estimate_dwell(stop, {"xb": {**honest, "attacker": _waits(n, cap)}})
        assert found.outliers == ("attacker",) and 11.5 < found.hours < 12.0
    # a real slowdown all operators see is learned; one operator's share stays bounded
    slow = {op: _waits(20, 30.0) for op in ("fesco", "rzd", "ktz")}
    assert estimate_dwell(stop, {"xb": slow}).hours == pytest.approx((20 + 3 * 20 * 30) / 62)
    lone = estimate_dwell(stop, {"xb": {"fesco": _waits(20, 20.0)}})
    assert lone.hours == pytest.approx(15.0) and lone.counted == ("fesco",)


def test_relearn_pairs_each_exit_with_the_latest_entry() -> None:
    """Two trains at the border: waits 6 h and (entries at 1 and 2, exit at 10) 8 h; an exit
    with no entry, a wait over 30 days and one at an unknown place teach nothing; a 100 h wait
    counts 72 h."""
    p = profile()

    def stop_of(_: str, place: str) -> Stop | None:
        return p.stop_named(place)

    def row(eid: str, train: str, milestone: str, h: float, place: str = "Borderville") -> StoredMilestone:
        return StoredMilestone(eid, train, milestone, at(h), place)

    rows = [
        row("a1", "a", "border_entry", 3),
        row("a2", "a", "border_exit", 9),
        row("a3", "a", "border_exit", 11),  # its entry was taken by the exit before
        row("b1", "b", "border_entry", 1),
        row("b2", "b", "border_entry", 2),
        row("b3", "b", "border_exit", 10),
        row("c1", "c", "border_entry", 0),
        row("c2", "c", "border_exit", 800),
        row("d1", "d", "border_entry", 0, "Nowhere"),
        row("d2", "d", "border_exit", 5, "Nowhere"),
        row("e1", "e", "border_entry", 0, "Gaugetown"),
        row("e2", "e", "border_exit", 100, "Gaugetown"),
    ]
    sums = relearn(rows, stop_of, lambda train: "op-b" if train == "b" else "op-a")
    assert sums[("xb", "op-a")] == DwellSums(1, 6.0, 36.0) and sums[("xb", "op-b")] == DwellSums(1, 8.0, 64.0)
    assert sums[("Gaugetown", "op-a")] == DwellSums(1, 72.0, 72.0 * 72.0)
    assert set(sums) == {("xb", "op-a"), ("xb", "op-b"), ("Gaugetown", "op-a")}


def test_an_entry_at_the_exits_own_time_does_not_split_the_wait() -> None:
    """Between a late entry (hour 3) and the stored exit (hour 9) only entries strictly inside
    the wait count: a re-entry at hour 9 leaves the pair 3..9 whole; one at hour 5 splits it."""
    at_exit = index([ms("out", "border_exit", 9), ms("again", "border_entry", 9)])
    assert _wait("border_entry", 3, newer=False, stored=at_exit) == (at(3), at(9))
    inside = index([ms("out", "border_exit", 9), ms("again", "border_entry", 5)])
    assert _wait("border_entry", 3, newer=False, stored=inside) is None
