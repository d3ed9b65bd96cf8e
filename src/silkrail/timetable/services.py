"""The corridor services of the package data (``data/services.yaml``): schema and loading.

Each service gives local times at its stops, as published (or only a transit time, ``after_h``);
loading turns them into a :class:`~silkrail.timetable.feed.Feed` whose times count from UTC
service days, so trains that cross time zones and run for days keep one clock."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from silkrail.errors import DataError
from silkrail.network.loader import Sourced, known_country_codes, validate_file
from silkrail.timetable.feed import WEEKDAYS, Agency, Calendar, Feed, Service, Stop, StopTime, Trip
from silkrail.traffic import TRAIN_CLASSES_OF, Traffic

FEED_TIMEZONE = "Etc/UTC"
"""The one agency time zone of the exported feed (GTFS wants one for all agencies): UTC has no
daylight saving, so a service day is always 24 h and a trip's times never shift."""

_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(\+(\d{1,2}))?$")


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"'{name}' is not an IANA time zone; write one like Asia/Shanghai or Europe/Moscow"
        ) from None
    return name


def _check_id(v: str) -> str:
    if not _ID.match(v):
        raise ValueError(f"'{v}' is not a kebab-case id (lowercase letters, digits and '-')")
    return v


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class FeedInfoRecord(Sourced):
    publisher: str
    url: str
    lang: str = "en"
    start_date: dt.date
    end_date: dt.date

    @model_validator(mode="after")
    def _order(self) -> FeedInfoRecord:
        if self.end_date < self.start_date:
            raise ValueError("end_date must not be before start_date")
        return self


class TransferDefaults(Sourced):
    passenger_min: float = Field(ge=0, le=24 * 60)
    freight_min: float = Field(ge=0, le=7 * 24 * 60)
    passenger_border_min: float = Field(default=0, ge=0, le=24 * 60)


class AgencyRecord(Sourced):
    id: str
    name: str
    url: str

    _i = field_validator("id")(_check_id)


class StopRecord(Sourced):
    id: str
    name: str = Field(min_length=1)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    country: str
    timezone: str

    _i = field_validator("id")(_check_id)
    _t = field_validator("timezone")(check_timezone)

    @field_validator("country")
    @classmethod
    def _country(cls, v: str) -> str:
        if v not in known_country_codes():
            raise ValueError(f"'{v}' is not an ISO 3166-1 alpha-2 country code (for example CN, VN)")
        return v


class StopTimeRecord(_Row):
    stop: str
    arr: str | None = None
    dep: str | None = None
    after_h: float | None = Field(default=None, ge=0, le=24 * 120)

    @field_validator("arr", "dep")
    @classmethod
    def _time(cls, v: str | None) -> str | None:
        if v is not None and not _TIME.match(v):
            raise ValueError(f"'{v}' is not a local time; write HH:MM, or HH:MM+N for N days later")
        return v

    @model_validator(mode="after")
    def _one_kind(self) -> StopTimeRecord:
        if self.after_h is not None and (self.arr or self.dep):
            raise ValueError("give either local times (arr/dep) or after_h, not both")
        return self

    @property
    def timed(self) -> bool:
        return self.after_h is not None or self.arr is not None or self.dep is not None


class ServiceRecord(Sourced):
    id: str
    short_name: str
    long_name: str
    agency: str
    traffic: Literal["passenger", "freight"]
    kind: Literal["rail", "ferry"] = "rail"
    days: Literal["daily", "alternate"] | list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]]
    start_date: dt.date
    headway_h: float | None = Field(default=None, gt=0, le=24 * 14)
    stops: list[StopTimeRecord] = Field(min_length=2)
    assumed: str | None = None
    note: str | None = None
    trainsets: str | None = None
    """A pool of trainsets this service shares with services of other operators naming the same
    pool; given only where a source says they share sets (``trainsets_source``). Without it, a
    service's sets are its operator's own."""
    trainsets_source: str | None = None
    booking_h: float | None = Field(
        default=None, ge=0, le=24 * 60, description="the published booking lead time before a departure"
    )
    consolidation_h: float | None = Field(
        default=None, ge=0, le=24 * 60, description="the published time to collect a load before it leaves"
    )
    lead_source: str | list[str] | None = Field(
        default=None, description="where booking_h and consolidation_h are published"
    )
    train: Literal["standard", "express", "stopping"] = Field(
        default="standard",
        description="the train's category as its railway classes it (silkrail.traffic.TrainClass): "
        "a query naming a category is answered by services of that category only",
    )

    _i = field_validator("id")(_check_id)

    @model_validator(mode="after")
    def _pool_sourced(self) -> ServiceRecord:
        if self.trainsets and not (self.trainsets_source or "").strip():
            raise ValueError(
                "trainsets shared with another operator's services need trainsets_source: where a "
                "source says they share sets"
            )
        return self

    @model_validator(mode="after")
    def _lead_sourced(self) -> ServiceRecord:
        if (self.booking_h is not None or self.consolidation_h is not None) and not self.lead_source:
            raise ValueError("booking_h and consolidation_h need lead_source: where they are published")
        return self

    @model_validator(mode="after")
    def _train_of_its_traffic(self) -> ServiceRecord:
        allowed = TRAIN_CLASSES_OF[Traffic.PASSENGER if self.traffic == "passenger" else Traffic.CONTAINER]
        if self.train not in allowed:
            raise ValueError(f"a {self.traffic} service is {' or '.join(allowed)}, not '{self.train}'")
        return self

    @model_validator(mode="after")
    def _ends_timed(self) -> ServiceRecord:
        first, last = self.stops[0], self.stops[-1]
        if first.dep is None:
            raise ValueError("the first stop needs its local departure time (dep: HH:MM)")
        if not last.timed:
            raise ValueError("the last stop needs its arrival (arr: HH:MM+N or after_h)")
        if isinstance(self.days, list) and not self.days:
            raise ValueError("days lists at least one weekday (mon..sun), or is daily or alternate")
        return self


class ServicesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    feed: FeedInfoRecord
    transfers: TransferDefaults
    agencies: list[AgencyRecord] = Field(min_length=1)
    stops: list[StopRecord] = Field(min_length=2)
    services: list[ServiceRecord]


def default_path() -> Path:
    from silkrail.settings import get_settings

    return Path(get_settings().data_dir) / "services.yaml"


def load_services(path: Path | None = None) -> Feed:
    """The curated services as a feed; a bad record raises DataError(file, line, field)."""
    path = Path(path) if path is not None else default_path()
    parsed, doc = validate_file(path, ServicesFile)
    return _to_feed(parsed, doc, path.name)


def load_timetables(home: Path | None = None) -> Feed:
    """Every timetable silkrail knows: the package's services and the feeds imported into
    ``home`` (default: the settings' home) with ``silkrail gtfs import``."""
    from silkrail.settings import get_settings
    from silkrail.timetable.gtfs_import import load_imported

    path = default_path()
    # a data directory without services (a test's, a user's own) has no curated timetable
    own = load_services(path) if path.is_file() else Feed(FEED_TIMEZONE, (), (), (), ())
    return own.merged(*load_imported(Path(home) if home is not None else get_settings().home))


def _line(doc: object, *keys: str | int) -> int | None:
    """The line of the YAML node at ``keys`` in the line-numbered ``doc`` (of the deepest node
    that exists on the way there)."""
    node, line = doc, getattr(doc, "line", None)
    for k in keys:
        children = node if isinstance(node, dict) else dict(enumerate(node)) if isinstance(node, list) else {}
        if k not in children:
            break
        node = children[k]
        line = getattr(node, "line", line)
    return line


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


def _to_feed(f: ServicesFile, doc: object, filename: str) -> Feed:
    tables: tuple[tuple[str, Sequence[_Identified]], ...] = (
        ("agencies", f.agencies),
        ("stops", f.stops),
        ("services", f.services),
    )
    for kind, items in tables:
        seen: set[str] = set()
        for i, rec in enumerate(items):
            if rec.id in seen:
                raise DataError(
                    f"duplicate id '{rec.id}'",
                    file=filename,
                    line=_line(doc, kind, i),
                    field=f"{kind}[{i}].id",
                )
            seen.add(rec.id)
    stops = {s.id: s for s in f.stops}
    agencies = {a.id for a in f.agencies}
    trips = []
    services = []
    for i, s in enumerate(f.services):
        if s.agency not in agencies:
            raise DataError(
                f"service '{s.id}': unknown agency '{s.agency}'; known: {', '.join(sorted(agencies))}",
                file=filename,
                line=_line(doc, "services", i),
                field=f"services[{i}].agency",
            )
        for j, st in enumerate(s.stops):
            if st.stop not in stops:
                raise DataError(
                    f"service '{s.id}': unknown stop '{st.stop}'; list it under stops first",
                    file=filename,
                    line=_line(doc, "services", i, "stops", j),
                    field=f"services[{i}].stops[{j}].stop",
                )
        services.append(
            Service(
                s.id,
                s.agency,
                s.short_name,
                s.long_name,
                s.traffic,
                s.kind,
                tuple(s.sources),
                s.as_of,
                s.note,
                s.trainsets,
                booking_h=s.booking_h or 0.0,
                consolidation_h=s.consolidation_h or 0.0,
                lead_source=tuple([s.lead_source] if isinstance(s.lead_source, str) else s.lead_source or ()),
                train=s.train,
            )
        )
        trips.append(_trip(s, stops, f.feed, filename, _line(doc, "services", i), i))
    return Feed(
        timezone=FEED_TIMEZONE,
        agencies=tuple(Agency(a.id, a.name, a.url, FEED_TIMEZONE) for a in f.agencies),
        stops=tuple(Stop(s.id, s.name, s.lat, s.lon, s.timezone, s.country) for s in f.stops),
        services=tuple(services),
        trips=tuple(trips),
        min_transfer_s={
            "passenger": round(f.transfers.passenger_min * 60),
            "freight": round(f.transfers.freight_min * 60),
        },
        passenger_border_s=round(f.transfers.passenger_border_min * 60),
        publisher=f.feed.publisher,
        publisher_url=f.feed.url,
        lang=f.feed.lang,
        start=f.feed.start_date,
        end=f.feed.end_date,
    )


def _local(day: dt.date, text: str, zone: str) -> dt.datetime:
    m = _TIME.match(text)
    assert m is not None  # validated
    d = day + dt.timedelta(days=int(m.group(4) or 0))
    return dt.datetime(d.year, d.month, d.day, int(m.group(1)), int(m.group(2)), tzinfo=ZoneInfo(zone))


def _trip(
    s: ServiceRecord,
    stops: dict[str, StopRecord],
    info: FeedInfoRecord,
    filename: str,
    line: int | None,
    i: int,
) -> Trip:
    """One trip pattern: local times on the first running day, turned into seconds from the UTC
    service day of the first departure (the weekdays shift with it when the departure's UTC date
    differs from its local one)."""
    first_day = max(s.start_date, info.start_date)
    first = s.stops[0]
    dep_local = _local(first_day, first.dep or "", stops[first.stop].timezone)
    dep_utc = dep_local.astimezone(dt.UTC)
    shift = (dep_utc.date() - dep_local.date()).days
    day0 = dep_utc.date()
    start = max(day0, info.start_date)
    base = dt.datetime(day0.year, day0.month, day0.day, tzinfo=dt.UTC)
    out: list[StopTime] = []
    prev = -1
    for j, st in enumerate(s.stops):
        zone = stops[st.stop].timezone
        arr_s = dep_s = None
        if st.after_h is not None:
            arr_s = dep_s = round((dep_utc - base).total_seconds() + st.after_h * 3600)
        else:
            if st.arr is not None:
                arr_s = round((_local(first_day, st.arr, zone) - base).total_seconds())
            if st.dep is not None:
                dep_s = round((_local(first_day, st.dep, zone) - base).total_seconds())
            arr_s = arr_s if arr_s is not None else dep_s
            dep_s = dep_s if dep_s is not None else arr_s
        for value in (arr_s, dep_s):
            if value is None:
                continue
            if value < prev:
                raise DataError(
                    f"service '{s.id}': the time at stop '{st.stop}' is before the previous stop's "
                    "(times go backwards); add +N for a later day, e.g. 05:30+1",
                    file=filename,
                    line=line,
                    field=f"services[{i}].stops[{j}]",
                )
            prev = value
        out.append(StopTime(st.stop, arr_s, dep_s))
    if s.days == "daily":
        cal = Calendar(start, info.end_date)
    elif s.days == "alternate":
        cal = Calendar(start, info.end_date, every_days=2)
    else:
        wd = frozenset((WEEKDAYS.index(d) + shift) % 7 for d in s.days)
        cal = Calendar(start, info.end_date, weekdays=wd)
    headway = round(s.headway_h * 3600) if s.headway_h else None
    window = (0, 7 * 86400) if headway else None
    return Trip(
        f"{s.id}",
        s.id,
        cal,
        tuple(out),
        headsign=stops[s.stops[-1].stop].name,
        headway_s=headway,
        window_s=window,
    )
