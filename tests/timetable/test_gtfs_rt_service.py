"""The service's GTFS-Realtime endpoints against trains tracked from timetable trips."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from silkrail.service.app import create_app
from silkrail.timetable.realtime import train_from_trip
from silkrail.timetable.services import load_services
from tests.service.conftest import service_settings

pytestmark = pytest.mark.integration
pb = pytest.importorskip("google.transit.gtfs_realtime_pb2")
TOKEN = "rt-token-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def client(real_net, real_settings, tmp_path: Path) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    settings = service_settings(f"sqlite:///{tmp_path / 'rt.sqlite'}", real_settings.home, tokens=frozenset({TOKEN}))
    with TestClient(create_app(settings)) as c:
        yield c


def test_trip_updates_and_positions_of_a_train_from_t8701(client: TestClient) -> None:
    day = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).date()  # events may not lie in the future
    body = train_from_trip(load_services(), "t8701", day)
    made = client.post("/api/v1/trains", json=body, headers=AUTH)
    assert made.status_code in (200, 201), made.text
    tid = made.json()["id"]
    state = client.get(f"/api/v1/trains/{tid}").json()
    assert (state["trip_id"], state["start_date"], state["name"]) == ("t8701", day.isoformat(), "T8701")
    departure = dt.datetime.fromisoformat(state["departure"].replace("Z", "+00:00"))
    assert departure == dt.datetime(day.year, day.month, day.day, 10, 5, tzinfo=dt.UTC)  # 18:05 Beijing time
    event = {
        "event_id": "p1",
        "train_id": tid,
        "time": (departure + dt.timedelta(hours=3)).isoformat(),
        "kind": "position",
        "lat": 22.1,
        "lon": 106.75,
    }
    posted = client.post("/api/v1/events", json={"events": [event]}, headers=AUTH)
    assert posted.status_code == 200 and posted.json()["accepted"] == 1, posted.text
    state = client.get(f"/api/v1/trains/{tid}").json()
    assert state["last_position"] is not None, state

    r = client.get("/api/v1/gtfs-rt/trip-updates")
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-protobuf"
    msg = pb.FeedMessage.FromString(r.content)
    (entity,) = [e for e in msg.entity if e.id == tid]
    tu = entity.trip_update
    assert (tu.trip.trip_id, tu.trip.start_date) == ("t8701", day.strftime("%Y%m%d"))
    scheduled = dt.datetime(day.year, day.month, day.day, 22, 30, tzinfo=dt.UTC)  # 05:30 Hanoi time next day
    eta = dt.datetime.fromisoformat(state["eta"].replace("Z", "+00:00"))
    eta = eta if eta.tzinfo else eta.replace(tzinfo=dt.UTC)
    assert tu.delay == round((eta - scheduled).total_seconds())
    assert tu.stop_time_update[0].arrival.time == int(eta.timestamp())

    v = pb.FeedMessage.FromString(client.get("/api/v1/gtfs-rt/vehicle-positions", headers=AUTH).content)
    (pos,) = [e.vehicle for e in v.entity if e.id == tid]
    assert (round(pos.position.latitude, 3), round(pos.position.longitude, 3)) == (22.1, 106.75)
    public = pb.FeedMessage.FromString(client.get("/api/v1/gtfs-rt/vehicle-positions").content)
    (pos,) = [e.vehicle for e in public.entity if e.id == tid]  # the operator's own position, rounded
    assert (round(pos.position.latitude, 3), round(pos.position.longitude, 3)) == (22.1, 106.8)
    js = client.get("/api/v1/gtfs-rt/vehicle-positions?format=json").json()
    assert any(e["id"] == tid for e in js["entity"])
    assert client.get("/api/v1/gtfs-rt/trip-updates?format=xml").status_code == 422


def test_a_train_from_t8701_is_late_against_the_timetable(client: TestClient) -> None:
    """Still at Nanning 30 min after T8701's scheduled 18:05 departure: 0.5 h late, due at Gia Lam
    at 06:00 instead of the timetable's 05:30 (Hanoi time), in the train's state and its
    TripUpdate alike."""
    day = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).date()
    feed = load_services()
    body = train_from_trip(feed, "t8701", day)
    departure = dt.datetime(day.year, day.month, day.day, 10, 5, tzinfo=dt.UTC)  # 18:05 Beijing time
    made = client.post("/api/v1/trains", json=body, headers=AUTH)
    assert made.status_code in (200, 201), made.text
    tid = made.json()["id"]
    nanning = feed.stop_by_id[feed.trip_by_id["t8701"].timed[0].stop]
    event = {
        "event_id": "late-1",
        "train_id": tid,
        "time": (departure + dt.timedelta(minutes=30)).isoformat(),
        "kind": "position",
        "lat": nanning.lat,
        "lon": nanning.lon,
    }
    posted = client.post("/api/v1/events", json={"events": [event]}, headers=AUTH)
    assert posted.status_code == 200 and posted.json()["accepted"] == 1, posted.text
    state = client.get(f"/api/v1/trains/{tid}").json()
    scheduled = dt.datetime(day.year, day.month, day.day, 22, 30, tzinfo=dt.UTC)  # 05:30 Hanoi time next day
    planned = dt.datetime.fromisoformat(state["planned_arrival"].replace("Z", "+00:00"))
    eta = dt.datetime.fromisoformat(state["eta"].replace("Z", "+00:00"))
    assert (planned.replace(tzinfo=planned.tzinfo or dt.UTC), state["delay_h"]) == (scheduled, 0.5)
    assert eta.replace(tzinfo=eta.tzinfo or dt.UTC) == scheduled + dt.timedelta(minutes=30)
    msg = pb.FeedMessage.FromString(client.get("/api/v1/gtfs-rt/trip-updates").content)
    (entity,) = [e for e in msg.entity if e.id == tid]
    assert entity.trip_update.delay == 1800


def test_a_train_that_has_not_departed_has_no_delay(client: TestClient) -> None:
    """T8701 of tomorrow, posted before it leaves: due at its scheduled arrival with no delay, and
    its TripUpdate carries no prediction. A train merely called "T8701" (no trip_id) is no trip's:
    it is not reported as T8701 at all (it was matched by name and showed a delay of 34,064 s)."""
    day = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).date()
    made = client.post("/api/v1/trains", json=train_from_trip(load_services(), "t8701", day), headers=AUTH)
    assert made.status_code == 201, made.text
    tid = made.json()["id"]
    state = client.get(f"/api/v1/trains/{tid}").json()
    scheduled = dt.datetime(day.year, day.month, day.day, 22, 30, tzinfo=dt.UTC)
    assert (state["status"], state["delay_h"]) == ("planned", 0.0)
    assert dt.datetime.fromisoformat(state["eta"].replace("Z", "+00:00")) == scheduled
    named = {
        "name": "T8701",
        "origin": "Nanning",
        "destination": "Hanoi",
        "departure": f"{day.isoformat()}T18:05:00+08:00",
    }
    by_name = client.post("/api/v1/trains", json=named, headers=AUTH)
    assert by_name.status_code == 201, by_name.text
    msg = pb.FeedMessage.FromString(client.get("/api/v1/gtfs-rt/trip-updates").content)
    ours = {e.id: e.trip_update for e in msg.entity}
    assert by_name.json()["id"] not in ours
    tu = ours[tid]
    assert (tu.trip.trip_id, tu.trip.start_date) == ("t8701", day.strftime("%Y%m%d"))
    assert not tu.HasField("delay") and tu.stop_time_update[0].schedule_relationship == 2  # NO_DATA


@pytest.mark.parametrize(
    ("change", "status", "says"),
    [
        ({"trip_id": "t9999"}, 422, "no timetable trip 't9999'"),
        ({"start_date": "01/12/2026"}, 422, "start_date"),
        ({"origin": "Nanning"}, 422, "drop origin"),
        ({"departure": "2020-01-01T00:00:00Z"}, 422, "is not that trip"),
    ],
)
def test_a_bad_trip_is_refused_with_its_field(
    client: TestClient, change: dict[str, str], status: int, says: str
) -> None:
    day = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).date()
    body = train_from_trip(load_services(), "t8701", day) | change
    r = client.post("/api/v1/trains", json=body, headers=AUTH)
    assert r.status_code == status and says in r.text, r.text
