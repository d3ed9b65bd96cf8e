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
from silkrail.service.quota import ClientPolicy, Quotas
from silkrail.tracking.devdb import create_database, postgres_cluster

TOKEN = "test-token-" + uuid.uuid4().hex
# tests of other things than the per-client limits: no client is ever slowed down
UNLIMITED = Quotas(anonymous=ClientPolicy(1e9, 1e9, 64), token=ClientPolicy(1e9, 1e9, 64))
UNLIMITED_ENV = {"SILKRAIL_QUOTA_ANONYMOUS": "1e9,1e9,64", "SILKRAIL_QUOTA_TOKEN": "1e9,1e9,64"}


def service_settings(db_url: str, home: Path, **extra: Any) -> ServiceSettings:
    """Settings for an in-process test service: the test token, no silence checks while a test
    runs, no per-client limits (unless ``extra`` sets them)."""
    given: dict[str, Any] = {"tokens": frozenset({TOKEN}), "silent_check_s": 3600, "quotas": UNLIMITED}
    return ServiceSettings(db_url=db_url, home=home, **(given | extra))


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
    with TestClient(create_app(service_settings(db_url, real_settings.home))) as c:
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
