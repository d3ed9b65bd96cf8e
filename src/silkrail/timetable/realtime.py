"""GTFS-Realtime from tracked trains: TripUpdates (the ETA and its delay against the timetable)
and VehiclePositions (the last reported position, with its trip).

A tracked train runs a timetable trip when it was created with the trip's ``trip_id`` and service
date (``start_date``): trains are matched to trips by those, never by name. The tracker gives such
a train the trip's route and scheduled times (:func:`trip_schedule`), so its ETA and delay count
against the timetable, and a TripUpdate's delay is the ETA less the timetable's arrival at the
trip's last stop. A train that has not departed has no delay to tell: its TripUpdate says so
(``NO_DATA``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from silkrail.errors import DataError
from silkrail.routing.json_types import JsonObject
from silkrail.timetable.feed import Calendar, Feed, Trip, service_day_start

if TYPE_CHECKING:
    from google.protobuf.message import Message
    from google.transit.gtfs_realtime_pb2 import FeedMessage, TripDescriptor

ScheduledStop = tuple[str, float, float, dt.datetime | None, dt.datetime | None]
"""A timed stop of a trip instance: name, lat, lon, scheduled arrival and departure (UTC; no
arrival at the first stop, no departure at the last)."""


class Position(BaseModel):
    model_config = ConfigDict(frozen=True)

    lat: float
    lon: float
    time: dt.datetime


class TrackedTrain(BaseModel):
    """What the feeds read of a tracked train, as the tracker shows it (the JSON of a train
    summary: times as datetimes or ISO text); other fields are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    name: str
    status: str | None = None
    eta: dt.datetime | None = None
    last_position: Position | None = None
    trip_id: str | None = None
    start_date: dt.date | None = None


def train_from_trip(feed: Feed, trip_id: str, day: dt.date, *, teu: float = 1.0) -> JsonObject:
    """The body of ``POST /api/v1/trains`` for a trip of ``feed`` on its service day ``day``: the
    tracker takes the trip's route and scheduled times from its own timetables."""
    trip = find_trip(feed, trip_id, day)
    svc = feed.service_by_id[trip.service]
    return {"name": svc.short_name or trip.id, "trip_id": trip.id, "start_date": day.isoformat(), "teu": teu}


def find_trip(feed: Feed, trip_id: str, day: dt.date) -> Trip:
    """The trip ``trip_id`` of ``feed``, checked to run on the service date ``day``."""
    trip = feed.trip_by_id.get(trip_id)
    if trip is None:
        import difflib

        close = difflib.get_close_matches(trip_id, list(feed.trip_by_id), n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}?" if close else f"{len(feed.trips)} trips are known"
        raise DataError(f"no timetable trip '{trip_id}'; {hint}", field="trip_id")
    if not trip.calendar.runs(day):
        cal = trip.calendar
        raise DataError(
            f"trip '{trip_id}' does not run on {day.isoformat()} (its calendar: {_describe(cal)}, "
            f"{cal.start.isoformat()} to {cal.end.isoformat()})",
            field="start_date",
        )
    return trip


def _describe(cal: Calendar) -> str:
    from silkrail.timetable.feed import WEEKDAYS

    if cal.every_days:
        return f"every {cal.every_days} days"
    if len(cal.weekdays) == 7:
        return "daily"
    return ", ".join(WEEKDAYS[d] for d in sorted(cal.weekdays))


def trip_schedule(feed: Feed, trip: Trip, day: dt.date) -> list[ScheduledStop]:
    """The timed stops of a trip instance with their scheduled times."""
    out: list[ScheduledStop] = []
    n = len(trip.timed)
    for k, st in enumerate(trip.timed):
        stop = feed.stop_by_id[st.stop]
        arr = st.arrival_s if st.arrival_s is not None else st.departure_s
        dep = st.departure_s if st.departure_s is not None else st.arrival_s
        out.append(
            (
                stop.name,
                stop.lat,
                stop.lon,
                _scheduled(feed, trip, day, arr) if k > 0 and arr is not None else None,
                _scheduled(feed, trip, day, dep) if k < n - 1 and dep is not None else None,
            )
        )
    return out


def _scheduled(feed: Feed, trip: Trip, day: dt.date, seconds: int) -> dt.datetime:
    base = service_day_start(trip.timezone or feed.timezone, day)
    return dt.datetime.fromtimestamp(base + seconds, dt.UTC)


def _header(msg: FeedMessage, now: dt.datetime) -> None:
    msg.header.gtfs_realtime_version = "2.0"
    msg.header.incrementality = msg.header.FULL_DATASET
    msg.header.timestamp = int(now.timestamp())


def _ts(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def trip_of(t: TrackedTrain, feed: Feed) -> tuple[Trip, dt.date] | None:
    """The trip instance a tracked train runs: by its ``trip_id`` and ``start_date`` (None for a
    train of no trip, or of a trip the timetables no longer hold)."""
    if not t.trip_id or t.start_date is None:
        return None
    trip = feed.trip_by_id.get(t.trip_id)
    return None if trip is None else (trip, t.start_date)


def _descriptor(desc: TripDescriptor, trip: Trip, day: dt.date) -> None:
    desc.trip_id = trip.id
    desc.route_id = trip.service
    desc.start_date = day.strftime("%Y%m%d")


def trip_updates(trains: Iterable[Mapping[str, object]], feed: Feed, *, now: dt.datetime) -> FeedMessage:
    """A FeedMessage with one TripUpdate per tracked train that runs a timetable trip: its ETA
    at the trip's last stop and the delay against the timetable; no prediction (``NO_DATA``) for
    a train that has not departed."""
    from google.transit import gtfs_realtime_pb2

    msg = gtfs_realtime_pb2.FeedMessage()
    _header(msg, now)
    for t in map(TrackedTrain.model_validate, trains):
        found = trip_of(t, feed)
        if found is None:
            continue
        trip, day = found
        last = trip.timed[-1]
        entity = msg.entity.add()
        entity.id = t.id
        tu = entity.trip_update
        _descriptor(tu.trip, trip, day)
        tu.vehicle.id = t.id
        tu.vehicle.label = t.name
        tu.timestamp = int(now.timestamp())
        stu = tu.stop_time_update.add()
        stu.stop_sequence = len(trip.stop_times)
        stu.stop_id = last.stop
        if t.status == "planned" or t.eta is None:
            stu.schedule_relationship = stu.NO_DATA
            continue
        scheduled = _scheduled(feed, trip, day, last.arrival_s if last.arrival_s is not None else 0)
        eta = _ts(t.eta)
        delay = round((eta - scheduled).total_seconds())
        tu.delay = delay
        stu.arrival.time = int(eta.timestamp())
        stu.arrival.delay = delay
    return msg


def vehicle_positions(trains: Iterable[Mapping[str, object]], feed: Feed, *, now: dt.datetime) -> FeedMessage:
    """A FeedMessage with the last reported position of every tracked train that has one, with
    the trip descriptor of the trip it runs."""
    from google.transit import gtfs_realtime_pb2

    msg = gtfs_realtime_pb2.FeedMessage()
    _header(msg, now)
    for t in map(TrackedTrain.model_validate, trains):
        pos = t.last_position
        if pos is None:
            continue
        entity = msg.entity.add()
        entity.id = t.id
        vp = entity.vehicle
        vp.vehicle.id = t.id
        vp.vehicle.label = t.name
        vp.position.latitude = pos.lat
        vp.position.longitude = pos.lon
        vp.timestamp = int(_ts(pos.time).timestamp())
        status = {"arrived": vp.STOPPED_AT, "at_crossing": vp.STOPPED_AT}.get(str(t.status), vp.IN_TRANSIT_TO)
        vp.current_status = status
        found = trip_of(t, feed)
        if found is not None:
            _descriptor(vp.trip, *found)
    return msg


def to_json(msg: Message) -> JsonObject:
    from google.protobuf.json_format import MessageToDict

    return dict(MessageToDict(msg, preserving_proto_field_name=True))
