"""Two service instances on one PostgreSQL behind HAProxy: a stream client of one instance hears
what the other stored (LISTEN/NOTIFY), and one instance killed during sustained ingest through
the balancer loses no acknowledged event, stores none twice, and counts each border wait once."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import bindparam, text

from tests.service.balancer import balancer
from tests.service.server import start, stop

pytestmark = pytest.mark.integration
TOKEN = "scale-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {TOKEN}"}
T0 = datetime.now(UTC) - timedelta(days=60)


@dataclass
class Cluster:
    db: str
    instances: list[tuple[Any, str]] = field(default_factory=list)
    lb: str = ""


@pytest.fixture(scope="module")
def cluster(pg_base: str, real_net, real_settings) -> Iterator[Cluster]:  # type: ignore[no-untyped-def]
    from silkrail.tracking.devdb import create_database

    c = Cluster(create_database(pg_base, "scale_" + uuid.uuid4().hex[:8]))
    env = {"SILKRAIL_TRUSTED_PROXIES": "127.0.0.1"}
    try:
        for _ in range(2):
            c.instances.append(
                start(real_settings.home, c.db, TOKEN, real_settings.countries_file, workers=1, env=env)
            )
        with balancer([url for _, url in c.instances]) as lb:
            c.lb = lb
            yield c
    finally:
        for proc, _ in c.instances:
            stop(proc)


def _train(url: str, name: str) -> dict[str, Any]:
    r = httpx.post(
        f"{url}/api/v1/trains",
        headers=AUTH,
        timeout=120,
        json={"name": name, "origin": "Hanoi", "destination": "Moscow", "departure": T0.isoformat()},
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_a_stream_client_of_one_instance_hears_what_the_other_stored(cluster: Cluster) -> None:
    """A WebSocket client of instance 1; a position posted to instance 2 directly: the client
    receives the train (each instance polled only what it had relayed itself before)."""
    from websockets.sync.client import connect

    (_, one), (_, two) = cluster.instances
    tid = _train(two, "fan-out")["id"]
    with connect(one.replace("http", "ws") + "/api/v1/stream", open_timeout=30) as ws:
        time.sleep(0.5)
        ev = {"event_id": "f1", "train_id": tid, "time": (T0 + timedelta(hours=2)).isoformat()}
        ev |= {"kind": "position", "lat": 21.3, "lon": 106.1}
        assert httpx.post(f"{two}/api/v1/events", headers=AUTH, json={"events": [ev]}).json()["accepted"] == 1
        deadline = time.monotonic() + 30
        heard = None
        while time.monotonic() < deadline:
            msg = json.loads(ws.recv(timeout=30))
            if msg["type"] == "train" and msg["train"]["id"] == tid:
                heard = msg["train"]
                break
    assert heard is not None and heard["status"] == "running"


def test_an_instance_killed_during_ingest_loses_nothing_acknowledged(cluster: Cluster) -> None:
    """Two clients post batches through the balancer (positions at a crossing and one 5-minute
    wait there each), sending a batch again until it is answered 200; instance 1 and its ingest
    process are killed with SIGKILL half way. Afterwards every event of every batch is stored
    once, the batches' answers count each event as accepted once (the rest as duplicates), and
    the crossing learned each wait once."""
    route = _train(cluster.lb, "probe")["route"]
    stop_event = next(e for e in route["events"] if e["kind"] == "border_crossing")
    trains = [_train(cluster.lb, f"load {k}")["id"] for k in range(2)]
    reach = T0 + timedelta(days=10)
    posted: list[list[dict[str, Any]]] = []
    answers: list[dict[str, Any]] = []
    codes: dict[str, int] = {}
    lock = threading.Lock()
    done = threading.Event()

    def batch(tid: str, b: int) -> list[dict[str, Any]]:
        start_t = reach + timedelta(hours=b)
        events: list[dict[str, Any]] = [
            {
                "event_id": f"{tid}-{b}-p{i}",
                "train_id": tid,
                "time": (start_t + timedelta(minutes=i)).isoformat(),
                "kind": "position",
                "lat": stop_event["lat"],
                "lon": stop_event["lon"],
            }
            for i in range(40)
        ]
        for name, minute in (("border_entry", 45), ("border_exit", 50)):
            events.append(
                {
                    "event_id": f"{tid}-{b}-{name}",
                    "train_id": tid,
                    "kind": "milestone",
                    "milestone": name,
                    "at": stop_event["at"],
                    "time": (start_t + timedelta(minutes=minute)).isoformat(),
                }
            )
        return events

    def client(tid: str) -> None:
        with httpx.Client(timeout=30, headers=AUTH) as c:
            b = 0
            while not done.is_set():
                events = batch(tid, b)
                b += 1
                for _ in range(200):  # until answered: a batch is idempotent
                    try:
                        r = c.post(f"{cluster.lb}/api/v1/events", json={"events": events})
                        key = str(r.status_code)
                    except httpx.HTTPError as exc:
                        r, key = None, type(exc).__name__
                    with lock:
                        codes[key] = codes.get(key, 0) + 1
                    if r is not None and r.status_code == 200:
                        with lock:
                            posted.append(events)
                            answers.append(r.json())
                        break
                    time.sleep(0.2)
                else:
                    raise AssertionError(f"a batch was not answered 200: {codes}")

    threads = [threading.Thread(target=client, args=(tid,)) for tid in trains]
    for th in threads:
        th.start()
    deadline = time.monotonic() + 60
    while len(answers) < 20 and time.monotonic() < deadline:
        time.sleep(0.1)
    victim, _ = cluster.instances[0]
    os.killpg(victim.pid, signal.SIGKILL)  # the instance and its ingest process at once
    killed_at = len(answers)
    while len(answers) < killed_at + 20 and time.monotonic() < deadline + 60:
        time.sleep(0.1)
    done.set()
    for th in threads:
        th.join(120)
    assert not any(th.is_alive() for th in threads)
    assert len(answers) >= killed_at + 20, codes
    from silkrail.tracking.store import make_engine

    engine = make_engine(cluster.db)
    try:
        with engine.connect() as c:
            query = text("SELECT train_id, event_id FROM events WHERE train_id IN :ids")
            stored = c.execute(query.bindparams(bindparam("ids", expanding=True)), {"ids": trains}).all()
            waits = c.execute(text("SELECT sum(n) FROM crossing_dwell")).scalar()
    finally:
        engine.dispose()
    keys = [(r[0], r[1]) for r in stored]
    acked = {(e["train_id"], e["event_id"]) for events in posted for e in events}
    assert acked <= set(keys)  # no acknowledged event lost
    assert len(keys) == len(set(keys)) == len(acked)  # none stored twice, none stored unanswered
    assert all(a["rejected"] == [] for a in answers)
    assert sum(a["accepted"] for a in answers) <= len(acked)  # no event accepted twice
    assert sum(a["accepted"] + a["duplicates"] for a in answers) == len(acked)
    assert waits == len(posted)  # each batch's wait learned once, retried or not
