"""Train summaries and alerts as records: the service's JSON and a pandas table."""

from __future__ import annotations

from silkrail.tracking.core import TrackState
from silkrail.tracking.results import AlertRecord, LastPosition, TrainRecord, TrainSummary, to_frame

from .track import PLANNED, T0, TRAIN, at, profile

TRAIN_RECORD = TrainRecord(TRAIN, "Test train", "Here", "There", T0, PLANNED)


def test_a_summary_names_the_next_stop_and_rounds() -> None:
    """At km 50.04 the next event is the border 50 km ahead; inside it, the border itself."""
    state = TrackState(TRAIN, "running", 50.04, at(13.5), 0.123456, 0.0, 1.0, at(1), at(1))
    s = TrainSummary.of(TRAIN_RECORD, state, profile(), at(1.5))
    assert s.to_dict() == {
        "id": TRAIN,
        "name": "Test train",
        "status": "running",
        "origin": "Here",
        "destination": "There",
        "departure": T0,
        "last_position": {"lat": 0.0, "lon": 1.0, "time": at(1)},
        "progress_km": 50.0,
        "remaining_km": 250.0,
        "eta": at(13.5),
        "planned_arrival": PLANNED,
        "delay_h": 0.12,
        "next_event": "Borderville",
        "updated_at": at(1.5),
        "trip_id": None,
        "start_date": None,
    }
    inside = TrackState(TRAIN, "at_crossing", 200.0, at(14), crossing="Gaugetown", crossing_since=at(11))
    s2 = TrainSummary.of(TRAIN_RECORD, inside, profile(), at(11))
    assert (s2.next_event, s2.last_position, s2.remaining_km) == ("Gaugetown", None, 100.0)
    past = TrackState(TRAIN, "running", 250.0, at(14))
    assert TrainSummary.of(TRAIN_RECORD, past, profile(), at(11)).next_event is None


def test_records_become_a_table() -> None:
    """One row a record, the last position in three columns."""
    s = TrainSummary(
        TRAIN,
        "n",
        "running",
        "a",
        "b",
        T0,
        LastPosition(1.0, 2.0, at(1)),
        5.0,
        6.0,
        at(9),
        PLANNED,
        0.5,
        None,
        at(2),
    )
    frame = to_frame([s, s])
    assert frame.shape == (2, 18)
    assert frame["last_lat"].tolist() == [1.0, 1.0] and "last_position" not in frame.columns
    a = AlertRecord(3, TRAIN, "late", "expected", at(2))
    assert a.to_frame().to_dict("records") == [a.to_dict()]
