"""Benchmark: sustained event ingest through HAProxy into service instances on one PostgreSQL.

Each run is a fresh database on one throwaway PostgreSQL server, N service instances (each with
its ingest processes) behind HAProxy (Debian's), and this process posting batches of position
events from several threads for a bounded time, through the balancer. The runs, in one go:

1. the baseline: 1 instance with the former global write lock (``SILKRAIL_WRITE_LOCK=global``:
   one advisory lock serialises every batch of every instance);
2. 1 instance with per-train row locks;
3. 2 instances with per-train row locks;
4. the same with a fraction of hostile requests mixed in (``--hostile``, 5 %: no token with a
   large body, JSON nested 1,000 deep, border exits dated in year 1, events for an unknown
   train); the latencies printed are the honest requests' alone.

Printed per run: sustained events/s, request latency p50/p99 (and the servers' own ingest time),
errors, the CPU the services, PostgreSQL, HAProxy and this load generator used per 1,000 events,
the ratios to the baseline and to the goal (50,000 events/s at p99 <= 50 ms); then where one
batch's time goes inside a tracker (a profile by stage), and the cost of one ETA update.

    python bench/ingest_load.py [--seconds 30] [--threads 3] [--batch 160] [--workers 2]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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


@dataclass
class Run:
    """One run's figures: events/s, the honest requests' p99 (ms), and a line to print."""

    rate: float
    p99: float


def _pids_named(name: str) -> list[int]:
    out = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == name:
                out.append(int(comm.parent.name))
        except OSError:
            continue
    return out


def _cpu_of(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += _cpu_s(pid, tree=False)
    return total


def run_load(
    label: str,
    cluster: Any,
    home: Path,
    countries: Path,
    *,
    instances: int,
    lock: str,
    seconds: float,
    threads: int,
    batch: int,
    workers: int,
    hostile: float = 0.0,
) -> Run:
    """One run on a fresh database: ``instances`` services behind HAProxy, ``lock`` 'global' or
    'train', the load for ``seconds``; prints its figures."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.service.balancer import balancer
    from tests.service.server import start, stop

    from silkrail.tracking.devdb import create_database

    db_url = create_database(cluster.url, f"bench_{uuid.uuid4().hex[:8]}")
    env = {
        "SILKRAIL_WRITE_LOCK": lock,
        "SILKRAIL_TRUSTED_PROXIES": "127.0.0.1",
        "SILKRAIL_QUOTA_ANONYMOUS": "10,60,2",  # the defaults: the hostile requests meet them
        "SILKRAIL_QUOTA_TOKEN": "1000,5000,4",
    }
    procs = []
    try:
        for _ in range(instances):
            procs.append(start(home, db_url, TOKEN, countries, workers=workers, env=env))
        with balancer([url for _, url in procs]) as url:
            return _load(label, url, procs, cluster, seconds, threads, batch, hostile)
    finally:
        for proc, _ in procs:
            stop(proc)


def _load(
    label: str,
    url: str,
    procs: list[Any],
    cluster: Any,
    seconds: float,
    threads: int,
    batch: int,
    hostile: float,
) -> Run:
    # one second apart per event and thread: 60 days of past times, never "in the future"
    t0 = datetime.now(UTC) - timedelta(days=60)
    trains = []
    with httpx.Client(base_url=url, headers=AUTH, timeout=120) as c:
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
            trains.append(r.json()["id"])
    latencies: list[float] = []
    server_ms: list[float] = []
    errors: Counter[str] = Counter()
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
                    "train_id": trains[(n + i + k) % len(trains)],
                    "time": (t0 + timedelta(seconds=n * batch + i)).isoformat(),
                    "kind": "position",
                    "lat": 21.0 + (i % 100) * 0.01,
                    "lon": 105.9,
                }
                for i in range(batch)
            ]
            out.append(json.dumps({"events": events}).encode())
        return out

    prepared = [bodies(k, int(seconds * 60_000 / batch / threads) + 1) for k in range(threads)]
    attacks = _hostile_bodies(trains[0], batch)
    hostile_status: Counter[str] = Counter()
    every = round(1 / hostile) if hostile > 0 else 0

    def attack(c: httpx.Client, rogue: httpx.Client, n: int) -> None:
        kind, body, auth = attacks[n % len(attacks)]
        try:
            status = str((c if auth else rogue).post("/api/v1/events", content=body).status_code)
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        with lock:
            hostile_status[f"{kind} {status}"] += 1

    def worker(k: int) -> None:
        headers = {**AUTH, "Content-Type": "application/json"}
        with (
            httpx.Client(base_url=url, headers=headers, timeout=30) as c,
            httpx.Client(base_url=url, timeout=30) as rogue,
        ):
            for n, body in enumerate(prepared[k]):
                if time.monotonic() >= deadline:
                    break
                if every and n % every == every - 1:
                    attack(c, rogue, n // every)
                s = time.perf_counter()
                try:
                    r = c.post("/api/v1/events", content=body)
                    ok = r.status_code == 200
                    got = r.json()["accepted"] if ok else 0
                    refused = len(r.json()["rejected"]) if ok else 0
                    timing = r.headers.get("server-timing", "dur=0").split("dur=")[-1]
                    key = "" if ok else str(r.status_code)
                except httpx.HTTPError as exc:
                    ok, got, refused, timing, key = False, 0, 0, "0", type(exc).__name__
                with lock:
                    latencies.append(time.perf_counter() - s)
                    server_ms.append(float(timing))
                    accepted[0] += got
                    rejected[0] += refused
                    if key:
                        errors[key] += 1

    service_pids = lambda: [p.pid for p, _ in procs]  # noqa: E731
    postmaster = int((Path(cluster.data) / "postmaster.pid").read_text().split()[0])

    def pg_pids() -> list[int]:
        return [postmaster] + [p for p in _pids_named("postgres") if _ppid(p) == postmaster]

    def cpu() -> tuple[float, float, float, float, float]:
        return (
            sum(_cpu_s(pid) for pid in service_pids()),
            _cpu_of(pg_pids()),
            _cpu_of(_pids_named("haproxy")),
            _cpu_s(os.getpid(), tree=False),
            _cpu_s(),
        )

    cpu0 = cpu()
    start_t = time.monotonic()
    deadline = start_t + seconds
    pool = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    elapsed = time.monotonic() - start_t
    used = [b - a for a, b in zip(cpu0, cpu(), strict=True)]
    lat = sorted(latencies)
    p50 = statistics.median(lat) * 1000
    p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))] * 1000
    rate = accepted[0] / elapsed
    if hostile_status:
        print(f"{'':34s}hostile requests mixed in: {dict(sorted(hostile_status.items()))}")
    print(
        f"{label:34s}{rate:8,.0f} events/s over {elapsed:.0f} s ({accepted[0]:,} ev, {len(lat):,} requests "
        f"of {batch}); latency p50 {p50:.0f} ms p99 {p99:.0f} ms; server ingest p50 "
        f"{statistics.median(server_ms) if server_ms else 0:.0f} ms; errors {dict(errors) or 0}, "
        f"events rejected {rejected[0]}"
    )
    per_k = 1_000_000 / max(accepted[0], 1)
    rest = max(used[4] - sum(used[:4]), 0.0)
    print(
        f"{'':34s}CPU per 1,000 events: services {used[0] * per_k:.0f} ms, PostgreSQL {used[1] * per_k:.0f} "
        f"ms, HAProxy {used[2] * per_k:.0f} ms, load generator {used[3] * per_k:.0f} ms, the rest of the "
        f"machine {rest * per_k:.0f} ms; machine busy {used[4] / elapsed / (os.cpu_count() or 1):.0%} of "
        f"{os.cpu_count()} cores"
    )
    return Run(rate, p99)


def _ppid(pid: int) -> int:
    try:
        return int(_stat(pid)[1])
    except (OSError, IndexError, ValueError):
        return -1


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


def profile_batch(cluster: Any, home: Path) -> None:
    """Where one batch's time goes inside a tracker on PostgreSQL: 2,000 positions for 40
    trains, profiled, the time per 1,000 events by stage."""
    import cProfile
    import pstats

    import silkrail
    from silkrail.routing.router import router_for
    from silkrail.service.limits import parse_json
    from silkrail.tracking.devdb import create_database
    from silkrail.tracking.model import TrainIn
    from silkrail.tracking.planner import NetworkPlanner
    from silkrail.tracking.store import migrate
    from silkrail.tracking.tracker import Tracker

    db = create_database(cluster.url, f"profile_{uuid.uuid4().hex[:8]}")
    migrate(db)
    net = silkrail.load_network(progress=False)
    tracker = Tracker.open(db, NetworkPlanner(net, router_for(net)))
    t0 = datetime.now(UTC) - timedelta(days=60)
    trains = [
        tracker.create_train(TrainIn(name=f"p{i}", origin=o, destination=d, departure=t0)).id
        for i, (o, d) in enumerate(PLACES * 5)
    ]
    bodies = [
        json.dumps(
            {
                "events": [
                    {
                        "event_id": f"{b}-{i}",
                        "train_id": trains[(b + i) % len(trains)],
                        "time": (t0 + timedelta(seconds=b * 2000 + i)).isoformat(),
                        "kind": "position",
                        "lat": 21.0 + (i % 100) * 0.01,
                        "lon": 105.9,
                    }
                    for i in range(2000)
                ]
            }
        ).encode()
        for b in range(6)
    ]
    tracker.ingest(parse_json(bodies[0])["events"])  # warm: plans cached, statements prepared
    walls = []
    for body in bodies[1:4]:  # without the profiler: the least of three (the machine is shared)
        s = time.perf_counter()
        tracker.ingest(parse_json(body)["events"])
        walls.append((time.perf_counter() - s) / 2)  # ms per 1,000 events: 2,000 a batch
    wall = min(walls) * 1000
    prof = cProfile.Profile()
    prof.enable()
    for body in bodies[4:]:
        tracker.ingest(parse_json(body)["events"])
    prof.disable()
    stats = pstats.Stats(prof)
    stages = {
        "JSON parsing (parse_json)": ("limits.py", "parse_json"),
        "validation (pydantic)": ("admission.py", "validate"),
        "admission (plans, operators, times)": ("admission.py", "admit"),
        "map-matching (numpy)": ("admission.py", "match"),
        "storing the events (one INSERT)": ("repository.py", "insert_new_events"),
        "locking and reading the states": ("repository.py", "lock_states"),
        "the core (apply, refresh, per train)": ("tracker.py", "_apply_train"),
        "saving the states (one UPDATE)": ("repository.py", "save_states"),
        "the whole ingest": ("tracker.py", "ingest"),
    }
    total = {k: 0.0 for k in stages}
    for (path, _, fn), (_, _, _, cum, _) in stats.stats.items():  # type: ignore[attr-defined]
        for label, (file, name) in stages.items():
            if path.endswith(file) and fn == name:
                total[label] += cum
    whole = total.pop("the whole ingest") + total["JSON parsing (parse_json)"]
    print(
        f"where a batch's time goes in one tracker on PostgreSQL: {wall:.0f} ms per 1,000 events "
        "(2,000 a batch, the least of three), in shares of the profiled time:"
    )
    for label, secs in total.items():
        print(f"  {label:40s} {secs / whole:5.0%}  (~{secs / whole * wall:5.1f} ms per 1,000 events)")
    print(f"  {'the rest (commit, rows, Python glue)':40s} {1 - sum(total.values()) / whole:5.0%}")
    tracker.engine.dispose()


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


GOAL_RATE, GOAL_P99 = 50_000, 50.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--threads", type=int, default=3)
    parser.add_argument("--batch", type=int, default=160)
    parser.add_argument("--workers", type=int, default=2, help="ingest processes per instance")
    parser.add_argument("--hostile", type=float, default=0.05, help="fraction of hostile requests")
    parser.add_argument("--no-profile", action="store_true", help="skip the profile by stage")
    args = parser.parse_args()
    from silkrail.settings import get_settings
    from silkrail.tracking.devdb import postgres_cluster

    s = get_settings()
    countries = s.resolve_countries_file()
    assert countries is not None
    load = {"seconds": args.seconds, "threads": args.threads, "batch": args.batch, "workers": args.workers}
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} before the runs")
    with postgres_cluster() as cluster:
        base = run_load(
            "1 instance, global lock (baseline)",
            cluster,
            s.home,
            countries,
            instances=1,
            lock="global",
            **load,
        )
        one = run_load(
            "1 instance, per-train locks", cluster, s.home, countries, instances=1, lock="train", **load
        )
        two = run_load(
            "2 instances, per-train locks", cluster, s.home, countries, instances=2, lock="train", **load
        )
        rough = run_load(
            f"2 instances, {args.hostile:.0%} hostile",
            cluster,
            s.home,
            countries,
            instances=2,
            lock="train",
            hostile=args.hostile,
            **load,
        )
        for label, r in (
            ("1 instance, per-train", one),
            ("2 instances, per-train", two),
            ("2 instances, hostile", rough),
        ):
            print(
                f"{label:26s} {r.rate / base.rate:.2f}x the events/s of the global-lock baseline measured "
                f"just before, p99 {r.p99 / base.p99:.2f}x; {r.rate / GOAL_RATE:.2f}x the {GOAL_RATE:,} "
                f"events/s goal, p99 {r.p99 / GOAL_P99:.2f}x the {GOAL_P99:.0f} ms goal"
            )
        if not args.no_profile:
            profile_batch(cluster, s.home)
    print(f"machine: load average {os.getloadavg()[0]:.1f} after the runs")
    eta_cost()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
