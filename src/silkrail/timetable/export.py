"""Write a feed as a GTFS zip: multi-day trips keep counting past 24:00:00, every stop carries its
``stop_timezone``, frequency-based services become a week of sailings with approximate times
(timepoint 0), and the curated sources go with each route. Given the network's router, each trip
gets its shape from the track (``shapes.txt``) and each stop its ``shape_dist_traveled``, in
kilometres (see :mod:`silkrail.timetable.shapes`)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import os
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from silkrail.timetable.feed import Feed, StopTime, Trip
from silkrail.timetable.shapes import FeedShapes, build_shapes

if TYPE_CHECKING:
    from silkrail.routing.router import Router

logger = logging.getLogger("silkrail.timetable.export")

ROUTE_TYPE = {"rail": 2, "ferry": 4}
"""GTFS route_type of each service kind."""


def gtfs_time(seconds: int) -> str:
    """HH:MM:SS, hours past 24 for later days of a trip."""
    h, rest = divmod(int(seconds), 3600)
    return f"{h:02d}:{rest // 60:02d}:{rest % 60:02d}"


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    return buf.getvalue()


def feed_tables(feed: Feed, *, router: Router | None = None) -> dict[str, str]:
    """The GTFS files of a feed, as CSV text by file name; with ``router``, the trips' shapes
    along the network too."""
    feed = replace(feed, trips=tuple(t for trip in feed.trips for t in sailings(trip)))
    shapes = build_shapes(feed, router) if router is not None else None
    agency = _csv(
        ("agency_id", "agency_name", "agency_url", "agency_timezone", "agency_lang"),
        ((a.id, a.name, a.url, feed.timezone, feed.lang) for a in feed.agencies),
    )
    stops = _csv(
        ("stop_id", "stop_name", "stop_lat", "stop_lon", "location_type", "stop_timezone"),
        ((s.id, s.name, f"{s.lat:.6f}", f"{s.lon:.6f}", 0, s.timezone) for s in feed.stops),
    )
    routes = _csv(
        (
            "route_id",
            "agency_id",
            "route_short_name",
            "route_long_name",
            "route_desc",
            "route_type",
            "route_url",
        ),
        (
            (
                s.id,
                s.agency,
                s.short_name,
                s.long_name,
                _desc(s.traffic, s.as_of, s.source, s.note),
                ROUTE_TYPE.get(s.kind, 2),
                next((u for u in s.source if u.startswith(("http://", "https://"))), None),
            )
            for s in feed.services
        ),
    )
    shape_table = None
    if shapes is None:
        trips = _csv(
            ("route_id", "service_id", "trip_id", "trip_headsign"),
            ((t.service, _calendar_id(t), t.id, t.headsign) for t in feed.trips),
        )
        stop_times = _csv(
            ("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence", "timepoint"),
            _stop_time_rows(feed.trips),
        )
    else:
        trips = _csv(
            ("route_id", "service_id", "trip_id", "trip_headsign", "shape_id"),
            ((t.service, _calendar_id(t), t.id, t.headsign, shapes.shape_of[t.id]) for t in feed.trips),
        )
        stop_times = _csv(
            (
                "trip_id",
                "arrival_time",
                "departure_time",
                "stop_id",
                "stop_sequence",
                "timepoint",
                "shape_dist_traveled",
            ),
            _stop_time_rows(feed.trips, shapes),
        )
        shape_table = _csv(
            ("shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence", "shape_dist_traveled"),
            (
                (s.id, f"{lat:.6f}", f"{lon:.6f}", i, f"{d:.3f}")
                for s in shapes.shapes
                for i, (lat, lon, d) in enumerate(
                    zip(s.lat.tolist(), s.lon.tolist(), s.dist_km.tolist(), strict=True), 1
                )
            ),
        )
    weekly = [t for t in feed.trips if not t.calendar.every_days]
    calendar = _csv(
        (
            "service_id",
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
            "start_date",
            "end_date",
        ),
        (
            (
                _calendar_id(t),
                *(int(d in t.calendar.weekdays) for d in range(7)),
                t.calendar.start.strftime("%Y%m%d"),
                t.calendar.end.strftime("%Y%m%d"),
            )
            for t in weekly
        ),
    )
    dated = [t for t in feed.trips if t.calendar.every_days or t.calendar.added or t.calendar.removed]
    calendar_dates = _csv(("service_id", "date", "exception_type"), _date_rows(dated))
    transfers = _transfer_rows(feed)
    transfer_table = (
        None
        if not transfers
        else _csv(
            (
                "from_stop_id",
                "to_stop_id",
                "from_route_id",
                "to_route_id",
                "transfer_type",
                "min_transfer_time",
            ),
            transfers,
        )
    )
    feed_info = None
    if feed.start and feed.end:
        feed_info = _csv(
            (
                "feed_publisher_name",
                "feed_publisher_url",
                "feed_contact_url",
                "feed_lang",
                "feed_start_date",
                "feed_end_date",
                "feed_version",
            ),
            [
                (
                    feed.publisher,
                    feed.publisher_url,
                    feed.publisher_url,
                    feed.lang,
                    feed.start.strftime("%Y%m%d"),
                    feed.end.strftime("%Y%m%d"),
                    feed.start.isoformat(),
                )
            ],
        )
    tables = {
        "agency.txt": agency,
        "stops.txt": stops,
        "routes.txt": routes,
        "trips.txt": trips,
        "stop_times.txt": stop_times,
        "shapes.txt": shape_table,
        "calendar.txt": calendar,
        "calendar_dates.txt": calendar_dates,
        "transfers.txt": transfer_table,
        "feed_info.txt": feed_info,
    }
    return {name: text for name, text in tables.items() if text is not None}


def sailings(trip: Trip) -> list[Trip]:
    """A frequency-based trip as the departures of one week, every headway from its first, with
    approximate times (timepoint 0). frequencies.txt would say the same, but common readers hold
    headway_secs in 16 bits (at most about 9 h) and a ferry sailing twice a week exceeds that."""
    if not trip.headway_s:
        return [trip]
    week = 7 * 86400
    out = []
    for k in range(max(1, week // trip.headway_s)):
        offset = k * trip.headway_s
        days, rest = divmod(offset, 86400)
        times = tuple(
            StopTime(
                st.stop,
                None if st.arrival_s is None else st.arrival_s + rest,
                None if st.departure_s is None else st.departure_s + rest,
                approximate=True,
            )
            for st in trip.stop_times
        )
        cal = replace(
            trip.calendar,
            weekdays=frozenset((d + days) % 7 for d in trip.calendar.weekdays),
            start=trip.calendar.start + dt.timedelta(days=days),
        )
        out.append(replace(trip, id=f"{trip.id}-{k + 1}", calendar=cal, stop_times=times, headway_s=None))
    return out


def _desc(traffic: str, as_of: str, source: tuple[str, ...], note: str | None) -> str:
    text = f"{traffic.capitalize()} service; as of {as_of}; source: {'; '.join(source)}"
    return f"{text}. {note}" if note else text


def _calendar_id(t: Trip) -> str:
    return f"{t.id}-days"


def _stop_time_rows(trips: Iterable[Trip], shapes: FeedShapes | None = None) -> Iterable[Sequence[object]]:
    by_id = shapes.by_id if shapes is not None else {}
    for t in trips:
        dist = by_id[shapes.shape_of[t.id]].stop_dist_km if shapes is not None else None
        for seq, st in enumerate(t.stop_times, 1):
            timed = (st.arrival_s is not None or st.departure_s is not None) and not st.approximate
            row: tuple[object, ...] = (
                t.id,
                gtfs_time(st.arrival_s) if st.arrival_s is not None else None,
                gtfs_time(st.departure_s) if st.departure_s is not None else None,
                st.stop,
                seq,
                1 if timed else 0,
            )
            yield row if dist is None else (*row, f"{dist[seq - 1]:.3f}")


def _date_rows(trips: Iterable[Trip]) -> Iterable[Sequence[object]]:
    for t in trips:
        cal = t.calendar
        removed = sorted(cal.removed)
        days = list(cal.dates()) if cal.every_days else sorted(cal.added)
        for d in days:
            yield (_calendar_id(t), d.strftime("%Y%m%d"), 1)
        for d in removed:
            yield (_calendar_id(t), d.strftime("%Y%m%d"), 2)


def _transfer_rows(feed: Feed) -> list[Sequence[object]]:
    """Explicit transfers, then the curated minimum for changing between two services of the same
    traffic at a stop both serve."""
    rows: list[Sequence[object]] = [(x.from_stop, x.to_stop, None, None, 2, x.min_s) for x in feed.transfers]
    explicit = {(x.from_stop, x.to_stop) for x in feed.transfers}
    at: dict[str, set[str]] = {}
    for t in feed.trips:
        for st in t.timed:
            at.setdefault(st.stop, set()).add(t.service)
    for stop, services in sorted(at.items()):
        if (stop, stop) in explicit:
            continue
        for a in sorted(services):
            for b in sorted(services):
                sa, sb = feed.service_by_id[a], feed.service_by_id[b]
                if a != b and sa.traffic == sb.traffic and sa.traffic in feed.min_transfer_s:
                    rows.append((stop, stop, a, b, 2, feed.min_transfer_s[sa.traffic]))
    return rows


def write_gtfs(feed: Feed, path: Path, *, router: Router | None = None) -> dict[str, int]:
    """Write ``feed`` to the zip ``path`` (atomically: a failed write leaves no file behind);
    returns the row count of each file. With the network's ``router``, the feed has shapes."""
    path = Path(path)
    tables = feed_tables(feed, router=router)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".gtfs-", suffix=".zip", dir=path.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
            for name, text in tables.items():
                z.writestr(name, text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    counts = {name: text.count("\n") - 1 for name, text in tables.items()}
    logger.info("wrote %s: %s", path, counts)
    return counts
