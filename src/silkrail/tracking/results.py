"""What the tracker answers: train summaries, stored alerts, a stored batch and a new train as
frozen records, with ``to_dict()`` (the JSON the service returns) and ``to_frame()`` (a pandas
DataFrame; pandas is imported only then)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from silkrail.tracking.core import TrackState, TrainPlan
from silkrail.tracking.eta import Profile
from silkrail.tracking.values import Doc, Row

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class TrainRecord:
    """A train as planned and stored: what it is, and when it should arrive."""

    id: str
    name: str
    origin: str
    destination: str
    departure: datetime
    planned_arrival: datetime
    operator: str | None = None  # whose train it is (None: an admin's, from before operators)
    trip_id: str | None = None  # the timetable trip it runs, and the trip's service date
    start_date: date | None = None


@dataclass(frozen=True)
class TrainInProgress:
    """A train not arrived yet, as a forecast reads it: the train, its state and its plan."""

    train: TrainRecord
    state: TrackState
    plan: TrainPlan


@dataclass(frozen=True)
class LastPosition:
    lat: float
    lon: float
    time: datetime

    def to_dict(self) -> Doc:
        return {"lat": self.lat, "lon": self.lon, "time": self.time}


@dataclass(frozen=True)
class TrainSummary:
    """A train and where it is, as the service shows it."""

    id: str
    name: str
    status: str
    origin: str
    destination: str
    departure: datetime
    last_position: LastPosition | None
    progress_km: float
    remaining_km: float
    eta: datetime
    planned_arrival: datetime
    delay_h: float
    next_event: str | None
    updated_at: datetime
    operator: str | None = None  # whose train it is (not shown by ``to_dict``)
    trip_id: str | None = None  # the timetable trip it runs, and the trip's service date
    start_date: date | None = None

    @classmethod
    def of(
        cls, train: TrainRecord, state: TrackState, profile: Profile, updated_at: datetime
    ) -> TrainSummary:
        """The summary of a train in ``state``: distances rounded to 0.1 km, the delay to 0.01 h,
        and the next event: the stop it is inside, else the next stop more than 1 km ahead."""
        ahead = [x for x in profile.stops if x.km > state.progress_km + 1.0]
        inside = next((x.name for x in profile.stops if state.crossing and x.key == state.crossing), None)
        return cls(
            id=train.id,
            name=train.name,
            trip_id=train.trip_id,
            start_date=train.start_date,
            status=state.status,
            origin=train.origin,
            destination=train.destination,
            departure=train.departure,
            last_position=None
            if state.position_time is None
            else LastPosition(state.last_lat, state.last_lon, state.position_time),  # type: ignore[arg-type]
            progress_km=round(state.progress_km, 1),
            remaining_km=round(max(profile.total_km - state.progress_km, 0.0), 1),
            eta=state.eta,
            planned_arrival=train.planned_arrival,
            delay_h=round(state.delay_h, 2),
            next_event=inside or (ahead[0].name if ahead else None),
            updated_at=updated_at,
            operator=train.operator,
        )

    def _before_position(self) -> Row:
        return {
            "id": self.id,
            "name": self.name,
            "trip_id": self.trip_id,
            "start_date": self.start_date,
            "status": self.status,
            "origin": self.origin,
            "destination": self.destination,
            "departure": self.departure,
        }

    def _after_position(self) -> Row:
        return {
            "progress_km": self.progress_km,
            "remaining_km": self.remaining_km,
            "eta": self.eta,
            "planned_arrival": self.planned_arrival,
            "delay_h": self.delay_h,
            "next_event": self.next_event,
            "updated_at": self.updated_at,
        }

    def to_dict(self) -> Doc:
        pos = self.last_position
        return {
            **self._before_position(),
            "last_position": None if pos is None else pos.to_dict(),
            **self._after_position(),
        }

    def row(self) -> Row:
        """A flat row: the fields of ``to_dict`` with the last position as ``last_lat``,
        ``last_lon``, ``position_time`` (at the end)."""
        pos = self.last_position
        return {
            **self._before_position(),
            **self._after_position(),
            "last_lat": None if pos is None else pos.lat,
            "last_lon": None if pos is None else pos.lon,
            "position_time": None if pos is None else pos.time,
        }

    def to_frame(self) -> pd.DataFrame:
        return to_frame([self])


@dataclass(frozen=True)
class AlertRecord:
    """A stored alert: numbered in the order alerts were raised."""

    id: int
    train_id: str
    kind: str
    message: str
    time: datetime
    operator: str | None = None  # of the alert's train (not shown by ``to_dict``)

    def to_dict(self) -> Doc:
        return self.row()

    def row(self) -> Row:
        return {
            "id": self.id,
            "train_id": self.train_id,
            "kind": self.kind,
            "message": self.message,
            "time": self.time,
        }

    def to_frame(self) -> pd.DataFrame:
        return to_frame([self])


@dataclass(frozen=True)
class Rejection:
    """An event of a batch that was not stored: its index in the batch, and why (the field first:
    ``time: ...``, ``train_id: ...``)."""

    index: int
    error: str

    def to_dict(self) -> Doc:
        return {"index": self.index, "error": self.error}


@dataclass(frozen=True)
class IngestResult:
    """What a stored batch did: events stored, repeats of stored events, the events refused (in
    batch order), the trains whose state changed and the alerts raised."""

    accepted: int
    duplicates: int
    rejected: tuple[Rejection, ...]
    changed: tuple[str, ...] = ()
    alerts: tuple[AlertRecord, ...] = ()
    foreign: tuple[str, ...] = ()  # other operators' trains the batch named (for the audit log)

    def to_dict(self) -> Doc:
        """The answer to the batch's client: counts and the refused events."""
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": [r.to_dict() for r in self.rejected],
        }


@dataclass(frozen=True)
class NewTrain:
    """A train just created: its id, planned arrival (its first ETA) and route as JSON."""

    id: str
    eta: datetime
    route: Doc

    def to_dict(self) -> Doc:
        return {"id": self.id, "eta": self.eta, "route": self.route}


@dataclass(frozen=True)
class Cursor:
    """Where a reader of changes has read up to: the newest state change and alert it saw."""

    time: datetime
    alert: int


@dataclass(frozen=True)
class Changes:
    """What changed after a cursor: train summaries, alerts, and the next cursor."""

    trains: list[TrainSummary]
    alerts: list[AlertRecord]
    cursor: Cursor


def to_frame(records: Iterable[TrainSummary | AlertRecord]) -> pd.DataFrame:
    """One row per record (a train's last position in three columns), columns in field order."""
    import pandas as pd

    return pd.DataFrame.from_records([r.row() for r in records])
