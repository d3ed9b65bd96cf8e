"""GTFS-Realtime from tracked trains: parsed back with gtfs-realtime-bindings. Trains are matched
to trips by their trip_id and service date, never by name."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from silkrail.errors import DataError
from silkrail.timetable.realtime import (
    find_trip,
    to_json,
    train_from_trip,
    trip_schedule,
    trip_updates,
    vehicle_positions,
)
from silkrail.timetable.services import load_services
from silkrail.tracking.model import TrainIn

pb = pytest.importorskip("google.transit.gtfs_realtime_pb2")
SMALL = Path(__file__).parent.parent / "fixtures" / "timetable" / "small.yaml"
NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
UTC = dt.UTC


def _train(**kw: object) -> dict[str, object]:
    """A tracked train's state as the tracker returns it: trip X4 of 3 December (A 14:00 Beijing
    time, C 16:50 Hanoi time, that is 06:00 and 09:50 UTC) running 25 minutes late."""
    base = {
        "id": "abc123",
        "name": "X4",
        "trip_id": "x4",
        "start_date": dt.date(2026, 12, 3),
        "status": "running",
        "departure": dt.datetime(2026, 12, 3, 6, 5, tzinfo=UTC),
        "eta": dt.datetime(2026, 12, 3, 10, 15, tzinfo=UTC),
        "last_position": {"lat": 22.1, "lon": 106.8, "time": dt.datetime(2026, 12, 3, 8, 0, tzinfo=UTC)},
    }
    return base | kw


def test_a_train_from_a_trip_names_the_trip_and_its_service_date() -> None:
    feed = load_services(SMALL)
    body = train_from_trip(feed, "x4", dt.date(2026, 12, 3))
    assert body == {"name": "X4", "trip_id": "x4", "start_date": "2026-12-03", "teu": 1.0}
    assert TrainIn.model_validate(body).start_date == dt.date(2026, 12, 3)
    # GTFS-Realtime's own form of the date is accepted too
    assert TrainIn.model_validate(body | {"start_date": "20261203"}).start_date == dt.date(2026, 12, 3)
    # the trip's timed stops with their scheduled times (UTC)
    assert trip_schedule(feed, feed.trip_by_id["x4"], dt.date(2026, 12, 3)) == [
        ("A", 22.8, 108.3, None, dt.datetime(2026, 12, 3, 6, 0, tzinfo=UTC)),
        (
            "B",
            22.1,
            106.8,
            dt.datetime(2026, 12, 3, 8, 0, tzinfo=UTC),
            dt.datetime(2026, 12, 3, 8, 5, tzinfo=UTC),
        ),
        ("C", 21.0, 105.9, dt.datetime(2026, 12, 3, 9, 50, tzinfo=UTC), None),
    ]


@pytest.mark.parametrize(
    ("trip", "day", "field", "says"),
    [
        ("x5", dt.date(2026, 12, 3), "trip_id", "no timetable trip 'x5'; did you mean x4, x3, x2"),
        ("f1", dt.date(2026, 12, 3), "start_date", "does not run on 2026-12-03 .*tue"),  # a Thursday
        ("x4", dt.date(2027, 3, 1), "start_date", "does not run on 2027-03-01"),  # after the calendar
    ],
)
def test_a_trip_that_does_not_exist_or_does_not_run_that_day_is_refused(
    trip: str, day: dt.date, field: str, says: str
) -> None:
    with pytest.raises(DataError, match=says) as exc:
        find_trip(load_services(SMALL), trip, day)
    assert exc.value.field == field


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"trip_id": "x4"}, "give trip_id and start_date together"),
        ({"start_date": "2026-12-03", "name": "X4"}, "give trip_id and start_date together"),
        ({"trip_id": "x4", "start_date": "2026-12-03", "origin": "A"}, "drop origin"),
        ({"name": "X4", "origin": "A"}, "give destination, departure"),
        ({"trip_id": "x4", "start_date": "1999-12-31"}, "implausible"),
        ({"trip_id": "x4", "start_date": "2026-02-30"}, "date"),
    ],
)
def test_a_train_body_runs_a_trip_or_names_its_places(body: dict[str, object], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        TrainIn.model_validate(body)


def test_trip_updates_carry_the_delay_against_the_timetable() -> None:
    msg = pb.FeedMessage.FromString(
        trip_updates(
            [_train(), _train(id="other", trip_id="nope")], load_services(SMALL), now=NOW
        ).SerializeToString()
    )
    assert msg.header.gtfs_realtime_version == "2.0" and len(msg.entity) == 1
    tu = msg.entity[0].trip_update
    assert (tu.trip.trip_id, tu.trip.start_date, tu.trip.route_id, tu.vehicle.label) == (
        "x4",
        "20261203",
        "x4",
        "X4",
    )
    assert tu.delay == 25 * 60
    stu = tu.stop_time_update[0]
    assert stu.stop_id == "c" and stu.arrival.time == int(
        dt.datetime(2026, 12, 3, 10, 15, tzinfo=UTC).timestamp()
    )


def test_a_train_is_matched_by_its_trip_never_by_its_name() -> None:
    """A train called "X4" that was not created for a trip is no trip's; a train of trip x4 is,
    whatever it is called."""
    feed = load_services(SMALL)
    trains = [_train(id="named", trip_id=None, start_date=None), _train(id="renamed", name="my train")]
    msg = pb.FeedMessage.FromString(trip_updates(trains, feed, now=NOW).SerializeToString())
    assert [(e.id, e.trip_update.trip.trip_id) for e in msg.entity] == [("renamed", "x4")]
    vp = pb.FeedMessage.FromString(vehicle_positions(trains, feed, now=NOW).SerializeToString())
    assert {e.id: e.vehicle.HasField("trip") for e in vp.entity} == {"named": False, "renamed": True}


def test_a_train_that_has_not_departed_has_no_delay() -> None:
    """Before it leaves, a train of a trip is reported with no prediction (NO_DATA), not a delay
    computed from a time it was never due at."""
    planned = _train(status="planned", last_position=None, eta=dt.datetime(2026, 12, 3, 19, 30, tzinfo=UTC))
    msg = pb.FeedMessage.FromString(
        trip_updates([planned], load_services(SMALL), now=NOW).SerializeToString()
    )
    tu = msg.entity[0].trip_update
    assert not tu.HasField("delay")
    stu = tu.stop_time_update[0]
    assert stu.schedule_relationship == stu.NO_DATA and not stu.HasField("arrival")


def test_vehicle_positions_report_the_last_position_with_the_trip() -> None:
    msg = pb.FeedMessage.FromString(
        vehicle_positions(
            [_train(), _train(id="quiet", last_position=None)], load_services(SMALL), now=NOW
        ).SerializeToString()
    )
    assert len(msg.entity) == 1
    vp = msg.entity[0].vehicle
    assert (round(vp.position.latitude, 4), round(vp.position.longitude, 4)) == (22.1, 106.8)
    assert (vp.trip.trip_id, vp.trip.start_date) == (
        "x4",
        "20261203",
    ) and vp.current_status == vp.IN_TRANSIT_TO
    assert to_json(msg)["entity"][0]["vehicle"]["trip"]["trip_id"] == "x4"
