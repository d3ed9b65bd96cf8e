"""Benchmark: the live corridor forecast, and ingest while it runs.

1. A forecast of 200 live trains on the real network (the shipped demo feed replayed into a
   tracker, the first 200 trains in progress at its fifth day), 72 h, 100 replications: the live
   state read from the database, the replications, the bands and the slots. Target <= 5 s. The
   baseline is the serial run; beside it the same forecast on Dask (a LocalCluster of 2 worker
   processes started before the clock, and with its start counted), with its ratio to the
   serial run.
2. Ingest latency of a real service process (2 ingest processes) at a steady load, with the
   forecast refreshing back to back (SILKRAIL_FORECAST_EVERY_S=1, no gap) and without it
   (SILKRAIL_FORECAST_EVERY_S=0), alternated A B A B in the same run. Printed: p50 and p99 of
   each and the ratio of the p99 with the forecast to the p99 without (target <= 1.2).

    python bench/forecast.py [--seconds 20] [--rate 20] [--batch 100] [--skip-ingest]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

TOKEN = "bench-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
PLACES = [
    ("Harbin", "Moscow"),
    ("Zhengzhou", "Moscow"),
    ("Chongqing", "Duisburg"),
    ("Xi'an", "Almaty"),
    ("Shenyang", "Novosibirsk"),
    ("Tianjin", "Ulaanbaatar"),
    ("Hanoi", "Moscow"),
]


def forecast_speed(replications: int) -> None:
    import silkrail
    from silkrail.forecast import run_forecast, snapshot
    from silkrail.forecast.demo import SHIPPED_FEED
    from silkrail.forecast.replay import Replayer, read_feed
    from silkrail.simulation.scheduler import dask_client
    from silkrail.tracking.tracker import Tracker

    net = silkrail.load_network(progress=False)
    feed = read_feed(SHIPPED_FEED)
    at = feed.start + timedelta(days=5)
    rp = Replayer.start(feed, net)
    rp.advance(at)
    cold = Tracker.open(str(rp.tracker.engine.url))  # a tracker of its own: no plan cached yet
    t0 = time.perf_counter()
    state = snapshot(cold, net, now=at)
    read_s = time.perf_counter() - t0
    cold.engine.dispose()
    state = replace(state, trains=state.trains[:200])
    gated = sum(1 for t in state.trains for v in t.visits if v.crossing >= 0)
    print(
        f"live state: {len(state.trains)} trains, {len(state.crossings)} crossings, {gated} queues ahead; "
        f"read from the database in {read_s:.2f} s"
    )
    run_forecast(state, replications=5)  # warm the imports
    t0 = time.perf_counter()
    serial = run_forecast(state, replications=replications)
    serial_s = time.perf_counter() - t0 + read_s
    print(
        f"serial (baseline): {serial_s:.2f} s for 200 trains, 72 h, {replications} replications with slots "
        f"-> {serial_s / 5.0:.2f}x the 5 s target"
    )
    t0 = time.perf_counter()
    with dask_client("local", 2, "the forecast bench") as client:
        started = time.perf_counter() - t0
        run_forecast(state, replications=10, client=client)  # the state scattered once, workers warm
        t1 = time.perf_counter()
        on_dask = run_forecast(state, replications=replications, client=client)
        dask_s = time.perf_counter() - t1 + read_s
        t1 = time.perf_counter()
        run_forecast(state, replications=10 * replications, client=client)
        dask_big = time.perf_counter() - t1
    same = [t.eta_h for t in on_dask.trains] == [t.eta_h for t in serial.trains]
    print(
        f"Dask, LocalCluster of 2 processes: {dask_s:.2f} s ({dask_s / serial_s:.2f}x the serial run; "
        f"{dask_s + started:.2f} s with the cluster's start of {started:.1f} s); same bands as serial: {same}"
    )
    t1 = time.perf_counter()
    run_forecast(state, replications=10 * replications)
    serial_big = time.perf_counter() - t1
    print(
        f"{10 * replications} replications: serial {serial_big:.2f} s, Dask {dask_big:.2f} s "
        f"({dask_big / serial_big:.2f}x the serial run)"
    )
    rp.close()


def _start_service(home: Path, every_s: int) -> tuple[object, str]:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.service.server import start

    from silkrail.settings import get_settings

    countries = get_settings().resolve_countries_file()
    db = f"sqlite:///{home / f'bench-{every_s}.sqlite'}"
    env = {"SILKRAIL_FORECAST_EVERY_S": str(every_s), "SILKRAIL_FORECAST_MIN_GAP_S": "0"}
    return start(get_settings().home, db, TOKEN, countries, workers=2, env=env)


def _trains(url: str, n: int) -> list[str]:
    t0 = datetime.now(UTC) - timedelta(days=2)
    ids = []
    with httpx.Client(base_url=url, headers=AUTH, timeout=120) as c:
        for i in range(n):
            o, d = PLACES[i % len(PLACES)]
            r = c.post(
                "/api/v1/trains",
                json={
                    "name": f"bench {i}",
                    "origin": o,
                    "destination": d,
                    "departure": t0.isoformat(),
                    "teu": 82,
                },
            )
            r.raise_for_status()
            ids.append(r.json()["id"])
    return ids


def _load(url: str, ids: list[str], seconds: float, rate: float, batch: int, tag: str) -> list[float]:
    """Post ``rate`` batches a second for ``seconds`` (open loop: each batch at its own time, from
    two threads); the latencies in ms."""
    now = datetime.now(UTC) - timedelta(hours=1)
    bodies = []
    for n in range(int(seconds * rate) + 1):
        events = [
            {
                "event_id": f"{tag}-{n}-{i}",
                "train_id": ids[(n * batch + i) % len(ids)],
                "time": (now + timedelta(milliseconds=n * batch + i)).isoformat(),
                "kind": "position",
                "lat": 45.0,
                "lon": 110.0,
            }
            for i in range(batch)
        ]
        bodies.append(json.dumps({"events": events}).encode())
    latencies: list[float] = []
    lock = threading.Lock()
    start = time.monotonic() + 0.5

    def worker(k: int) -> None:
        with httpx.Client(base_url=url, headers=AUTH, timeout=60) as c:
            for n in range(k, len(bodies), 2):
                due = start + n / rate
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                s = time.perf_counter()
                r = c.post("/api/v1/events", content=bodies[n])
                ms = (time.perf_counter() - s) * 1000
                with lock:
                    latencies.append(ms if r.status_code == 200 else float("inf"))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies


def _p(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def ingest_with_forecast(seconds: float, rate: float, batch: int, trains: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.service.server import stop

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        services = {}
        try:
            for every in (0, 1):
                proc, url = _start_service(home, every)
                services[every] = (proc, url, _trains(url, trains))
            runs: dict[int, list[float]] = {0: [], 1: []}
            refreshes = {}
            for rnd in range(2):
                for every in (0, 1):
                    _, url, ids = services[every]
                    runs[every] += _load(url, ids, seconds, rate, batch, f"r{rnd}")
            for every in (0, 1):
                refreshes[every] = httpx.get(f"{services[every][1]}/health", timeout=30).json()["reads"][
                    "done"
                ]
        finally:
            for proc, _, _ in services.values():
                stop(proc)  # type: ignore[arg-type]
    without, with_ = runs[0], runs[1]
    failed = sum(x == float("inf") for x in without + with_)
    print(
        f"ingest at {rate:g} batches/s of {batch} events ({rate * batch:,.0f} events/s), {trains} trains, "
        f"2 x {seconds:g} s each way, 2 ingest processes; failed requests {failed}"
    )
    print(
        f"  without the forecast: p50 {statistics.median(without):.0f} ms, p99 {_p(without, 0.99):.0f} ms "
        f"(reads done {refreshes[0]})"
    )
    print(
        f"  forecast back to back: p50 {statistics.median(with_):.0f} ms, p99 {_p(with_, 0.99):.0f} ms "
        f"(reads done, forecasts and plans: {refreshes[1]})"
    )
    print(f"  p99 with / without: {_p(with_, 0.99) / _p(without, 0.99):.2f}x (target <= 1.2)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replications", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20.0, help="each of the four ingest runs")
    parser.add_argument("--rate", type=float, default=20.0, help="batches a second")
    parser.add_argument("--batch", type=int, default=100, help="events a batch")
    parser.add_argument("--trains", type=int, default=200)
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    if not args.skip_speed:
        forecast_speed(args.replications)
    if not args.skip_ingest:
        ingest_with_forecast(args.seconds, args.rate, args.batch, args.trains)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
