"""Payloads of the tracking API (one declaration: validation, OpenAPI schema and docs)."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

MILESTONES = ("departed", "border_entry", "border_exit", "gauge_change_start", "gauge_change_done", "arrived")
MAX_BATCH = 10_000
MAX_PAGE = 1000  # trains or alerts in one answer of a list endpoint
EARLIEST_DEPARTURE = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_DEPARTURE = timedelta(days=2 * 365)  # from now


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _aware(v: datetime) -> datetime:
    """A time with a zone, as UTC."""
    if v.tzinfo is None:
        raise ValueError("give a time zone, for example 2025-03-01T08:00:00+07:00 or ...Z")
    try:
        return v.astimezone(UTC)
    except OverflowError:
        raise ValueError("out of range: give a time between the years 1 and 9999 in UTC") from None


def _departure(v: datetime) -> datetime:
    """A departure in a plausible window: from 2000 to two years from now."""
    v = _aware(v)
    if not EARLIEST_DEPARTURE <= v <= datetime.now(UTC) + LATEST_DEPARTURE:
        raise ValueError(
            f"{v:%Y-%m-%d} is implausible; give a departure from 2000-01-01 to two years from now"
        )
    return v


_ISO_TIME = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
    r"([Zz]|[+-][0-9]{2}:?[0-9]{2})?$"
)


def _text_time(v: object) -> datetime | str:
    """A time given as ISO 8601 text (``2025-03-01T08:00:00Z``): a bare number, or a number in
    quotes, would be read as seconds since 1970."""
    if isinstance(v, datetime):
        return v
    if isinstance(v, str) and _ISO_TIME.match(v):
        return v
    raise ValueError("give the time as ISO 8601 text with its zone, for example 2025-03-01T08:00:00Z")


def _strict_number(v: object) -> int | float:
    """A JSON number, not true/false (which Python would take as 1 and 0)."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ValueError("give a number")
    return v


# characters a name may not hold, by Unicode general category: controls (C0, C1), format
# characters (invisible: zero-width spaces, direction marks and overrides, tags, the byte-order
# mark), private use, surrogates, unassigned code points, line and paragraph separators
_REFUSED = {
    "Cc": "a control character",
    "Cf": "an invisible format character",
    "Co": "a private-use character",
    "Cs": "a surrogate",
    "Cn": "an unassigned code point",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
}
# letters that render as nothing (Unicode's Default_Ignorable_Code_Point property, of category Lo),
# and the blank braille pattern: a name of them, or with them, shows as blank or as another name
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_JOINERS = frozenset("\u200c\u200d")  # needed between letters in Persian, Indic and emoji text


def _plain(v: str) -> str:
    """Text a person can read as what it is: no character of the refused categories (the zero-
    width joiners only between two letters, marks or symbols, where scripts need them), none that
    renders as nothing, and something visible beside spaces."""
    if v.isascii() and v.isprintable() and not v.isspace():  # most ids and names: checked in C
        return v
    for i, ch in enumerate(v):
        cat = unicodedata.category(ch)
        if ch in _JOINERS and 0 < i < len(v) - 1 and _joins(v[i - 1]) and _joins(v[i + 1]):
            continue
        if cat in _REFUSED or ch in _BLANK_LETTERS:
            what = _REFUSED.get(cat, "a character that renders as nothing")
            name = unicodedata.name(ch, "")
            raise ValueError(
                f"contains U+{ord(ch):04X}{f' ({name})' if name else ''} at {i}, {what}; give plain text"
            )
    if not any(unicodedata.category(ch)[0] in "LNPS" for ch in v):
        raise ValueError("has nothing visible (spaces or marks alone); give a name")
    return v


def _joins(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LMS"


Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_plain)]
TrainId = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_plain)]


Time = Annotated[datetime, BeforeValidator(_text_time)]
Number = Annotated[float, BeforeValidator(_strict_number)]


MAX_SCHEDULED_STOPS = 500
MAX_VIA = 8
"""Crossings a train may name as its route's (a Chinese port to Europe passes at most five)."""
CrossingId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$")]


class ScheduledStop(_Payload):
    """A stop of the timetable trip a train runs, with its scheduled times (one of them at least)."""

    stop: Name
    lat: Number = Field(ge=-90, le=90)
    lon: Number = Field(ge=-180, le=180)
    arrival: Time | None = None
    departure: Time | None = None

    _tz = field_validator("arrival", "departure")(lambda v: None if v is None else _aware(v))

    @model_validator(mode="after")
    def _times(self) -> ScheduledStop:
        if self.arrival is None and self.departure is None:
            raise ValueError(f"stop '{self.stop}' needs its scheduled arrival or departure")
        if self.arrival is not None and self.departure is not None and self.departure < self.arrival:
            raise ValueError(f"stop '{self.stop}': the departure lies before the arrival")
        return self


def _in_order(v: list[ScheduledStop] | None) -> list[ScheduledStop] | None:
    """Scheduled times that never go backwards along the trip."""
    if v is None:
        return v
    if len(v) < 2:
        raise ValueError("a schedule lists the trip's stops, two at least")
    last: datetime | None = None
    for i, st in enumerate(v):
        for t in (st.arrival, st.departure):
            if t is None:
                continue
            if last is not None and t < last:
                raise ValueError(f"stop {i} ('{st.stop}') is scheduled before the stop ahead of it")
            last = t
    return v


def _service_date(v: object) -> object:
    """A service date as GTFS-Realtime writes it (YYYYMMDD) or as ISO 8601 (YYYY-MM-DD)."""
    if isinstance(v, str) and re.fullmatch(r"\d{8}", v):
        return f"{v[:4]}-{v[4:6]}-{v[6:]}"
    return v


def _plausible_date(v: date) -> date:
    if not EARLIEST_DEPARTURE.date() <= v <= (datetime.now(UTC) + LATEST_DEPARTURE).date():
        raise ValueError(f"{v.isoformat()} is implausible; give a date from 2000-01-01 to two years from now")
    return v


ServiceDate = Annotated[date, BeforeValidator(_service_date), AfterValidator(_plausible_date)]


class TrainIn(_Payload):
    name: Name | None = Field(
        default=None,
        description="what the train is called (a train of a trip: by default its service's name)",
    )
    origin: Name | None = Field(default=None, description="where it leaves from (not with trip_id)")
    destination: Name | None = Field(default=None, description="where it goes (not with trip_id)")
    departure: Time | None = Field(
        default=None,
        description="when it left or leaves; a train of a trip: by default the trip's scheduled departure",
    )
    trip_id: TrainId | None = Field(
        default=None,
        description="the timetable trip it runs (GTFS trip_id: data/services.yaml or an imported feed): "
        "its route, stops and scheduled times then come from the timetable, and GTFS-Realtime reports "
        "it under that trip",
    )
    start_date: ServiceDate | None = Field(
        default=None,
        description="with trip_id: the trip's service date (GTFS start_date, YYYYMMDD or YYYY-MM-DD)",
    )
    via: list[CrossingId] | None = Field(
        default=None,
        max_length=MAX_VIA,
        description="the border crossings the train passes, in order, by their ids "
        "(erenhot-zamyn-uud): its planned route goes through them, as its service's published "
        "route does (by default the fastest rail route); not with trip_id",
    )
    teu: Number = Field(default=1.0, ge=0.01, le=1000)
    traffic: Literal["passenger", "freight", "any"] = Field(
        default="any",
        description="what the train carries, for its planned route: freight ('any' is the same) or "
        "passengers (a train of a trip: its service's)",
    )
    operator: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")] | None = Field(
        default=None,
        description="whose train it is (whose tokens may write it); by default the token's operator. "
        "Only an admin token may name another operator.",
    )
    schedule: Annotated[list[ScheduledStop] | None, AfterValidator(_in_order)] = Field(
        default=None,
        max_length=MAX_SCHEDULED_STOPS,
        description="the timetable trip's stops with their scheduled times: the train's delay "
        "then counts against them (a train created from a timetable trip carries them)",
    )

    _tz = field_validator("departure")(lambda v: None if v is None else _departure(v))

    @field_validator("via")
    @classmethod
    def _via_once_each(cls, v: list[str] | None) -> list[str] | None:
        if v is not None and len(set(v)) != len(v):
            twice = sorted({x for x in v if v.count(x) > 1})
            raise ValueError(f"a train passes each crossing once: {', '.join(twice)} is named twice")
        return v

    @model_validator(mode="after")
    def _trip_or_places(self) -> TrainIn:
        if (self.trip_id is None) != (self.start_date is None):
            raise ValueError("give trip_id and start_date together: a trip runs on many days")
        if self.trip_id is not None:
            given = [k for k in ("origin", "destination", "schedule", "via") if getattr(self, k) is not None]
            if given:
                raise ValueError(
                    f"a train of trip '{self.trip_id}' runs the trip's stops at its scheduled times: "
                    f"drop {', '.join(given)}"
                )
            return self
        missing = [k for k in ("name", "origin", "destination", "departure") if getattr(self, k) is None]
        if missing:
            raise ValueError(
                f"give {', '.join(missing)} (or the timetable trip it runs: trip_id and start_date)"
            )
        return self


class PositionEvent(_Payload):
    event_id: Name
    train_id: TrainId
    time: Time
    kind: Literal["position"]
    lat: Number = Field(ge=-90, le=90)
    lon: Number = Field(ge=-180, le=180)

    _tz = field_validator("time")(_aware)


class MilestoneEvent(_Payload):
    event_id: Name
    train_id: TrainId
    time: Time
    kind: Literal["milestone"]
    milestone: Literal[
        "departed", "border_entry", "border_exit", "gauge_change_start", "gauge_change_done", "arrived"
    ]
    at: Name

    _tz = field_validator("time")(_aware)


Event = Annotated[PositionEvent | MilestoneEvent, Field(discriminator="kind")]
AnyEvent = PositionEvent | MilestoneEvent  # an event once validated


class EventBatch(_Payload):
    """The body of POST /events, for the OpenAPI document: the service validates each event on
    its own (a bad event is rejected alone), not the batch as a whole."""

    events: list[Event] = Field(max_length=MAX_BATCH, description=f"at most {MAX_BATCH:,} events per batch")


class Rejected(BaseModel):
    index: int
    error: str


class BatchResult(BaseModel):
    accepted: int
    duplicates: int
    rejected: list[Rejected]


class Position(BaseModel):
    lat: float
    lon: float
    time: datetime


class TrainState(BaseModel):
    id: str
    name: str
    trip_id: str | None = None  # the timetable trip it runs, and its service date
    start_date: date | None = None
    status: Literal["planned", "running", "at_crossing", "arrived"]
    origin: str
    destination: str
    departure: datetime
    last_position: Position | None
    progress_km: float
    remaining_km: float
    eta: datetime
    planned_arrival: datetime
    delay_h: float
    next_event: str | None


class TrainCreated(BaseModel):
    id: str
    eta: datetime
    route: dict[str, object]


class Alert(BaseModel):
    id: int
    train_id: str
    kind: Literal["late", "dwell", "silent", "off_route"]
    message: str
    time: datetime
