"""A tracker on SQLite with the small fixture network: trains planned through the
Erenhot–Zamyn-Uud crossing, as the tracking tests plan them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from silkrail.network.model import Network
from silkrail.routing.router import Router
from silkrail.tracking.eta import Profile
from silkrail.tracking.model import TrainIn
from silkrail.tracking.planner import NetworkPlanner
from silkrail.tracking.store import migrate
from silkrail.tracking.tracker import Tracker

T0 = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
ORIGIN, DESTINATION = "43.51,112.1667", "44.0,111.55"  # either side of Erenhot–Zamyn-Uud
CROSSING = "erenhot-zamyn-uud"


@pytest.fixture(scope="module")
def router(small_net: Network) -> Router:
    return Router(small_net, home=None)


@pytest.fixture
def tracker(small_net: Network, router: Router, tmp_path: Path) -> Iterator[Tracker]:
    url = f"sqlite:///{tmp_path / 'tracking.sqlite'}"
    migrate(url)
    t = Tracker.open(url, NetworkPlanner(small_net, router))
    yield t
    t.engine.dispose()


def new_train(t: Tracker, name: str, departure: datetime = T0) -> str:
    return t.create_train(TrainIn(name=name, origin=ORIGIN, destination=DESTINATION, departure=departure)).id


def at_km(p: Profile, km: float) -> tuple[float, float]:
    return float(np.interp(km, p.km, p.lat)), float(np.interp(km, p.km, p.lon))


def position(eid: str, tid: str, when: datetime, where: tuple[float, float]) -> dict[str, Any]:
    return {
        "event_id": eid,
        "train_id": tid,
        "time": when.isoformat(),
        "kind": "position",
        "lat": round(where[0], 6),
        "lon": round(where[1], 6),
    }


def milestone(eid: str, tid: str, when: datetime, what: str, at: str = "Erenhot") -> dict[str, Any]:
    return {
        "event_id": eid,
        "train_id": tid,
        "time": when.isoformat(),
        "kind": "milestone",
        "milestone": what,
        "at": at,
    }


def hours(h: float) -> timedelta:
    return timedelta(hours=h)


@pytest.fixture
def fixture_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The command line's environment pointing at the fixture network (built in a home of its own)."""
    from tests.conftest import COUNTRIES_FILE, FIXTURES

    monkeypatch.setenv("SILKRAIL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SILKRAIL_DATA_DIR", str(FIXTURES / "data"))
    monkeypatch.setenv("SILKRAIL_RAIL_FILE", str(FIXTURES / "rail_small.py"))
    monkeypatch.setenv("SILKRAIL_SEA_FILE", str(FIXTURES / "sea_small.geojson"))
    monkeypatch.setenv("SILKRAIL_PORTS_FILE", str(FIXTURES / "ports_small.geojson"))
    monkeypatch.setenv("SILKRAIL_COUNTRIES_FILE", str(COUNTRIES_FILE))
    return tmp_path
