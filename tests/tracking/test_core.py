"""The tracking state machine (``core.apply``, ``core.refresh``) on a tiny hand-made track:
exact states after in-order, out-of-order, repeated and late events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest

from silkrail.tracking import core
from silkrail.tracking.core import TrackState, Transition
from silkrail.tracking.dwell import DwellSums, Milestones, expected_dwell
from silkrail.tracking.model import MilestoneEvent, PositionEvent

from .track import PLANNED, TRAIN, at, index, ms, pos, profile

START = TrackState.planned(TRAIN, PLANNED)


def run(
    state: TrackState,
    events: Sequence[PositionEvent | MilestoneEvent],
    *,
    matches: dict[str, tuple[float, float]] | None = None,
    stored: Milestones | None = None,
) -> list[Transition]:
    """Apply ``events`` in order, as ingest does: each from the state the previous one left
    (a refused event leaves it), learned dwell carried along."""
    out = []
    stored = stored if stored is not None else index([])
    for ev in events:
        step = core.apply(
            state,
            ev,
            profile=profile(),
            milestones=stored,
            match=(matches or {}).get(ev.event_id),
        )
        out.append(step)
        if step.rejected is None:
            state = step.state
    return out


def test_in_order_journey() -> None:
    """Position, border entry, exit (by the crossing's other name), arrival: each moves the state
    as far as it says, the wait is learned once, and the train ends at the route's end."""
    steps = run(
        START,
        [
            pos("p1", 1),
            ms("e1", "border_entry", 2),
            ms("x1", "border_exit", 9, "Grenzstadt"),
            ms("a1", "arrived", 14, "destination"),
        ],
        matches={"p1": (50.0, 0.5)},
    )
    moved, entered, left, arrived = (s.state for s in steps)
    assert (moved.status, moved.progress_km, moved.last_time, moved.position_time) == (
        "running",
        50.0,
        at(1),
        at(1),
    )
    assert (entered.status, entered.crossing, entered.crossing_since, entered.progress_km) == (
        "at_crossing",
        "xb",
        at(2),
        100.0,
    )
    assert (left.status, left.crossing, left.crossing_since, left.last_time) == ("running", None, None, at(9))
    assert steps[2].observed == ("xb", 7.0)
    assert [s.observed for s in (steps[0], steps[1], steps[3])] == [None, None, None]
    assert (arrived.status, arrived.progress_km, arrived.eta) == ("arrived", 300.0, at(14))
    assert all(not s.alerts and s.rejected is None for s in steps)


def test_positions_never_move_a_train_back() -> None:
    """A newer position nearer the origin (map-matching noise) keeps the progress made."""
    last = run(START, [pos("p1", 1), pos("p2", 2)], matches={"p1": (80.0, 0.1), "p2": (60.0, 0.1)})[-1]
    assert (last.state.progress_km, last.state.last_time) == (80.0, at(2))


def test_a_late_position_leaves_the_newer_state() -> None:
    """A position older than the state (delivered late) changes nothing, even far off route."""
    first = run(START, [pos("p1", 3)], matches={"p1": (120.0, 0.1)})[0].state
    late = run(first, [pos("p0", 2)], matches={"p0": (10.0, 500.0)})[0]
    assert late == Transition(first)


def test_a_repeated_entry_keeps_the_first_entry_time() -> None:
    """A second border_entry at the crossing the train is inside does not restart its wait."""
    steps = run(START, [ms("e1", "border_entry", 2), ms("e2", "border_entry", 3)])
    assert steps[1].state.crossing_since == at(2)
    assert steps[1].state.last_time == at(3)


def test_a_repeated_position_is_idempotent() -> None:
    """The same position applied twice gives the same state."""
    once = run(START, [pos("p1", 1)], matches={"p1": (50.0, 0.1)})[0].state
    twice = run(once, [pos("p1", 1)], matches={"p1": (50.0, 0.1)})[0].state
    assert once == twice


def test_an_exit_finds_its_entry_stored_out_of_order() -> None:
    """The train has moved past the border (a position) when its entry comes, late: the state
    does not enter; the exit, not inside any crossing, pairs with that stored entry."""
    entry, leave = ms("in", "border_entry", 3), ms("out", "border_exit", 9)
    stored = index([entry, leave], batch=("in", "out"))
    steps = run(START, [pos("p1", 10), entry, leave], matches={"p1": (150.0, 0.1)}, stored=stored)
    assert steps[1].observed is None  # the exit is of this batch: it pairs itself, later
    assert steps[1].state.crossing is None and steps[1].state.status == "running"
    assert steps[1].state.last_time == at(10)
    assert steps[2].observed == ("xb", 6.0)
    assert steps[2].state.progress_km == 150.0


def test_a_late_entry_finds_its_exit_stored_before() -> None:
    """An entry older than the state pairs with the exit an earlier batch stored."""
    old_exit, entry = ms("old-out", "border_exit", 9), ms("new-in", "border_entry", 3)
    stored = index([old_exit, entry], batch=("new-in",))
    steps = run(START, [pos("p1", 10), entry], matches={"p1": (150.0, 0.1)}, stored=stored)
    assert steps[1].observed == ("xb", 6.0)
    assert steps[1].state.crossing is None


def test_an_entry_pairs_with_one_exit_only() -> None:
    """A second exit after one entry learns nothing (the first exit lies between), unless the
    first exit was refused in this batch."""
    entry, first, second = (
        ms("in", "border_entry", 3),
        ms("out1", "border_exit", 9),
        ms("out2", "border_exit", 10),
    )
    stored = index([entry, first, second], batch=("out2",))
    state = TrackState(TRAIN, "running", 150.0, PLANNED, last_time=at(9))
    kwargs = {"profile": profile(), "milestones": stored}
    assert core.apply(state, second, **kwargs).observed is None  # type: ignore[arg-type]
    again = core.apply(state, second, rejected={"out1"}, **kwargs)  # type: ignore[arg-type]
    assert again.observed == ("xb", 7.0)


def test_an_exit_before_its_entry_is_refused_alone() -> None:
    """An exit earlier than the entry the state holds is refused, naming both times; the state
    stays as it was."""
    steps = run(START, [ms("e1", "border_entry", 5), ms("x1", "border_exit", 4)])
    assert steps[1].rejected is not None and "before the train's border_entry" in steps[1].rejected
    assert steps[1].state == steps[0].state and steps[1].observed is None


def test_a_wait_no_train_makes_is_refused() -> None:
    """A wait beyond 30 days between entry and exit is a wrong time: the exit is refused."""
    steps = run(START, [ms("e1", "border_entry", 1), ms("x1", "border_exit", 1 + 721)])
    assert steps[1].rejected is not None and "721 h at Borderville" in steps[1].rejected
    assert steps[1].state.crossing == "xb"


def test_milestones_after_arrival_change_nothing_but_time() -> None:
    """Once arrived, a border milestone (delivered late) neither learns nor moves the train."""
    arrived = run(START, [ms("a1", "arrived", 14, "destination")])[0].state
    late = run(arrived, [ms("e1", "border_entry", 2), ms("x1", "border_exit", 9)])
    assert [s.observed for s in late] == [None, None]
    assert late[-1].state == arrived


def test_any_milestone_but_arrival_says_the_train_left() -> None:
    """A planned train becomes running at its first milestone (a gauge change here)."""
    step = run(START, [ms("g1", "gauge_change_start", 11, "Gaugetown")])[0]
    assert (step.state.status, step.state.crossing, step.state.progress_km) == (
        "at_crossing",
        "Gaugetown",
        200.0,
    )


def test_refresh_predicts_the_eta_from_the_state() -> None:
    """Inside the border at hour 2: 4 h running left, the border's planned 5 h and the gauge
    change's 2 h: due at hour 13, on time; with two operators seeing 10 h at the border, later
    by what they teach (``dwell.expected_dwell``)."""
    inside = run(START, [ms("e1", "border_entry", 2)])[0].state
    kwargs = {"profile": profile(), "planned": PLANNED, "now": at(100)}
    on_time = core.refresh(inside, learned={}, **kwargs)  # type: ignore[arg-type]
    assert (on_time.state.eta, on_time.state.delay_h, on_time.alerts) == (at(13), 0.0, ())
    learned = {"xb": {"a": DwellSums(10, 100.0, 1000.0), "b": DwellSums(10, 100.0, 1000.0)}}
    slow = core.refresh(inside, learned=learned, **kwargs)  # type: ignore[arg-type]
    late_h = expected_dwell(profile().stops[0], learned) - 5.0
    assert 4.5 < late_h < 5.0  # the plan's weight keeps it a little under the 5 h more they saw
    assert slow.state.eta == at(13) + timedelta(hours=late_h)
    assert slow.state.delay_h == pytest.approx(late_h)


def test_refresh_of_a_train_that_has_not_departed_keeps_its_plan() -> None:
    """A train with no event has not departed: it is due at its planned arrival, with no delay
    (not an ETA counted from ``now``, which would make it late by however long it waits)."""
    step = core.refresh(START, profile=profile(), planned=PLANNED, learned={}, now=at(30))
    assert (step.state.eta, step.state.delay_h, step.alerts) == (PLANNED, 0.0, ())


def test_refresh_keeps_an_arrived_trains_eta() -> None:
    """An arrived train's ETA is its arrival; the delay is measured from it."""
    arrived = run(START, [ms("a1", "arrived", 14, "destination")])[0].state
    step = core.refresh(arrived, profile=profile(), planned=PLANNED, learned={}, now=at(100))
    assert (step.state.eta, step.state.delay_h) == (at(14), 1.0)


def test_a_milestone_at_the_time_of_the_state_is_current() -> None:
    """An entry timed like the last position is not late: the train enters the crossing."""
    steps = run(START, [pos("p1", 2), ms("e1", "border_entry", 2)], matches={"p1": (90.0, 0.1)})
    assert (steps[1].state.status, steps[1].state.crossing_since) == ("at_crossing", at(2))


def test_an_arrival_faster_than_any_train_is_refused() -> None:
    """Seen at km 50 at hour 1, 'arrived' at hour 2: the 250 km left are planned at 5 h, and no
    train runs them in less than 5 / MAX_PACE = 2 h; refused naming both sightings. At hour 4 the
    arrival stands."""
    seen = run(START, [pos("p1", 1)], matches={"p1": (50.0, 0.1)})[0].state
    fast = run(seen, [ms("a1", "arrived", 2, "destination")])[0]
    assert fast.rejected is not None and fast.state == seen
    assert "km 300" in fast.rejected and "km 50" in fast.rejected and "2.0 h" in fast.rejected
    assert run(seen, [ms("a2", "arrived", 4, "destination")])[0].state.status == "arrived"


def test_a_position_matched_far_ahead_counts_only_as_far_as_the_train_can_be() -> None:
    """A winding line can match a position to a point far along the route. From km 50 at hour 1,
    a match at km 250 half an hour later moves the train to where it can be at most (2.5 times
    the planned pace, 50 km of slack: km 162.5); a short jump counts as it is; at hour 4, km 250."""
    seen = run(START, [pos("p1", 1)], matches={"p1": (50.0, 0.1)})[0].state
    far = run(seen, [pos("p2", 1.5)], matches={"p2": (250.0, 0.1)})[0]
    assert far.rejected is None and far.state.progress_km == pytest.approx(50 + 2.5 * 0.5 * 50 + 50)
    assert run(seen, [pos("p3", 1.1)], matches={"p3": (90.0, 0.1)})[0].state.progress_km == 90.0
    assert run(seen, [pos("p4", 4)], matches={"p4": (250.0, 0.1)})[0].state.progress_km == 250.0


def test_nothing_follows_the_arrival_and_a_train_arrives_once() -> None:
    """After arriving at hour 14: a position at hour 20 and a second arrival are refused; a
    departure or a border milestone from before the arrival (delivered late) is taken."""
    arrived = run(START, [ms("a1", "arrived", 14, "destination")])[0].state
    later = run(arrived, [pos("p1", 20), ms("a2", "arrived", 15, "destination")], matches={"p1": (300.0, 0.1)})
    assert [s.rejected is not None for s in later] == [True, True]
    assert "arrived at" in (later[0].rejected or "") and "arrives once" in (later[1].rejected or "")
    history = run(arrived, [ms("d1", "departed", 0, "origin"), ms("e1", "border_entry", 2)])
    assert [s.rejected for s in history] == [None, None]


def test_a_departure_after_the_train_was_under_way_is_refused() -> None:
    """Seen at km 150 at hour 3, 'departed' at hour 4 cannot be; 'departed' at hour 0 (older than
    the state) is its history."""
    seen = run(START, [pos("p1", 3)], matches={"p1": (150.0, 0.1)})[0].state
    late = run(seen, [ms("d1", "departed", 4, "origin")])[0]
    assert late.rejected is not None and "km 150" in late.rejected and late.state == seen
    assert run(seen, [ms("d0", "departed", 0, "origin")])[0].rejected is None
