"""A train that runs a timetable trip is late against the timetable (the pure core on the tiny
hand-made track of ``track.py`` with a 2-stop trip: leaves km 0 at T0, due at km 300 at T0 + 13 h).
Between its timed stops the timetable has the train where its planned pace does: running 2 h to
the border at km 100, waiting there 5 h, so it leaves km 100 at T0 + 7 h."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from silkrail.tracking import core
from silkrail.tracking.core import TrackState
from silkrail.tracking.eta import Profile, ScheduledCall, scheduled_arrival, scheduled_at, with_schedule
from silkrail.tracking.model import TrainIn
from tests.tracking.track import PLANNED, TRAIN, at, ms, pos, profile

DUE = at(13)


def _timetabled() -> Profile:
    return with_schedule(
        profile(), [ScheduledCall("Start", 0.0, 0.0, None, at(0)), ScheduledCall("End", 0.0, 2.7, DUE, None)]
    )


def _after_position(h: float, km: float, p: Profile) -> core.Transition:
    state = TrackState.planned(TRAIN, PLANNED)
    moved = core.apply(state, pos("p1", h), profile=p, milestones=None, match=(km, 0.0))  # type: ignore[arg-type]
    return core.refresh(moved.state, profile=p, planned=PLANNED, learned={}, now=at(100))


def test_the_schedule_is_placed_along_the_route_and_survives_storage() -> None:
    p = _timetabled()
    assert [s.km for s in p.schedule] == [0.0, 300.0]
    assert scheduled_arrival(p) == DUE
    assert scheduled_at(p, 50.0) == at(1)  # running
    assert scheduled_at(p, 100.0) == at(7)  # leaving the border after its 5 h
    assert scheduled_at(p, 250.0) == at(7 + 3 + 2)  # past the gauge change's 2 h
    assert scheduled_at(p, 300.0) == DUE
    back = Profile.from_json(p.to_json())
    assert back.schedule == p.schedule and scheduled_arrival(back) == DUE
    assert "schedule" not in profile().to_json()  # a train planned on the model alone has none


def test_a_position_30_min_behind_the_timetable_is_half_an_hour_late() -> None:
    step = _after_position(7.5, 100.0, _timetabled())
    assert step.state.delay_h == pytest.approx(0.5)
    assert step.state.eta == DUE + timedelta(minutes=30)
    # the same position on the network model's plan alone gives the same answer: the timetable
    # is timed by the plan's own figures (from 7 h 30 min, 4 h running left and the gauge
    # change's 2 h ahead: the border at km 100 is where it stands)
    plain = _after_position(7.5, 100.0, profile())
    assert plain.state.delay_h == pytest.approx(7.5 + 4 + 2 - 13)


def test_a_train_ahead_of_the_timetable_is_on_time() -> None:
    step = _after_position(3.0, 100.0, _timetabled())
    assert step.state.delay_h == 0.0 and step.state.eta == DUE


def test_the_late_alert_counts_against_the_timetable() -> None:
    step = _after_position(7 + 12.5, 100.0, _timetabled())
    assert step.state.delay_h == pytest.approx(12.5)
    assert [a.kind for a in step.alerts] == ["late"]


def test_an_arrived_train_is_late_by_its_arrival_against_the_timetable() -> None:
    p = _timetabled()
    state = TrackState.planned(TRAIN, PLANNED)
    done = core.apply(state, ms("m1", "arrived", 14.25, "End"), profile=p, milestones=None)  # type: ignore[arg-type]
    step = core.refresh(done.state, profile=p, planned=PLANNED, learned={}, now=at(100))
    assert step.state.delay_h == pytest.approx(1.25) and step.state.eta == at(14.25)


def test_a_schedule_that_goes_backwards_is_refused() -> None:
    body = {
        "name": "X",
        "origin": "A",
        "destination": "B",
        "departure": at(0).isoformat(),
        "schedule": [
            {"stop": "A", "lat": 0.0, "lon": 0.0, "departure": at(5).isoformat()},
            {"stop": "B", "lat": 0.0, "lon": 2.7, "arrival": at(4).isoformat()},
        ],
    }
    with pytest.raises(ValidationError, match=r"'B'.*scheduled before the stop ahead"):
        TrainIn.model_validate(body)
    body["schedule"][1]["arrival"] = at(13).isoformat()  # type: ignore[index]
    assert TrainIn.model_validate(body).schedule is not None
