"""Payloads of the tracking API (one declaration: validation, OpenAPI schema and docs)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

MILESTONES = ("departed", "border_entry", "border_exit", "gauge_change_start", "gauge_change_done", "arrived")
MAX_BATCH = 10_000


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


def _plain(v: str) -> str:
    """Text without control characters (a database would refuse some, a log would garble them)."""
    bad = next((ch for ch in v if ord(ch) < 32 or ord(ch) == 127), None)
    if bad is not None:
        raise ValueError(f"contains the control character U+{ord(bad):04X}; give plain text")
    return v


Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_plain)]
TrainId = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_plain)]


class TrainIn(_Payload):
    name: Name
    origin: Name
    destination: Name
    departure: datetime
    teu: float = Field(default=1.0, gt=0, le=1000)

    _tz = field_validator("departure")(_aware)


class PositionEvent(_Payload):
    event_id: Name
    train_id: TrainId
    time: datetime
    kind: Literal["position"]
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)

    _tz = field_validator("time")(_aware)


class MilestoneEvent(_Payload):
    event_id: Name
    train_id: TrainId
    time: datetime
    kind: Literal["milestone"]
    milestone: Literal[
        "departed", "border_entry", "border_exit", "gauge_change_start", "gauge_change_done", "arrived"
    ]
    at: Name

    _tz = field_validator("time")(_aware)


Event = Annotated[PositionEvent | MilestoneEvent, Field(discriminator="kind")]


class EventBatch(_Payload):
    events: list[dict[str, object]] = Field(
        max_length=MAX_BATCH, description=f"at most {MAX_BATCH:,} events per batch"
    )


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
