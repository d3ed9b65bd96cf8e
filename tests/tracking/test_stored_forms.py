"""What the tracking layer stores and sends as text: a train's profile read back from its
stored JSON, and the change notifications cut to PostgreSQL's payload limit."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pydantic import ValidationError

from silkrail.tracking.eta import Profile, Stop
from silkrail.tracking.repository import MAX_NOTIFY_BYTES, change_payloads
from tests.tracking.track import profile


def test_a_profile_read_back_from_its_stored_text_is_the_profile() -> None:
    p = profile()
    back = Profile.from_json_text(json.dumps(p.to_json()))
    assert back.stops == p.stops
    for name in ("lat", "lon", "km", "run_h"):
        assert np.array_equal(getattr(back, name), getattr(p, name).round(5))


def test_a_stored_stop_without_its_optional_fields_takes_their_defaults() -> None:
    """Profiles stored before a stop had ``p95_h``, ``aliases`` or ``sigma_log`` (missing, or
    null) read as 0 h, no aliases and no spread."""
    text = json.dumps(
        {
            "lat": [43.6, 43.7],
            "lon": [111.9, 112.0],
            "km": [0.0, 12.5],
            "run_h": [0.0, 0.5],
            "stops": [{"id": None, "name": "Erenhot", "km": 5.0, "dwell_h": 6, "aliases": None}],
        }
    )
    (stop,) = Profile.from_json_text(text).stops
    assert stop == Stop(id=None, name="Erenhot", km=5.0, dwell_h=6.0, p95_h=0.0, aliases=(), sigma_log=0.0)


def test_a_stored_profile_without_its_track_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError, match="run_h"):
        Profile.from_json({"lat": [1.0], "lon": [2.0], "km": [0.0], "stops": []})


def test_change_notifications_name_every_train_and_alert_once_within_the_payload_limit() -> None:
    trains = {f"train-{i:05d}-" + "x" * 40 for i in range(400)}
    alerts = set(range(1, 900))
    payloads = change_payloads(trains, alerts)
    assert len(payloads) > 1  # 400 long ids do not fit in one
    seen_trains: list[str] = []
    seen_alerts: list[int] = []
    for text in payloads:
        assert len(text.encode()) <= MAX_NOTIFY_BYTES
        doc = json.loads(text)
        assert set(doc) == {"trains", "alerts"}
        seen_trains += doc["trains"]
        seen_alerts += doc["alerts"]
    assert seen_trains == sorted(trains) and seen_alerts == sorted(alerts)


def test_no_change_is_no_notification() -> None:
    assert change_payloads([], []) == []
    assert change_payloads(["t1"], []) == ['{"trains":["t1"],"alerts":[]}']
