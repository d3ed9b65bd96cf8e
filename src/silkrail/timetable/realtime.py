"""GTFS-Realtime from tracked trains: TripUpdates (the ETA and its delay against the timetable)
and VehiclePositions (the last reported position).

A tracked train belongs to a timetable trip when its name is the trip's id or its service's short
name (T8701) and it left on the trip's scheduled departure, within ``MATCH_S``; such a train is
created from the trip by :func:`train_from_trip`, which gives it the trip's scheduled times: the
tracker's ETA and delay then count against the timetable, and a TripUpdate's delay is the ETA
less the timetable's arrival at the trip's last stop."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from silkrail.timetable.feed import Feed, Trip, service_day_start

MATCH_S = 6 * 3600
"""A tracked departure this close to a scheduled one is that trip (a late start stays matched)."""


def train_from_trip(feed: Feed, trip_id: str, day: dt.date, *, teu: float = 1.0) -> dict[str, Any]:
    """The body of ``POST /api/v1/trains`` for a trip of ``feed`` on its service day ``day``:
    the train, and the trip's timed stops with their scheduled times (local at each stop), which
    the tracker counts its delay against."""
    trip = feed.trip_by_id[trip_id]
    svc = feed.service_by_id[trip.service]
    first, last = trip.timed[0], trip.timed[-1]
    dep = _scheduled(feed, trip, day, first.departure_s or 0)
    return {
        "name": svc.short_name or trip.id,
        "origin": feed.stop_by_id[first.stop].name,
        "destination": feed.stop_by_id[last.stop].name,
        "departure": _local(feed, first.stop, dep),
        "teu": teu,
        "schedule": [
            _scheduled_stop(feed, trip, day, st, k, len(trip.timed)) for k, st in enumerate(trip.timed)
        ],
    }


def _scheduled_stop(feed: Feed, trip: Trip, day: dt.date, st: Any, k: int, n: int) -> dict[str, Any]:
    """One timed stop of a trip instance: where it is and when the train is due there (no arrival
    at the first stop, no departure at the last)."""
    stop = feed.stop_by_id[st.stop]
    out: dict[str, Any] = {"stop": stop.name, "lat": stop.lat, "lon": stop.lon}
    arr = st.arrival_s if st.arrival_s is not None else st.departure_s
    dep = st.departure_s if st.departure_s is not None else st.arrival_s
    if k > 0:
        out["arrival"] = _local(feed, st.stop, _scheduled(feed, trip, day, arr))
    if k < n - 1:
        out["departure"] = _local(feed, st.stop, _scheduled(feed, trip, day, dep))
    return out


def _local(feed: Feed, stop: str, when: dt.datetime) -> str:
    return when.astimezone(dt.timezone(_offset(feed.stop_by_id[stop].timezone, when))).isoformat()


def _offset(zone: str, when: dt.datetime) -> dt.timedelta:
    from zoneinfo import ZoneInfo

    off = when.astimezone(ZoneInfo(zone)).utcoffset()
    return off if off is not None else dt.timedelta(0)


def _scheduled(feed: Feed, trip: Trip, day: dt.date, seconds: int) -> dt.datetime:
    base = service_day_start(trip.timezone or feed.timezone, day)
    return dt.datetime.fromtimestamp(base + seconds, dt.UTC)


def match_trip(feed: Feed, name: str, departure: dt.datetime) -> tuple[Trip, dt.date] | None:
    """The trip instance a tracked train runs, by its name and departure time."""
    names = {t.id: t for t in feed.trips}
    candidates = [names[name]] if name in names else []
    candidates += [t for t in feed.trips if feed.service_by_id[t.service].short_name == name and t.id != name]
    dep = departure.astimezone(dt.UTC)
    best: tuple[float, Trip, dt.date] | None = None
    for trip in candidates:
        first = trip.timed[0].departure_s or 0
        for k in range(-2, 2):
            day = dep.date() + dt.timedelta(days=k - first // 86400)
            if not trip.calendar.runs(day):
                continue
            gap = abs((_scheduled(feed, trip, day, first) - dep).total_seconds())
            if gap <= MATCH_S and (best is None or gap < best[0]):
                best = (gap, trip, day)
    return None if best is None else (best[1], best[2])


def _header(msg: Any, now: dt.datetime) -> None:
    msg.header.gtfs_realtime_version = "2.0"
    msg.header.incrementality = msg.header.FULL_DATASET
    msg.header.timestamp = int(now.timestamp())


def _ts(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(str(value))


def trip_updates(trains: Iterable[Mapping[str, Any]], feed: Feed, *, now: dt.datetime) -> Any:
    """A FeedMessage with one TripUpdate per tracked train that runs a timetable trip."""
    from google.transit import gtfs_realtime_pb2

    msg = gtfs_realtime_pb2.FeedMessage()
    _header(msg, now)
    for t in trains:
        found = match_trip(feed, str(t["name"]), _ts(t["departure"]))
        if found is None:
            continue
        trip, day = found
        last = trip.timed[-1]
        scheduled = _scheduled(feed, trip, day, last.arrival_s or 0)
        eta = _ts(t["eta"])
        entity = msg.entity.add()
        entity.id = str(t["id"])
        tu = entity.trip_update
        tu.trip.trip_id = trip.id
        tu.trip.route_id = trip.service
        tu.trip.start_date = day.strftime("%Y%m%d")
        tu.vehicle.id = str(t["id"])
        tu.vehicle.label = str(t["name"])
        tu.timestamp = int(now.timestamp())
        delay = round((eta - scheduled).total_seconds())
        tu.delay = delay
        stu = tu.stop_time_update.add()
        stu.stop_sequence = len(trip.stop_times)
        stu.stop_id = last.stop
        stu.arrival.time = int(eta.timestamp())
        stu.arrival.delay = delay
    return msg


def vehicle_positions(trains: Iterable[Mapping[str, Any]], feed: Feed, *, now: dt.datetime) -> Any:
    """A FeedMessage with the last reported position of every tracked train that has one."""
    from google.transit import gtfs_realtime_pb2

    msg = gtfs_realtime_pb2.FeedMessage()
    _header(msg, now)
    for t in trains:
        pos = t.get("last_position")
        if not pos:
            continue
        entity = msg.entity.add()
        entity.id = str(t["id"])
        vp = entity.vehicle
        vp.vehicle.id = str(t["id"])
        vp.vehicle.label = str(t["name"])
        vp.position.latitude = float(pos["lat"])
        vp.position.longitude = float(pos["lon"])
        vp.timestamp = int(_ts(pos["time"]).timestamp())
        status = {"arrived": vp.STOPPED_AT, "at_crossing": vp.STOPPED_AT}.get(
            str(t.get("status")), vp.IN_TRANSIT_TO
        )
        vp.current_status = status
        found = match_trip(feed, str(t["name"]), _ts(t["departure"]))
        if found is not None:
            trip, day = found
            vp.trip.trip_id = trip.id
            vp.trip.route_id = trip.service
            vp.trip.start_date = day.strftime("%Y%m%d")
    return msg


def to_json(msg: Any) -> dict[str, Any]:
    from google.protobuf.json_format import MessageToDict

    return dict(MessageToDict(msg, preserving_proto_field_name=True))
