"""Read an operator's GTFS feed into a :class:`~silkrail.timetable.feed.Feed`, checking every row,
and add it to silkrail's timetables with its stops matched to the network.

Every problem is reported with its file, row (as the validator counts: the header is row 1) and
field, and nothing is kept unless the whole feed reads cleanly: the feed is copied into the
timetable store in one atomic rename only after it has been read and matched."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from silkrail.errors import DataError
from silkrail.timetable.feed import Agency, Calendar, Feed, Service, Stop, StopTime, Transfer, Trip

if TYPE_CHECKING:
    from silkrail.routing.places import Gazetteer

logger = logging.getLogger("silkrail.timetable.gtfs_import")

REQUIRED = ("agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt")
MAX_PROBLEMS = 200
"""Problems listed before reading stops (the count of the rest is still given)."""
MATCH_KM = 10.0
"""A stop within this distance of the network's track is matched to it; farther stops are listed
as unmatched (their trips stay in the timetable, but the network model cannot reach them). A stop
beyond the gazetteer's reach (100 km from any track) is an error: its position must be wrong."""
FERRY_ROUTE_TYPES = {4, 1000, 1200}
_TIME = re.compile(r"^\s*(\d{1,3}):([0-5]\d):([0-5]\d)\s*$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = (
            self.file
            + (f" row {self.row}" if self.row else "")
            + (f" field '{self.field}'" if self.field else "")
        )
        return f"{where}: {self.message}"


class FeedError(DataError):
    """A feed with problems: ``problems`` lists each one (file, row, field, message)."""

    def __init__(self, problems: list[Problem], total: int) -> None:
        self.problems = problems
        self.total = total
        first = problems[0]
        more = f" (and {total - 1} more problems)" if total > 1 else ""
        super().__init__(first.message + more, file=first.file, line=first.row, field=first.field)


class _Problems:
    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.total = 0

    def add(self, file: str, row: int | None, field: str | None, message: str) -> None:
        self.total += 1
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(Problem(file, row, field, message))

    def raise_if_any(self) -> None:
        if self.total:
            raise FeedError(self.items, self.total)


def _tables(path: Path) -> dict[str, str]:
    """The text of each .txt member of a zip (or directory) feed."""
    path = Path(path)
    if path.is_dir():
        return {p.name: p.read_text(encoding="utf-8-sig") for p in path.glob("*.txt")}
    try:
        with zipfile.ZipFile(path) as z:
            out = {}
            for info in z.infolist():
                name = Path(info.filename).name
                if name.endswith(".txt") and not info.is_dir():
                    out[name] = z.read(info).decode("utf-8-sig")
            return out
    except FileNotFoundError:
        raise DataError("no such file; give the path of a GTFS zip", file=str(path)) from None
    except (zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise DataError(f"not a readable GTFS zip ({exc})", file=path.name) from None


def _rows(tables: dict[str, str], name: str) -> Iterator[tuple[int, dict[str, str]]]:
    text = tables.get(name)
    if text is None:
        return
    for i, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        yield i, {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}


def parse_time(text: str) -> int:
    m = _TIME.match(text)
    if not m:
        raise ValueError(f"'{text}' is not a GTFS time; write HH:MM:SS (hours may pass 24)")
    return int(m.group(1)) * 3600 + int(m.group(2)) * 60 + int(m.group(3))


def _date(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise ValueError(f"'{text}' is not a date; write YYYYMMDD") from None


def _zone(text: str) -> str:
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"'{text}' is not an IANA time zone (e.g. Asia/Shanghai)") from None
    return text


def read_gtfs(path: Path) -> Feed:
    """The feed at ``path`` (zip or directory); raises FeedError listing every bad row."""
    tables = _tables(path)
    p = _Problems()
    for name in REQUIRED:
        if name not in tables:
            p.add(name, None, None, "missing; a GTFS feed needs " + ", ".join(REQUIRED))
    if "calendar.txt" not in tables and "calendar_dates.txt" not in tables:
        p.add("calendar.txt", None, None, "missing, and so is calendar_dates.txt; a feed needs one of them")
    p.raise_if_any()

    zones = set()
    agencies = []
    for row, r in _rows(tables, "agency.txt"):
        try:
            zones.add(_zone(r.get("agency_timezone", "")))
        except ValueError as exc:
            p.add("agency.txt", row, "agency_timezone", str(exc))
            continue
        agencies.append(
            Agency(
                r.get("agency_id") or "agency",
                r.get("agency_name", ""),
                r.get("agency_url", ""),
                r["agency_timezone"],
            )
        )
    if len(zones) > 1:
        p.add(
            "agency.txt",
            None,
            "agency_timezone",
            f"agencies disagree on the time zone ({', '.join(sorted(zones))})",
        )
    tz = next(iter(zones), "Etc/UTC")

    stops = []
    for row, r in _rows(tables, "stops.txt"):
        if r.get("location_type", "0") not in ("", "0"):
            continue  # stations, entrances and nodes: trips call at stops
        try:
            lat, lon = float(r.get("stop_lat", "")), float(r.get("stop_lon", ""))
        except ValueError:
            p.add("stops.txt", row, "stop_lat", "stop_lat and stop_lon must be numbers")
            continue
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            p.add(
                "stops.txt",
                row,
                "stop_lat",
                f"({lat}, {lon}) is not a position; latitude -90..90, longitude -180..180",
            )
            continue
        zone = r.get("stop_timezone") or tz
        try:
            _zone(zone)
        except ValueError as exc:
            p.add("stops.txt", row, "stop_timezone", str(exc))
            continue
        if not r.get("stop_id"):
            p.add("stops.txt", row, "stop_id", "empty; every stop needs an id")
            continue
        stops.append(Stop(r["stop_id"], r.get("stop_name") or r["stop_id"], lat, lon, zone))
    stop_ids = {s.id for s in stops}

    agency_ids = {a.id for a in agencies}
    services = []
    for row, r in _rows(tables, "routes.txt"):
        try:
            rtype = int(r.get("route_type", ""))
        except ValueError:
            p.add("routes.txt", row, "route_type", f"'{r.get('route_type')}' is not a route type (2 is rail)")
            continue
        agency = r.get("agency_id") or (agencies[0].id if agencies else "")
        if r.get("agency_id") and agency not in agency_ids:
            p.add("routes.txt", row, "agency_id", f"unknown agency '{agency}'")
            continue
        services.append(
            Service(
                r.get("route_id", ""),
                agency,
                r.get("route_short_name", ""),
                r.get("route_long_name", ""),
                "passenger",
                "ferry" if rtype in FERRY_ROUTE_TYPES else "rail",
            )
        )
    route_ids = {s.id for s in services}

    calendars = _calendars(tables, p)
    times = _stop_times(tables, p, stop_ids)
    headways = _frequencies(tables, p)
    trips = []
    for row, r in _rows(tables, "trips.txt"):
        tid, rid, sid = r.get("trip_id", ""), r.get("route_id", ""), r.get("service_id", "")
        if rid not in route_ids:
            p.add("trips.txt", row, "route_id", f"unknown route '{rid}'")
            continue
        if sid not in calendars:
            p.add(
                "trips.txt",
                row,
                "service_id",
                f"unknown service '{sid}' (not in calendar.txt or calendar_dates.txt)",
            )
            continue
        st = times.get(tid)
        if not st or len(st) < 2:
            p.add("trips.txt", row, "trip_id", f"trip '{tid}' has fewer than two stop times")
            continue
        headway = headways.get(tid)
        trips.append(
            Trip(
                tid,
                rid,
                calendars[sid],
                st,
                r.get("trip_headsign", ""),
                headway[0] if headway else None,
                headway[1] if headway else None,
            )
        )
    transfers = []
    for row, r in _rows(tables, "transfers.txt"):
        if r.get("transfer_type") != "2":
            continue
        a, b = r.get("from_stop_id", ""), r.get("to_stop_id", "")
        if a not in stop_ids or b not in stop_ids:
            p.add("transfers.txt", row, "from_stop_id", f"unknown stop '{a if a not in stop_ids else b}'")
            continue
        try:
            transfers.append(Transfer(a, b, int(r.get("min_transfer_time", ""))))
        except ValueError:
            p.add("transfers.txt", row, "min_transfer_time", "a transfer of type 2 needs whole seconds")
    p.raise_if_any()
    dates = [d for t in trips for d in (t.calendar.start, t.calendar.end)]
    return Feed(
        timezone=tz,
        agencies=tuple(agencies),
        stops=tuple(stops),
        services=tuple(services),
        trips=tuple(trips),
        transfers=tuple(transfers),
        publisher=agencies[0].name if agencies else "",
        start=min(dates) if dates else None,
        end=max(dates) if dates else None,
    )


def _calendars(tables: dict[str, str], p: _Problems) -> dict[str, Calendar]:
    out: dict[str, Calendar] = {}
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    for row, r in _rows(tables, "calendar.txt"):
        try:
            start, end = _date(r.get("start_date", "")), _date(r.get("end_date", ""))
        except ValueError as exc:
            p.add("calendar.txt", row, "start_date", str(exc))
            continue
        if end < start:
            p.add("calendar.txt", row, "end_date", "end_date is before start_date")
            continue
        weekdays = frozenset(i for i, d in enumerate(days) if r.get(d) == "1")
        out[r.get("service_id", "")] = Calendar(start, end, weekdays)
    added: dict[str, set[dt.date]] = {}
    removed: dict[str, set[dt.date]] = {}
    for row, r in _rows(tables, "calendar_dates.txt"):
        try:
            d = _date(r.get("date", ""))
        except ValueError as exc:
            p.add("calendar_dates.txt", row, "date", str(exc))
            continue
        kind = r.get("exception_type")
        if kind not in ("1", "2"):
            p.add("calendar_dates.txt", row, "exception_type", "1 (added) or 2 (removed)")
            continue
        (added if kind == "1" else removed).setdefault(r.get("service_id", ""), set()).add(d)
    for sid in set(added) | set(removed):
        base = out.get(sid)
        if base is None:
            first = min(added.get(sid) or removed[sid])
            base = Calendar(first, first - dt.timedelta(days=1), frozenset())
        out[sid] = replace(base, added=frozenset(added.get(sid, ())), removed=frozenset(removed.get(sid, ())))
    return out


def _stop_times(tables: dict[str, str], p: _Problems, stop_ids: set[str]) -> dict[str, tuple[StopTime, ...]]:
    rows: dict[str, list[tuple[int, int, StopTime]]] = {}
    for row, r in _rows(tables, "stop_times.txt"):
        sid = r.get("stop_id", "")
        if sid not in stop_ids:
            p.add("stop_times.txt", row, "stop_id", f"unknown stop '{sid}'")
            continue
        try:
            seq = int(r.get("stop_sequence", ""))
        except ValueError:
            p.add("stop_times.txt", row, "stop_sequence", "must be a whole number")
            continue
        values: list[int | None] = []
        for f in ("arrival_time", "departure_time"):
            text = r.get(f, "")
            try:
                values.append(parse_time(text) if text else None)
            except ValueError as exc:
                p.add("stop_times.txt", row, f, str(exc))
                values.append(None)
        arr, dep = values
        approximate = r.get("timepoint") == "0"
        rows.setdefault(r.get("trip_id", ""), []).append(
            (
                seq,
                row,
                StopTime(sid, arr if arr is not None else dep, dep if dep is not None else arr, approximate),
            )
        )
    out = {}
    for trip, items in rows.items():
        items.sort(key=lambda x: x[0])
        prev = -1
        for _, row, st in items:
            for f, v in (("arrival_time", st.arrival_s), ("departure_time", st.departure_s)):
                if v is None:
                    continue
                if v < prev:
                    p.add(
                        "stop_times.txt",
                        row,
                        f,
                        f"trip '{trip}': the time goes backwards from the previous stop",
                    )
                prev = v
        timed = [st for _, _, st in items if st.arrival_s is not None]
        if items and (items[0][2].departure_s is None or items[-1][2].arrival_s is None):
            p.add(
                "stop_times.txt",
                items[0][1],
                "departure_time",
                f"trip '{trip}': the first and last stops need times",
            )
        if len(timed) >= 1:
            out[trip] = tuple(st for _, _, st in items)
    return out


def _frequencies(tables: dict[str, str], p: _Problems) -> dict[str, tuple[int, tuple[int, int]]]:
    out = {}
    for row, r in _rows(tables, "frequencies.txt"):
        try:
            start, end = parse_time(r.get("start_time", "")), parse_time(r.get("end_time", ""))
            headway = int(r.get("headway_secs", ""))
        except ValueError as exc:
            p.add("frequencies.txt", row, "headway_secs", str(exc))
            continue
        if headway <= 0:
            p.add("frequencies.txt", row, "headway_secs", "must be positive")
            continue
        out[r.get("trip_id", "")] = (headway, (start, end))
    return out


# -- matching and storing -----------------------------------------------------------------------


@dataclass(frozen=True)
class StopMatch:
    stop: str
    name: str
    km: float | None  # to the nearest track; None beyond the network's reach
    station: str

    @property
    def matched(self) -> bool:
        return self.km is not None and self.km <= MATCH_KM


def match_stops(feed: Feed, places: Gazetteer) -> list[StopMatch]:
    """Each stop's nearest track of the network (``places`` is the router's gazetteer)."""
    out = []
    for s in feed.stops:
        access = places.rail_access(s.lat, s.lon, s.name)
        if access is None:
            out.append(StopMatch(s.id, s.name, None, ""))
        else:
            out.append(StopMatch(s.id, s.name, float(access.km), places.node_name(access.node)))
    return out


def feeds_dir(home: Path) -> Path:
    return Path(home) / "feeds"


def store_feed(source: Path, home: Path, name: str) -> Path:
    """Copy a checked feed into the timetable store in one rename (never a partial file)."""
    if not _NAME.match(name):
        raise DataError(f"'{name}' is not a feed name; use letters, digits, '-' and '_'", field="name")
    target_dir = feeds_dir(home)
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{name}.zip"
    fd, tmp = tempfile.mkstemp(prefix=".import-", suffix=".zip", dir=target_dir)
    os.close(fd)
    try:
        if Path(source).is_dir():
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
                for f in sorted(Path(source).glob("*.txt")):
                    z.write(f, f.name)
        else:
            shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def import_feed(
    source: Path, home: Path, places: Gazetteer, *, name: str | None = None
) -> tuple[Feed, list[StopMatch], Path]:
    """Read, check and match a feed, then keep it: (the feed, its stop matches, where it is kept).
    A feed with any bad row raises FeedError and nothing is kept."""
    feed = read_gtfs(source)
    matches = match_stops(feed, places)
    far = [m for m in matches if m.km is None]
    if far:
        rows = {r.get("stop_id", ""): row for row, r in _rows(_tables(source), "stops.txt")}
        p = _Problems()
        for m in far:
            p.add(
                "stops.txt",
                rows.get(m.stop),
                "stop_lat",
                f"stop '{m.stop}' ({m.name}) lies beyond reach of the network's railways "
                "(over 100 km from any track); correct its position or leave it out",
            )
        p.raise_if_any()
    target = store_feed(source, home, name or Path(source).stem)
    return feed, matches, target


def load_imported(home: Path) -> list[Feed]:
    """The feeds kept by earlier imports, each with ids prefixed by its name."""
    out = []
    for path in sorted(feeds_dir(home).glob("*.zip")):
        out.append(prefix_ids(read_gtfs(path), path.stem))
    return out


def prefix_ids(feed: Feed, prefix: str) -> Feed:
    """Ids made unique across feeds (``prefix:id``); each trip keeps its feed's time zone."""
    p = f"{prefix}:"
    return replace(
        feed,
        agencies=tuple(replace(a, id=p + a.id) for a in feed.agencies),
        stops=tuple(replace(s, id=p + s.id) for s in feed.stops),
        services=tuple(replace(s, id=p + s.id, agency=p + s.agency) for s in feed.services),
        trips=tuple(
            replace(
                t,
                id=p + t.id,
                service=p + t.service,
                stop_times=tuple(replace(st, stop=p + st.stop) for st in t.stop_times),
                timezone=t.timezone or feed.timezone,
            )
            for t in feed.trips
        ),
        transfers=tuple(replace(x, from_stop=p + x.from_stop, to_stop=p + x.to_stop) for x in feed.transfers),
    )
