"""GTFS-Realtime from tracked trains: parsed back with gtfs-realtime-bindings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from silkrail.timetable.realtime import match_trip, to_json, train_from_trip, trip_updates, vehicle_positions
from silkrail.timetable.services import load_services
from silkrail.tracking.model import TrainIn

pb = pytest.importorskip("google.transit.gtfs_realtime_pb2")
SMALL = Path(__file__).parent.parent / "fixtures" / "timetable" / "small.yaml"
NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)


def _train(**kw: object) -> dict[str, object]:
    """A tracked train's state as the tracker returns it: X4 (A 14:00 Beijing time, C 16:50 Hanoi
    time, that is 06:00 and 09:50 UTC) running 25 minutes late."""
    base = {
        "id": "abc123",
        "name": "X4",
        "status": "running",
        "departure": dt.datetime(2026, 12, 3, 6, 5, tzinfo=dt.UTC),
        "eta": dt.datetime(2026, 12, 3, 10, 15, tzinfo=dt.UTC),
        "last_position": {"lat": 22.1, "lon": 106.8, "time": dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)},
    }
    return base | kw


def test_a_train_from_a_trip_is_matched_back_to_it() -> None:
    feed = load_services(SMALL)
    body = train_from_trip(feed, "x4", dt.date(2026, 12, 3))
    schedule = body.pop("schedule")
    assert body == {
        "name": "X4",
        "origin": "A",
        "destination": "C",
        "departure": "2026-12-03T14:00:00+08:00",
        "teu": 1.0,
    }
    # the trip's timed stops with their scheduled times, local at each stop
    assert [(s["stop"], s.get("arrival"), s.get("departure")) for s in schedule] == [
        ("A", None, "2026-12-03T14:00:00+08:00"),
        ("B", "2026-12-03T16:00:00+08:00", "2026-12-03T16:05:00+08:00"),
        ("C", "2026-12-03T16:50:00+07:00", None),
    ]
    assert TrainIn.model_validate(body | {"schedule": schedule}).schedule is not None
    trip, day = match_trip(feed, "X4", dt.datetime.fromisoformat(str(body["departure"])))  # type: ignore[misc]
    assert (trip.id, day) == ("x4", dt.date(2026, 12, 3))
    assert match_trip(feed, "X4", dt.datetime(2026, 12, 3, 23, 0, tzinfo=dt.UTC)) is None  # no X4 then


def test_trip_updates_carry_the_delay_against_the_timetable() -> None:
    msg = pb.FeedMessage.FromString(
        trip_updates(
            [_train(), _train(id="other", name="unknown")], load_services(SMALL), now=NOW
        ).SerializeToString()
    )
    assert msg.header.gtfs_realtime_version == "2.0" and len(msg.entity) == 1
    tu = msg.entity[0].trip_update
    assert (tu.trip.trip_id, tu.trip.start_date, tu.vehicle.label) == ("x4", "20261203", "X4")
    assert tu.delay == 25 * 60
    stu = tu.stop_time_update[0]
    assert stu.stop_id == "c" and stu.arrival.time == int(
        dt.datetime(2026, 12, 3, 10, 15, tzinfo=dt.UTC).timestamp()
    )


def test_vehicle_positions_report_the_last_position() -> None:
    msg = pb.FeedMessage.FromString(
        vehicle_positions(
            [_train(), _train(id="quiet", last_position=None)], load_services(SMALL), now=NOW
        ).SerializeToString()
    )
    assert len(msg.entity) == 1
    vp = msg.entity[0].vehicle
    assert (round(vp.position.latitude, 4), round(vp.position.longitude, 4)) == (22.1, 106.8)
    assert vp.trip.trip_id == "x4" and vp.current_status == vp.IN_TRANSIT_TO
    assert to_json(msg)["entity"][0]["vehicle"]["trip"]["trip_id"] == "x4"
