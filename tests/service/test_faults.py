"""Faults outside the client's control: the database going away and coming back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from silkrail.service.app import create_app
from silkrail.tracking.devdb import create_database, postgres_cluster
from tests.service.conftest import AUTH, TOKEN, service_settings

pytestmark = pytest.mark.integration
T0 = datetime.now(UTC) - timedelta(days=1)


def test_a_database_outage_gives_503_and_loses_nothing(real_net, real_settings) -> None:  # type: ignore[no-untyped-def]
    """With PostgreSQL stopped, writes and reads answer 503 with Retry-After and a message (no
    500, no traceback) and acknowledge nothing; once it is back, the same batch is stored whole."""
    with postgres_cluster() as cluster:
        url = create_database(cluster.url, "outage")
        settings = service_settings(url, real_settings.home)
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


def test_a_killed_ingest_process_is_replaced(real_net, real_settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """SIGKILL one of the service's two ingest processes: at most the batches in flight get a 503
    saying to send them again, and then batches are stored as before by new processes."""
    import os
    import signal
    import threading

    import httpx

    from tests.service.server import ingest_pids, start, stop

    proc, url = start(
        real_settings.home,
        f"sqlite:///{tmp_path / 't.sqlite'}",
        TOKEN,
        real_settings.countries_file,
        workers=2,
    )
    try:
        with httpx.Client(base_url=url, headers=AUTH, timeout=60) as c:
            train = {"name": "x", "origin": "Hanoi", "destination": "Moscow", "departure": T0.isoformat()}
            tid = c.post("/api/v1/trains", json=train).json()["id"]

            def batch(k: int) -> dict[str, object]:
                return {
                    "events": [
                        {
                            "event_id": f"{k}-{i}",
                            "train_id": tid,
                            "time": (T0 + timedelta(minutes=10 * k + i)).isoformat(),
                            "kind": "position",
                            "lat": 21.1,
                            "lon": 105.95,
                        }
                        for i in range(10)
                    ]
                }

            assert c.post("/api/v1/events", json=batch(0)).json()["accepted"] == 10
            before = ingest_pids(proc.pid, expect=2)
            os.kill(before[0], signal.SIGKILL)
            statuses, stored = [], 0
            for _ in range(3):  # a client that sends again on 503, as the message says
                r = c.post("/api/v1/events", json=batch(1))
                statuses.append(r.status_code)
                if r.status_code == 200:
                    stored = r.json()["accepted"] + r.json()["duplicates"]
                    break
                assert r.status_code == 503 and "send the batch again" in r.json()["error"], r.text
                assert r.headers["retry-after"] == "1"
            assert statuses[-1] == 200 and statuses.count(503) <= 1 and stored == 10
            assert c.post("/api/v1/events", json=batch(2)).json()["accepted"] == 10
            for _ in range(100):  # the new pool is warmed in the background
                if len(ingest_pids(proc.pid)) == 2:
                    break
                threading.Event().wait(0.1)
            assert len(ingest_pids(proc.pid)) == 2 and before[0] not in ingest_pids(proc.pid)
    finally:
        stop(proc)
