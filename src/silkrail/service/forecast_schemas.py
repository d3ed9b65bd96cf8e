"""The forecast's answers as the HTTP API declares them (one declaration: validation of what the
service returns, the OpenAPI document and the typed client). Times are ISO 8601 in UTC; hours
are floats; every band has ``p10``, ``p50`` and ``p90`` (null where no replication had a value)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class HoursBand(_Out):
    """A band in hours: the 10th, 50th and 90th percentiles over the replications."""

    p10: float | None
    p50: float | None
    p90: float | None


class TimeBand(_Out):
    """A band of times: the 10th, 50th and 90th percentiles over the replications."""

    p10: datetime | None
    p50: datetime | None
    p90: datetime | None


class QueuePoint(HoursBand):
    """Trains waiting (not being served) at a time, ``h`` hours from the forecast's state."""

    t: datetime | None
    h: float


class WaitPoint(HoursBand):
    """The wait of the trains arriving in the step from ``t``, and how many arrive (a mean)."""

    t: datetime | None
    h: float
    trains: float


class Peak(_Out):
    t: datetime | None
    h: float
    queue: float


class ClosedWindow(_Out):
    from_: datetime | None = Field(alias="from")
    to: datetime | None


class CrossingOut(_Out):
    """One crossing's forecast: its queue and wait over time, the wait of every train arriving
    within the horizon, how many arrive, when its queue peaks, and when it is closed."""

    id: str
    name: str
    lat: float
    lon: float
    servers: int
    capacity_trains_per_day: float
    trains: float
    queue: list[QueuePoint]
    wait: list[WaitPoint]
    wait_h: HoursBand
    peak: Peak
    closed: list[ClosedWindow]


class VisitOut(_Out):
    crossing: str
    name: str
    arrive: TimeBand
    wait_h: HoursBand


class HoldOut(_Out):
    """A suggested hold: leave later (``departure``) or wait at the last yard before the
    crossing (``yard``), so as to reach it at ``slot``."""

    crossing: str
    name: str
    hours: float
    where: Literal["departure", "yard"]
    slot: datetime | None


class TrainHoldOut(HoldOut):
    train: str


class TrainOut(_Out):
    """One train's forecast: its ETA band (queues included), the crossings ahead, its holds."""

    id: str
    name: str
    destination: str
    status: str
    lat: float | None
    lon: float | None
    eta: TimeBand
    eta_h: HoursBand
    tracker_eta: datetime | None
    crossings: list[VisitOut]
    suggested_hold_h: float
    holds: list[HoldOut]


class CongestionOut(_Out):
    kind: Literal["congestion"]
    crossing: str
    at: datetime | None
    in_h: float
    trains: float
    wait_p90_h: float
    message: str


class SlotCrossingOut(_Out):
    crossing: str
    name: str
    trains: int
    fcfs_wait_h: float
    border_wait_h: float
    yard_hold_h: float
    departure_hold_h: float
    saved_h: float
    peak_queue_fcfs: float | None
    peak_queue_slotted: float | None


class WaitsOut(_Out):
    border_wait_h: float
    yard_hold_h: float
    departure_hold_h: float
    wait_h: float


class SlotsOut(_Out):
    """The suggested slots: per crossing, each hold, and the waits first come, first served and
    with the slots (hours, means over the replications); ``saved_h``: the difference."""

    method: str
    crossings: list[SlotCrossingOut]
    holds: list[TrainHoldOut]
    fcfs: WaitsOut | None
    slotted: WaitsOut | None
    saved_h: float | None


class ForecastOut(_Out):
    """The live forecast (``GET /api/v1/forecast``)."""

    generated_at: datetime
    state_at: datetime = Field(description="the time of the live state the forecast starts from")
    horizon_h: float
    replications: int
    seed: int
    crossings: list[CrossingOut]
    trains: list[TrainOut]
    alerts: list[CongestionOut]
    slots: SlotsOut | None
    left_out: int = Field(description="trains not forecast: silent too long, or leaving after the horizon")
    seconds: float
    notes: list[str]


class CrossingTrainOut(_Out):
    id: str
    name: str
    status: str
    arrive: TimeBand
    wait_h: HoursBand
    holds: list[HoldOut]


class CrossingForecastOut(_Out):
    """One crossing's forecast and the trains heading to it (``GET /api/v1/forecast/crossings/{id}``)."""

    generated_at: datetime
    state_at: datetime
    horizon_h: float
    crossing: CrossingOut
    trains: list[CrossingTrainOut]
    alerts: list[CongestionOut]


class TrainForecastOut(_Out):
    """A train's forecast inside ``GET /api/v1/trains/{id}``."""

    generated_at: datetime
    state_at: datetime
    eta: TimeBand
    eta_h: HoursBand
    suggested_hold_h: float
    holds: list[HoldOut]
    crossings: list[VisitOut]


class RerouteOut(_Out):
    avoids: list[str]
    via: list[str]
    countries: list[str]
    distance_km: float
    eta: datetime | None
    saves_h: float
    better: bool
    path: list[list[float]] = Field(description="the route's track, [lon, lat] pairs, simplified")


class AffectedOut(_Out):
    id: str
    name: str
    destination: str
    status: str
    lat: float | None
    lon: float | None
    eta_before: TimeBand
    eta_after: TimeBand
    delay_h: float
    reroute: RerouteOut | None
    note: str | None


class QueueChangeOut(_Out):
    id: str
    name: str
    lat: float
    lon: float
    peak_queue_before: float
    peak_queue_after: float
    wait_p90_h_before: float
    wait_p90_h_after: float
    trains_before: float
    trains_after: float


class WhatIfSummary(_Out):
    affected: int
    delay_h: float
    rerouted: int
    saved_by_reroutes_h: float


class WhatIfOut(_Out):
    """The difference a change makes to the live forecast (``POST /api/v1/forecast/what-if``)."""

    change: dict[str, dict[str, object]]  # the change as asked (WhatIfRequest), as it is
    generated_at: datetime
    state_at: datetime
    horizon_h: float
    replications: int
    affected: list[AffectedOut]
    queues: list[QueueChangeOut]
    added: list[TrainOut]
    summary: WhatIfSummary
    alerts: list[CongestionOut]
    seconds: float
