"""Service fixtures: the app on SQLite and on a real PostgreSQL server, with the real network."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from silkrail.service.app import ServiceSettings, create_app
from silkrail.tracking.devdb import create_database, postgres_cluster

TOKEN = "test-token-" + uuid.uuid4().hex


@pytest.fixture(scope="session")
def pg_base() -> Iterator[str]:
    with postgres_cluster() as cluster:
        yield cluster.url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tracking.sqlite'}"
    base = request.getfixturevalue("pg_base")
    return create_database(base, "t_" + uuid.uuid4().hex[:12])


@pytest.fixture
def client(db_url: str, real_net, real_settings) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    settings = ServiceSettings(
        db_url=db_url, tokens=frozenset({TOKEN}), home=real_settings.home, silent_check_s=3600
    )
    with TestClient(create_app(settings)) as c:
        yield c


AUTH = {"Authorization": f"Bearer {TOKEN}"}


def position(eid: str, tid: str, t: datetime, lat: float = 21.3, lon: float = 106.1) -> dict[str, Any]:
    """A position event as a client posts it."""
    return {
        "event_id": eid,
        "train_id": tid,
        "time": t.isoformat(),
        "kind": "position",
        "lat": lat,
        "lon": lon,
    }
