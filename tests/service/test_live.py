"""End to end against a real service process: the dashboard in headless Chromium, and a SIGKILL
during ingest that must lose no acknowledged event (schemathesis: test_schemathesis.py)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO
from tests.service.server import running, start

pytestmark = pytest.mark.integration
TOKEN = "live-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ARTEFACTS = REPO / "out" / "test-artefacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
T0 = datetime.now(UTC) - timedelta(days=2)


@pytest.fixture(scope="module")
def live(real_net, real_settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    db = f"sqlite:///{tmp_path_factory.mktemp('live') / 'tracking.sqlite'}"
    # as `silkrail serve` runs by default: two ingest processes
    with running(real_settings.home, db, TOKEN, real_settings.countries_file, workers=2) as url:
        yield url


def _position(event_id: str, tid: str, hours: float, lat: float, lon: float) -> dict[str, object]:
    """A position event ``hours`` after T0."""
    return {
        "event_id": event_id,
        "train_id": tid,
        "time": (T0 + timedelta(hours=hours)).isoformat(),
        "kind": "position",
        "lat": lat,
        "lon": lon,
    }


def _train(url: str, name: str) -> str:
    r = httpx.post(
        f"{url}/api/v1/trains",
        headers=AUTH,
        timeout=30,
        json={
            "name": name,
            "origin": "Hanoi",
            "destination": "Moscow",
            "departure": T0.isoformat(),
            "teu": 80,
        },
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_dashboard_shows_trains_and_alerts(live: str) -> None:
    """The page loads with the network; a train posted through the API appears on the map and in
    the list; an alert appears in the panel. The screenshot is kept as a test artefact."""
    from playwright.sync_api import sync_playwright

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 850})
        page.goto(live + "/")
        page.wait_for_selector("body[data-ready='1']", timeout=60_000)
        tid = _train(live, "FESCO Vietnam Shuttle 2025-11")
        ev = [_position(f"d-{tid}-1", tid, 20, 22.9, 108.3)]
        assert httpx.post(f"{live}/api/v1/events", headers=AUTH, json={"events": ev}).json()["accepted"] == 1
        page.wait_for_selector(f".train-marker[data-id='{tid}']", timeout=30_000)
        page.wait_for_selector(f"#trains tr[data-id='{tid}']", timeout=30_000)
        far = [_position(f"d-{tid}-2", tid, 21, 10.0, 90.0)]
        httpx.post(f"{live}/api/v1/events", headers=AUTH, json={"events": far})
        page.wait_for_selector("#alerts li[data-kind='off_route']", timeout=30_000)
        assert "FESCO Vietnam Shuttle 2025-11" in page.inner_text("#trains")
        page.screenshot(path=str(ARTEFACTS / "dashboard.png"))
        browser.close()
    assert (ARTEFACTS / "dashboard.png").stat().st_size > 50_000


def test_sigkill_during_ingest_loses_no_acknowledged_event(real_net, real_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Batches are posted while the service and its two ingest processes are killed with SIGKILL;
    every event of every batch the service acknowledged is in the database afterwards."""
    db_file = tmp_path / "tracking.sqlite"
    proc, url = start(
        real_settings.home, f"sqlite:///{db_file}", TOKEN, real_settings.countries_file, workers=2
    )
    tid = _train(url, "kill test")
    acked: list[str] = []
    stop = threading.Event()

    def post() -> None:
        n = 0
        with httpx.Client(timeout=10) as client:
            while not stop.is_set():
                batch = [_position(f"k{n}-{i}", tid, n / 60, 21.3 + i * 1e-4, 106.1) for i in range(200)]
                n += 1
                try:
                    r = client.post(f"{url}/api/v1/events", headers=AUTH, json={"events": batch})
                except httpx.HTTPError:
                    return
                if r.status_code == 200 and r.json()["accepted"] + r.json()["duplicates"] == len(batch):
                    acked.extend(e["event_id"] for e in batch)

    worker = threading.Thread(target=post)
    worker.start()
    deadline = datetime.now() + timedelta(seconds=30)
    while len(acked) < 2000 and datetime.now() < deadline:
        threading.Event().wait(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the service and its ingest processes at once
    proc.wait(10)
    if proc.stderr:
        proc.stderr.close()
    stop.set()
    worker.join(15)
    assert len(acked) >= 2000
    with sqlite3.connect(db_file) as conn:
        stored = {r[0] for r in conn.execute("SELECT event_id FROM events")}
    assert set(acked) <= stored


def test_a_closed_stream_is_let_go(live: str) -> None:
    """A dashboard tab that closes its WebSocket is dropped at once, not at the next update (an
    open stream would also hold a stopping service)."""
    from websockets.sync.client import connect

    def streams() -> int:
        return int(httpx.get(f"{live}/health", timeout=10).json()["streams"])

    def settles_at(n: int) -> bool:  # the count follows the socket a moment later
        for _ in range(100):
            if streams() == n:
                return True
            threading.Event().wait(0.05)
        return False

    with connect(live.replace("http", "ws") + "/api/v1/stream", open_timeout=30):
        assert settles_at(1)
    assert settles_at(0)


def test_demo_feed_replays_into_the_service(live: str, real_net, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A day of demo events for the seed services: every event accepted, none rejected; the
    trains are under way with ETAs; replaying again only finds duplicates."""
    from silkrail.replay import replay
    from silkrail.tracking.feed import demo_day, demo_feed, write_feed

    feed = tmp_path / "feed.jsonl"
    n = write_feed(demo_feed(real_net, demo_day(), trains_per_service=1, every_min=60), feed)
    events = sum(1 for line in feed.read_text().splitlines() if '"type": "event"' in line)
    assert events > 50 and n == events + 8
    totals = replay(feed, live, TOKEN, speed=0)
    assert totals == {"trains": 8, "accepted": events, "duplicates": 0, "rejected": 0}
    trains = httpx.get(f"{live}/api/v1/trains").json()
    mine = [t for t in trains if t["name"].endswith("#1")]
    assert len(mine) == 8
    assert sum(t["status"] in ("running", "at_crossing", "arrived") for t in mine) >= 6


def test_live_replay_posts_the_past_at_once_and_the_rest_when_due(
    live: str, real_net, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """`replay --live` against a clock that stands 6 h before the end of the feed: every earlier
    event is posted before the first wait, then it waits for each later event's own time; a feed
    of another window does not collide with the one replayed before."""
    from silkrail.replay import replay
    from silkrail.tracking.feed import demo_day, demo_feed, write_feed

    start = demo_day() - timedelta(days=2)  # a window of its own, all in the past
    feed = tmp_path / "live.jsonl"
    write_feed(demo_feed(real_net, start, trains_per_service=1, every_min=120), feed)
    times = sorted(
        datetime.fromisoformat(json.loads(line)["time"])
        for line in feed.read_text().splitlines()
        if '"type": "event"' in line
    )
    clock = [start + timedelta(hours=18)]
    past = sum(t <= clock[0] for t in times)
    assert 0 < past < len(times)
    waits: list[float] = []
    caught: list[tuple[dict[str, int], datetime]] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += timedelta(seconds=seconds)

    totals = replay(
        feed,
        live,
        TOKEN,
        live=True,
        now=lambda: clock[0],
        sleep=sleep,
        caught_up=lambda so_far, due: caught.append((so_far, due)),
    )
    assert len(caught) == 1 and caught[0][0]["accepted"] == past
    assert caught[0][1] == min(t for t in times if t > start + timedelta(hours=18))
    assert totals["accepted"] == len(times) and totals["duplicates"] == 0 and totals["rejected"] == 0
    assert sum(waits) == pytest.approx((times[-1] - (start + timedelta(hours=18))).total_seconds())


def test_a_demo_service_named_via_a_crossing_is_planned_through_it(real_net) -> None:  # type: ignore[no-untyped-def]
    """The demo's services between two places (no timetable trip) that say "via X" in their name
    name X's crossing, and a tracked train of theirs (the body the demo feed posts) is planned
    through it, whichever way is fastest on the day's model."""
    from datetime import UTC, datetime

    from silkrail.routing.router import router_for
    from silkrail.tracking.feed import SEED_SERVICES, demo_feed
    from silkrail.tracking.model import TrainIn
    from silkrail.tracking.planner import NetworkPlanner

    planner = NetworkPlanner(real_net, router_for(real_net))
    named = [s for s in SEED_SERVICES if s.trip is None and " via " in s.name]
    assert len(named) >= 3
    lines = list(demo_feed(real_net, datetime(2026, 12, 3, tzinfo=UTC), trains_per_service=1))
    posted = {x["name"].rsplit(" #", 1)[0]: x for x in lines if x.get("type") == "train"}
    for service in named:
        town = service.name.split(" via ")[1]
        body = posted[service.name]
        assert body["via"] == list(service.via) and any(town.lower() in v for v in service.via)
        plan = planner.plan(TrainIn.model_validate({k: v for k, v in body.items() if k not in ("type", "ref")}))
        crossings = [e["at"] for e in plan.route["events"] if e["kind"] == "border_crossing"]
        assert any(town in c for c in crossings), (service.name, crossings)
