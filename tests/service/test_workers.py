"""Two ingest processes on one database (SQLite and PostgreSQL): concurrent batches from many
connections, the same events in flight in both processes, and one consistent state afterwards."""

from __future__ import annotations

import json
import random
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.service.server import ingest_pids, start, stop

pytestmark = pytest.mark.integration
TOKEN = "workers-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {TOKEN}"}
T0 = datetime.now(UTC) - timedelta(days=3)


def test_two_ingest_processes_keep_one_consistent_state(db_url: str, real_net, real_settings) -> None:  # type: ignore[no-untyped-def]
    """Four trains' border waits and later positions, every event posted twice from eight
    connections in shuffled batches (so exits may come before entries): each event is accepted
    exactly once, each train ends running at its newest position, the crossing learns all four
    waits (no lost update between processes), and a WebSocket client hears about every train
    (the service relays what the ingest processes stored)."""
    from silkrail.tracking import store

    ready, done = threading.Event(), threading.Event()
    proc, url = start(real_settings.home, db_url, TOKEN, real_settings.countries_file, workers=2)
    try:
        assert len(ingest_pids(proc.pid, expect=2)) == 2
        with httpx.Client(base_url=url, headers=AUTH, timeout=60) as c:
            created = [
                c.post(
                    "/api/v1/trains",
                    json={
                        "name": f"W{i}",
                        "origin": "Hanoi",
                        "destination": "Moscow",
                        "departure": T0.isoformat(),
                    },
                ).json()
                for i in range(4)
            ]
        ids = [t["id"] for t in created]
        route = created[0]["route"]
        first = next(e for e in route["events"] if e["kind"] == "border_crossing")
        crossing, o = first["at"], route["origin"]
        coords = [  # (lon, lat) from the origin towards the first crossing
            (o["lon"] + (first["lon"] - o["lon"]) * k / 40, o["lat"] + (first["lat"] - o["lat"]) * k / 40)
            for k in range(40)
        ]

        heard: set[str] = set()

        def listen() -> None:
            with connect(url.replace("http", "ws") + "/api/v1/stream", open_timeout=30) as ws:
                ready.set()
                while not done.is_set() and len(heard) < len(ids):
                    try:
                        msg = json.loads(ws.recv(timeout=0.5))
                    except TimeoutError:
                        continue
                    except ConnectionClosed:  # the service stopped (a failed test's teardown)
                        return
                    if msg["type"] == "train":
                        heard.add(msg["train"]["id"])

        listener = threading.Thread(target=listen)
        listener.start()
        assert ready.wait(30)

        events: list[dict[str, Any]] = []
        for n, tid in enumerate(ids):
            for k, (lon, lat) in enumerate(coords):
                events.append(
                    {
                        "event_id": f"{n}-p{k}",
                        "train_id": tid,
                        "time": (T0 + timedelta(hours=60, minutes=10 * k)).isoformat(),
                        "kind": "position",
                        "lat": lat,
                        "lon": lon,
                    }
                )
            for k, (milestone, hours) in enumerate((("border_entry", 50), ("border_exit", 56))):
                events.append(
                    {
                        "event_id": f"{n}-m{k}",
                        "train_id": tid,
                        "time": (T0 + timedelta(hours=hours)).isoformat(),
                        "kind": "milestone",
                        "milestone": milestone,
                        "at": crossing,
                    }
                )
        rng = random.Random(7)
        posted = events + events  # every event twice, in different batches
        rng.shuffle(posted)
        batches = [posted[i : i + 12] for i in range(0, len(posted), 12)]
        batches.append([e for e in events if e["event_id"].startswith("0-m")])  # entry and exit together
        results: list[dict[str, Any]] = []
        lock = threading.Lock()

        failures: list[str] = []

        def post(share: list[list[dict[str, Any]]]) -> None:
            with httpx.Client(base_url=url, headers=AUTH, timeout=60) as client:  # its own connection
                for batch in share:
                    r = client.post("/api/v1/events", json={"events": batch})
                    with lock:
                        if r.status_code == 200:
                            results.append(r.json())
                        else:
                            failures.append(f"{r.status_code}: {r.text[:200]}")

        posters = [threading.Thread(target=post, args=(batches[k::8],)) for k in range(8)]
        for th in posters:
            th.start()
        for th in posters:
            th.join(120)
        assert not any(th.is_alive() for th in posters) and failures == []

        assert sum(r["accepted"] for r in results) == len(events)
        assert sum(r["duplicates"] for r in results) == len(events) + 2
        assert all(r["rejected"] == [] for r in results)
        last_lon, last_lat = coords[-1]
        with httpx.Client(base_url=url, timeout=30, headers=AUTH) as c:  # the token's view: in full
            for tid in ids:
                t = c.get(f"/api/v1/trains/{tid}").json()
                assert t["status"] == "running", t
                assert (t["last_position"]["lat"], t["last_position"]["lon"]) == (last_lat, last_lon)
        engine = store.make_engine(db_url)
        try:
            with engine.connect() as conn:
                stored = conn.execute(select(store.events.c.event_id)).scalars().all()
                learned = conn.execute(select(store.crossing_dwell)).all()
        finally:
            engine.dispose()
        assert sorted(stored) == sorted(e["event_id"] for e in events)
        assert [(r.n, round(r.sum_h / r.n, 6)) for r in learned] == [(4, 6.0)]
        listener.join(30)
        done.set()
        assert heard == set(ids)
    finally:
        done.set()
        stop(proc)
