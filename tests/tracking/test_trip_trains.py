"""Trains of a timetable trip in the Tracker (SQLite, the small fixture network, the timetable of
``fixtures/timetable/on_small_net.yaml``): planned on the trip's route timed by its timetable and
due at its scheduled arrival; a train that runs its plan exactly (the demo feed's figures, without
its random pace and waits) stays on time all the way, its ETA the timetable's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from silkrail.errors import DataError
from silkrail.network.model import Network
from silkrail.routing.router import Router
from silkrail.timetable.services import load_services
from silkrail.tracking.feed import planned_events
from silkrail.tracking.model import TrainIn
from silkrail.tracking.planner import NetworkPlanner
from silkrail.tracking.store import migrate
from silkrail.tracking.tracker import Tracker

ON_SMALL = Path(__file__).parent.parent / "fixtures" / "timetable" / "on_small_net.yaml"
MONDAY = date(2026, 11, 30)
LEAVES = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # 08:00 Beijing time
DUE = LEAVES + timedelta(hours=24)


@pytest.fixture
def tracker(small_net: Network, tmp_path: Path) -> Iterator[Tracker]:
    url = f"sqlite:///{tmp_path / 'tracking.sqlite'}"
    migrate(url)
    planner = NetworkPlanner(small_net, Router(small_net, home=None), timetables=load_services(ON_SMALL))
    t = Tracker.open(url, planner)
    yield t
    t.engine.dispose()


def _events(tracker: Tracker, tid: str, until_h: float) -> list[dict[str, Any]]:
    """The plan's events from departure to ``until_h`` hours later, for train ``tid``."""
    out = []
    for day in (LEAVES, LEAVES + timedelta(days=1)):
        for e in planned_events(tracker.profile(tid), "x", LEAVES, day, every_min=30):
            if datetime.fromisoformat(e["time"]) <= LEAVES + timedelta(hours=until_h):
                out.append({k: v for k, v in e.items() if k not in ("type", "train_ref")} | {"train_id": tid})
    return out


def test_a_train_of_a_trip_is_planned_on_the_trip(tracker: Tracker) -> None:
    """Given only the trip and its date, the train takes the service's name, the trip's route
    across the border, its scheduled departure and arrival; not yet departed, it has no delay."""
    new = tracker.create_train(TrainIn(trip_id="border-freight", start_date=MONDAY))
    s = tracker.train(new.id)
    assert (s.name, s.trip_id, s.start_date) == ("BF", "border-freight", MONDAY)
    assert (s.departure, s.planned_arrival, new.eta) == (LEAVES, DUE, DUE)
    assert (s.status, s.delay_h, s.eta) == ("planned", 0.0, DUE)
    assert (s.origin, s.destination) == ("South Yard", "North Yard")
    assert [st.id for st in tracker.profile(new.id).stops] == ["erenhot-zamyn-uud"]
    assert new.route["duration_h"] == 24.0 and new.route["legs"][0]["trip"] == "border-freight"


def test_a_train_running_its_plan_is_on_time_against_the_timetable(tracker: Tracker) -> None:
    """Positions and border milestones of a train that runs exactly to plan: on time before the
    border, while it waits there and after it, and due at the timetable's arrival throughout
    (within what matching a position to the nearest point of the route allows: the fixture's
    track has points some 5 km apart, a few minutes of this slow train's running)."""
    tid = tracker.create_train(TrainIn(trip_id="border-freight", start_date=MONDAY)).id
    for until_h in (1.0, 10.0, 23.0):  # before the border, waiting at it, past it
        events = _events(tracker, tid, until_h)
        done = tracker.ingest(events, now=LEAVES + timedelta(hours=until_h + 0.1))
        assert not done.rejected, done.rejected
        s = tracker.train(tid)
        assert s.status in ("running", "at_crossing") and abs(s.delay_h) < 0.25, (until_h, s)
        assert abs((s.eta - DUE).total_seconds()) < 900, (until_h, s.eta)
    past = tracker.train(tid)
    assert past.status == "running" and past.progress_km >= tracker.profile(tid).stops[0].km


def test_a_train_late_at_the_border_is_late_by_as_much(tracker: Tracker) -> None:
    """Still waiting at the border 3 h after the plan has it leave: 3 h late, due 3 h after the
    timetable's arrival."""
    tid = tracker.create_train(TrainIn(trip_id="border-freight", start_date=MONDAY)).id
    profile = tracker.profile(tid)
    border = profile.stops[0]
    leaves_border = LEAVES + timedelta(hours=profile.run_h_at(border.km) + border.dwell_h)
    events = [e for e in _events(tracker, tid, 24.0) if datetime.fromisoformat(e["time"]) < leaves_border]
    late = leaves_border + timedelta(hours=3)
    events.append(
        {
            "event_id": "late",
            "train_id": tid,
            "time": late.isoformat(),
            "kind": "position",
            "lat": 43.70,
            "lon": 111.95,
        }
    )
    tracker.ingest(events, now=late + timedelta(minutes=1))
    s = tracker.train(tid)
    assert s.delay_h == pytest.approx(3.0, abs=0.3) and s.eta - DUE == pytest.approx(
        timedelta(hours=3), abs=timedelta(minutes=20)
    )


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        (
            {"trip_id": "border-freight", "start_date": "2026-12-01"},
            "start_date",
            "does not run on 2026-12-01",
        ),
        ({"trip_id": "no-such-trip", "start_date": "2026-11-30"}, "trip_id", "no timetable trip"),
        (
            {"trip_id": "border-freight", "start_date": "2026-11-30", "departure": "2026-12-05T00:00:00Z"},
            "departure",
            "is not that trip",
        ),
        (
            {"trip_id": "border-freight", "start_date": "2026-11-30", "traffic": "passenger"},
            "traffic",
            "is a freight service; a passenger train cannot run it",
        ),
    ],
)
def test_a_trip_that_does_not_run_is_refused_naming_the_field(
    tracker: Tracker, body: dict[str, str], field: str, says: str
) -> None:
    with pytest.raises(DataError, match=says) as exc:
        tracker.create_train(TrainIn.model_validate(body))
    assert exc.value.field == field
