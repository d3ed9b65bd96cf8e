"""Admission of a batch without a database: validation alone per event, then each event checked
against its train's plan; positions matched onto the planned route."""

from __future__ import annotations

from typing import Any

import pytest

from silkrail.tracking.admission import admit, match, validate
from silkrail.tracking.core import TrainPlan
from silkrail.tracking.results import Rejection

from .track import PLANNED, T0, TRAIN, at, ms, pos, profile

PLANS = {TRAIN: TrainPlan(profile(), PLANNED, "op", T0)}


def _raw(ev: Any) -> dict[str, Any]:
    return ev.model_dump(mode="json")


def test_each_event_is_validated_alone() -> None:
    """A bad kind, a missing field and a time more than an hour ahead are rejected by index,
    naming the field; the valid event stands."""
    raw = [_raw(pos("p1", 1)), {"kind": "teleport"}, {**_raw(pos("p2", 1)), "lat": None}, _raw(pos("p3", 3))]
    valid, rejected = validate(raw, at(1.5))
    assert [i for i, _ in valid] == [0]
    assert [r.index for r in rejected] == [1, 2, 3]
    assert rejected[0].error == "event: kind must be 'position' or 'milestone'"
    assert rejected[1].error.startswith("lat: ")
    assert "is in the future" in rejected[2].error


class _Token:
    def __init__(self, operator: str) -> None:
        self.operator = operator
        self.admin = False

    def may_write(self, operator: str | None) -> bool:
        return operator == self.operator


@pytest.mark.parametrize(
    ("event", "token", "error"),
    [
        (pos("u1", 1, train="ghost"), None, "train_id: no train 'ghost'"),
        # another operator's train: the words for a train that does not exist (nothing leaks)
        (pos("o1", 1), _Token("other"), f"train_id: no train '{TRAIN}' of the operator 'other'"),
        (pos("t1", -24 * 8), None, "is implausible for a train departing"),
        (ms("m1", "border_entry", 2, "Atlantis"), None, "at: unknown place 'Atlantis' for this train"),
    ],
)
def test_an_event_its_train_cannot_have_is_rejected(event: Any, token: Any, error: str) -> None:
    rejected: list[Rejection] = []
    got = admit([(7, event)], PLANS, rejected, token)
    assert (got.events, got.index_of, got.duplicates) == ([], {}, 0)
    assert len(rejected) == 1 and rejected[0].index == 7 and error in rejected[0].error
    assert got.foreign == ((TRAIN,) if token is not None else ())


def test_a_repeat_in_the_batch_counts_once_unless_it_says_otherwise() -> None:
    rejected: list[Rejection] = []
    same, other = pos("p1", 1), pos("p1", 2)
    got = admit([(0, same), (1, same), (2, other)], PLANS, rejected, _Token("op"))
    assert (got.events, got.index_of, got.duplicates) == ([same], {(TRAIN, "p1"): 0}, 1)
    assert [r.index for r in rejected] == [2] and "different content" in rejected[0].error


def test_positions_are_matched_onto_the_route() -> None:
    """A position on the route's second point: its km, and (almost) nothing off the route."""
    ev = pos("p1", 1)  # at lat 0, lon 1.0: 0.1 degree (about 11 km) past the point at km 100
    km, off = match([ev, ms("m1", "border_entry", 2)], PLANS)[(TRAIN, "p1")]
    assert km == 100.0 and off == pytest.approx(11.1, abs=0.1)


def test_a_position_an_hour_ahead_of_the_clock_is_refused() -> None:
    """59 minutes ahead was taken (within the hour allowed) and froze the train until then: every
    later position looked older than it. Beyond the few minutes of clock skew, refused."""
    raw = [_raw(pos("ahead", 1 + 59 / 60)), _raw(pos("skew", 1 + 4 / 60))]
    valid, rejected = validate(raw, at(1))
    assert [i for i, _ in valid] == [1]
    assert [r.index for r in rejected] == [0] and "is in the future" in rejected[0].error
