"""Faults outside the client's control: the database going away and coming back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from silkrail.service.app import ServiceSettings, create_app
from silkrail.tracking.devdb import create_database, postgres_cluster
from tests.service.conftest import AUTH, TOKEN

pytestmark = pytest.mark.integration
T0 = datetime.now(UTC) - timedelta(days=1)


def test_a_database_outage_gives_503_and_loses_nothing(real_net, real_settings) -> None:  # type: ignore[no-untyped-def]
    """With PostgreSQL stopped, writes and reads answer 503 with Retry-After and a message (no
    500, no traceback) and acknowledge nothing; once it is back, the same batch is stored whole."""
    with postgres_cluster() as cluster:
        url = create_database(cluster.url, "outage")
        settings = ServiceSettings(
            db_url=url, tokens=frozenset({TOKEN}), home=real_settings.home, silent_check_s=3600
        )
        with TestClient(create_app(settings)) as c:
            train = {"name": "x", "origin": "Hanoi", "destination": "Moscow", "departure": T0.isoformat()}
            tid = c.post("/api/v1/trains", headers=AUTH, json=train).json()["id"]
            batch = [
                {
                    "event_id": f"o{i}",
                    "train_id": tid,
                    "time": (T0 + timedelta(minutes=i)).isoformat(),
                    "kind": "position",
                    "lat": 21.1 + i * 0.01,
                    "lon": 105.95,
                }
                for i in range(50)
            ]
            cluster.stop()
            answers = [
                c.post("/api/v1/events", headers=AUTH, json={"events": batch}),
                c.post("/api/v1/trains", headers=AUTH, json=train),
                c.get("/api/v1/trains"),
                c.get(f"/api/v1/trains/{tid}"),
            ]
            for r in answers:
                assert r.status_code == 503, (r.request.url, r.text)
                assert r.headers["retry-after"] == "1" and "database" in r.json()["error"]
                assert "Traceback" not in r.text and "psycopg" not in r.text
            cluster.start()
            r = c.post("/api/v1/events", headers=AUTH, json={"events": batch})
            assert r.status_code == 200 and r.json() == {"accepted": 50, "duplicates": 0, "rejected": []}
            assert (
                len(c.get("/api/v1/trains").json()) == 1
            )  # the train refused during the outage is not there
