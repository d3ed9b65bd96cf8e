"""Benchmark: sustained event ingest of the tracking service, SQLite and PostgreSQL.

A real service process on loopback, and a second process (this one) posting batches of
position events from several threads for a bounded time. Printed per backend: sustained
events/s, request latency p50/p99, errors, the CPU each process used, and the ratios to the
target (10,000 events/s, p99 < 100 ms). The baseline, measured in the same run just before:
the same service storing batches in its own process (``--workers 0``); the ratio shows what
the ingest processes add. Then the in-process cost of one ETA update (target < 1 ms per event).

    python bench/ingest_load.py [--seconds 30] [--threads 2] [--batch 160] [--hostile 0.05]

``--hostile F`` mixes a fraction F of hostile requests into the load (no token with a large body,
JSON nested 1,000 deep, border exits dated in year 1 that would poison the learned dwell, events
for an unknown train); the latencies printed are the honest requests' alone, and the hostile
ones are counted by status.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

TOKEN = "bench-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PLACES = [
    ("Hanoi", "Moscow"),
    ("Chongqing", "Duisburg"),
    ("Xi'an", "Almaty"),
    ("Harbin", "Moscow"),
    ("Kunming", "Vientiane"),
    ("Zhengzhou", "Moscow"),
    ("Haiphong", "Kunming"),
    ("Nanning", "Hanoi"),
]


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _cpu_s(pid: int | None = None, tree: bool = True) -> float:
    """CPU seconds (user + system) used so far by a process and (``tree``) its children, the
    service's workers; without ``pid``, by the whole machine."""
    tick = os.sysconf("SC_CLK_TCK")
    if pid is None:
        fields = Path("/proc/stat").read_text().split("\n")[0].split()[1:]
        busy = sum(int(x) for i, x in enumerate(fields) if i not in (3, 4))  # all but idle and iowait
        return busy / tick
    if not tree:
        st = _stat(pid)
        return (int(st[11]) + int(st[12])) / tick
    tree, total = {pid}, 0
    for entry in sorted(Path("/proc").iterdir(), key=lambda e: int(e.name) if e.name.isdigit() else 0):
        if not entry.name.isdigit():
            continue
        try:
            st = _stat(int(entry.name))
        except OSError:
            continue
        if int(entry.name) == pid or int(st[1]) in tree:
            tree.add(int(entry.name))
            total += int(st[11]) + int(st[12])
    return total / tick


def run_backend(
    name: str,
    db_url: str,
    home: Path,
    countries: Path,
    seconds: float,
    threads: int,
    batch: int,
    workers: int,
    hostile: float = 0.0,
) -> tuple[float, float]:
    """Run the load on a fresh service; print and return the sustained events/s and the p99 ms
    of the honest requests."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.service.server import start, stop

    proc, url = start(home, db_url, TOKEN, countries, workers=workers)
    try:
        # one second apart per event and thread: 60 days of past times, never "in the future"
        t0 = datetime.now(UTC) - timedelta(days=60)
        trains = []
        with httpx.Client(base_url=url, headers=AUTH, timeout=60) as c:
            for i in range(40):
                o, d = PLACES[i % len(PLACES)]
                r = c.post(
                    "/api/v1/trains",
                    json={
                        "name": f"bench {i}",
                        "origin": o,
                        "destination": d,
                        "departure": t0.isoformat(),
                        "teu": 80,
                    },
                )
                r.raise_for_status()
                trains.append((r.json()["id"], r.json()["route"]["legs"][0]))
        latencies: list[float] = []
        server_ms: list[float] = []
        errors = [0]
        accepted = [0]
        rejected = [0]
        lock = threading.Lock()

        def bodies(k: int, count: int) -> list[bytes]:
            # encoded before the clock starts: the load generator shares the two cores with the server
            out = []
            for n in range(count):
                events = [
                    {
                        "event_id": f"{k}-{n}-{i}",
                        "train_id": trains[(n + i) % len(trains)][0],
                        "time": (t0 + timedelta(seconds=n * batch + i)).isoformat(),
                        "kind": "position",
                        "lat": 21.0 + (i % 100) * 0.01,
                        "lon": 105.9,
                    }
                    for i in range(batch)
                ]
                out.append(json.dumps({"events": events}).encode())
            return out

        prepared = [bodies(k, int(seconds * 40_000 / batch / threads) + 1) for k in range(threads)]
        attacks = _hostile_bodies(trains[0][0], batch)
        hostile_status: dict[str, int] = {}
        every = round(1 / hostile) if hostile > 0 else 0

        def attack(c: httpx.Client, n: int) -> None:
            kind, body, auth = attacks[n % len(attacks)]
            headers = {"Content-Type": "application/json", **({} if auth else {"Authorization": ""})}
            try:
                status = str(c.post("/api/v1/events", content=body, headers=headers).status_code)
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            with lock:
                key = f"{kind} {status}"
                hostile_status[key] = hostile_status.get(key, 0) + 1

        def worker(k: int) -> None:
            headers = {**AUTH, "Content-Type": "application/json"}
            with httpx.Client(base_url=url, headers=headers, timeout=30) as c:
                for n, body in enumerate(prepared[k]):
                    if time.monotonic() >= deadline:
                        break
                    if every and n % every == every - 1:
                        attack(c, n // every)
                    s = time.perf_counter()
                    try:
                        r = c.post("/api/v1/events", content=body)
                        ok = r.status_code == 200
                        got = r.json()["accepted"] if ok else 0
                        refused = len(r.json()["rejected"]) if ok else 0
                        timing = r.headers.get("server-timing", "dur=0").split("dur=")[-1]
                        with lock:
                            server_ms.append(float(timing))
                    except httpx.HTTPError:
                        ok, got, refused = False, 0, 0
                    with lock:
                        latencies.append(time.perf_counter() - s)
                        accepted[0] += got
                        rejected[0] += refused
                        errors[0] += 0 if ok else 1

        cpu0 = (_cpu_s(proc.pid), _cpu_s(os.getpid(), tree=False), _cpu_s())
        start_t = time.monotonic()
        deadline = start_t + seconds
        pool = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
        for th in pool:
            th.start()
        for th in pool:
            th.join()
        elapsed = time.monotonic() - start_t
        cpu = [
            b - a
            for a, b in zip(cpu0, (_cpu_s(proc.pid), _cpu_s(os.getpid(), tree=False), _cpu_s()), strict=True)
        ]
        lat = sorted(latencies)
        p50 = statistics.median(lat) * 1000
        p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))] * 1000
        rate = accepted[0] / elapsed
        if hostile_status:
            print(f"{'':10s}  hostile requests mixed in: {dict(sorted(hostile_status.items()))}")
        print(
            f"{name:10s} ({workers} ingest processes{', hostile mix' if hostile else ''}): "
            f"{rate:,.0f} events/s sustained over {elapsed:.0f} s "
            f"({accepted[0]:,} ev, "
            f"{len(lat):,} requests of {batch}), latency p50 {p50:.0f} ms p99 {p99:.0f} ms, "
            f"server ingest p50 {statistics.median(server_ms) if server_ms else 0:.0f} ms, "
            f"errors {errors[0]}, events rejected {rejected[0]} "
            f"-> {rate / 10_000:.2f}x the 10,000 events/s target; p99 {p99 / 100:.2f}x the 100 ms bound"
        )
        per_k = 1000 / max(accepted[0], 1) * 1000
        rest = max(cpu[2] - cpu[0] - cpu[1], 0.0)  # tick sampling can make it slightly negative
        print(
            f"{'':10s}  CPU per 1,000 events: service {cpu[0] * per_k:.0f} ms, load generator "
            f"{cpu[1] * per_k:.0f} ms, rest (database, system) {rest * per_k:.0f} ms; "
            f"machine busy {cpu[2] / elapsed / (os.cpu_count() or 1):.0%} of {os.cpu_count()} cores"
        )
        return rate, p99
    finally:
        stop(proc)


def _hostile_bodies(train_id: str, batch: int) -> list[tuple[str, bytes, bool]]:
    """(kind, body, with the token) of the hostile requests mixed into the load."""
    poison = [
        {
            "event_id": f"poison-{uuid.uuid4().hex}",
            "train_id": train_id,
            "time": "0001-01-01T00:00:00Z",
            "kind": "milestone",
            "milestone": "border_exit",
            "at": "Alashankou",
        }
        for _ in range(batch)
    ]
    unknown = [
        {
            "event_id": f"unknown-{i}",
            "train_id": "no-such-train",
            "time": datetime.now(UTC).isoformat(),
            "kind": "position",
            "lat": 21.0,
            "lon": 105.9,
        }
        for i in range(batch)
    ]
    return [
        ("no-token-1MB", b'{"events": [' + b" " * (1 << 20) + b"]}", False),
        ("deep-json", b'{"events": ' + b"[" * 1000 + b"]" * 1000 + b"}", True),
        ("poison", json.dumps({"events": poison}).encode(), True),
        ("unknown-train", json.dumps({"events": unknown}).encode(), True),
    ]


def eta_cost() -> None:
    import silkrail
    from silkrail.routing.query import RouteQuery
    from silkrail.routing.router import router_for
    from silkrail.tracking.eta import build_profile, estimate

    net = silkrail.load_network(progress=False)
    route = router_for(net).route(RouteQuery("Hanoi", "Moscow", mode="rail"))
    profile = build_profile(route, net.crossings)
    now = datetime.now(UTC)
    n = 5000
    s = time.perf_counter()
    for i in range(n):
        km, _ = profile.locate(21.0 + i * 1e-4, 105.9)
        estimate(profile, now=now, progress_km=km, learned={})
    per = (time.perf_counter() - s) / n * 1000
    print(f"ETA update (map-match + estimate) on Hanoi–Moscow: {per:.3f} ms per event (target < 1 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=160)
    parser.add_argument("--workers", type=int, default=2, help="the service's ingest processes")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument(
        "--hostile", type=float, default=0.0, help="fraction of hostile requests mixed in (e.g. 0.05)"
    )
    parser.add_argument(
        "--no-baseline",
        action="store_true",
        help="skip the baseline run (ingest in the service's own process)",
    )
    args = parser.parse_args()
    backends = {b.strip().lower() for b in args.backends.split(",")}
    from silkrail.settings import get_settings
    from silkrail.tracking.devdb import create_database, postgres_cluster

    s = get_settings()
    countries = s.resolve_countries_file()
    assert countries is not None
    load = (s.home, countries, args.seconds, args.threads, args.batch)
    for backend in ("sqlite", "postgresql"):
        if backend not in backends:
            continue
        rates = []
        runs = [(0, 0.0)] if not args.no_baseline else []
        runs += [(args.workers, 0.0)] + ([(args.workers, args.hostile)] if args.hostile else [])
        for workers, hostile in runs:
            if backend == "sqlite":
                with tempfile.TemporaryDirectory() as tmp:
                    rates.append(
                        run_backend(
                            "SQLite", f"sqlite:///{Path(tmp) / 'bench.sqlite'}", *load, workers, hostile
                        )
                    )
            else:
                with postgres_cluster() as cluster:
                    db = create_database(cluster.url, f"bench{workers}")
                    rates.append(run_backend("PostgreSQL", db, *load, workers, hostile))
        if not args.no_baseline:
            print(
                f"{'':10s}  {args.workers} ingest processes: {rates[1][0] / rates[0][0]:.2f}x the events/s "
                "of the baseline measured just before (ingest in the service's own process)"
            )
        if args.hostile:
            clean, mixed = rates[-2], rates[-1]
            print(
                f"{'':10s}  with {args.hostile:.0%} hostile requests: honest events/s "
                f"{mixed[0] / clean[0]:.2f}x, honest p99 {mixed[1] / clean[1]:.2f}x "
                "the run without them just before"
            )
    eta_cost()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
