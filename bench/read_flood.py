"""Benchmark: the service under a routing flood from one client without a token.

A real service process as ``silkrail serve`` runs it by default (2 ingest processes, read
workers as configured, the default per-client quotas), on loopback. First the baseline, measured
in the same run: for ``--quiet`` seconds, /health polled every 100 ms and an authenticated
10-event batch posted every 100 ms, with nothing else going on. Then the flood: ``--in-flight``
(50) requests for costly routes (10 alternatives each, pairs that change) kept in flight for
``--seconds`` (60) by one client without a token, which retries at once whatever it is told,
while /health and the batches are measured the same way. Printed: p50/p99 of /health and of the
batches in both phases, the ratios to the baseline and to the goals (/health p99 < 100 ms,
ingest p99 < 250 ms), the flood's answers by status, and how busy the machine was.

    python bench/read_flood.py [--seconds 60] [--in-flight 50] [--quiet 15] [--read-workers 1] [--no-quota]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

TOKEN = "flood-bench-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PAIRS = [
    ("Hanoi", "Moscow"),
    ("Kunming", "Paris"),
    ("Chengdu", "Madrid"),
    ("Xi'an", "Hamburg"),
    ("Beijing", "Warsaw"),
    ("Shanghai", "Prague"),
    ("Wuhan", "Vienna"),
    ("Chongqing", "Duisburg"),
]
GOAL_HEALTH_MS, GOAL_INGEST_MS = 100.0, 250.0


def _busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(fields) - fields[3] - fields[4]) / tick, sum(fields) / tick


def _rss_mb(pid: int) -> dict[str, float]:
    """Resident memory (MB) of the service process and of its workers, by their names."""
    out: dict[str, float] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if int(status.parent.name) == pid or int(fields.get("PPid", "0").strip()) == pid:
            name = fields["Name"].strip()
            out[name] = out.get(name, 0.0) + int(fields.get("VmRSS", "0 kB").split()[0]) / 1024
    return out


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Probe:
    """/health and 10-event batches, each every 100 ms from threads of their own, timed."""

    def __init__(self, name: str, url: str, train: str, t0: datetime) -> None:
        self.name, self.url, self.train, self.t0 = name, url, train, t0
        self.health: list[float] = []
        self.ingest: list[float] = []
        self.failures: Counter[str] = Counter()
        self.n = 0
        self._stop = threading.Event()

    def _health(self) -> None:
        with httpx.Client(timeout=60) as c:
            while not self._stop.is_set():
                s = time.perf_counter()
                try:
                    ok = c.get(f"{self.url}/health").status_code == 200
                except httpx.HTTPError as exc:
                    ok, name = False, type(exc).__name__
                    self.failures[f"health {name}"] += 1
                self.health.append((time.perf_counter() - s) * 1000)
                if not ok:
                    self.failures["health not 200"] += 1
                time.sleep(0.1)

    def _ingest(self) -> None:
        with httpx.Client(timeout=60, headers=AUTH) as c:
            while not self._stop.is_set():
                self.n += 1
                events = [
                    {
                        "event_id": f"{self.name}{self.n}-{i}",
                        "train_id": self.train,
                        "time": (self.t0 + timedelta(seconds=self.n * 10 + i)).isoformat(),
                        "kind": "position",
                        "lat": 21.3,
                        "lon": 106.1,
                    }
                    for i in range(10)
                ]
                s = time.perf_counter()
                try:
                    r = c.post(f"{self.url}/api/v1/events", json={"events": events})
                    if r.status_code != 200 or r.json()["accepted"] != 10:
                        self.failures[f"ingest {r.status_code}"] += 1
                except httpx.HTTPError as exc:
                    self.failures[f"ingest {type(exc).__name__}"] += 1
                self.ingest.append((time.perf_counter() - s) * 1000)
                time.sleep(0.1)

    def run(self, seconds: float) -> None:
        threads = [threading.Thread(target=self._health), threading.Thread(target=self._ingest)]
        for t in threads:
            t.start()
        time.sleep(seconds)
        self._stop.set()
        for t in threads:
            t.join()


async def _flood(url: str, in_flight: int, seconds: float, answers: Counter[str]) -> None:
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    async with httpx.AsyncClient(timeout=120, limits=limits) as c:

        async def one(k: int) -> None:
            n = 0
            while time.monotonic() < deadline:
                o, d = PAIRS[(k + n) % len(PAIRS)]
                n += 1
                try:
                    r = await c.get(
                        f"{url}/api/v1/route", params={"origin": o, "destination": d, "alternatives": 10}
                    )
                    answers[str(r.status_code)] += 1
                except httpx.HTTPError as exc:
                    answers[type(exc).__name__] += 1

        await asyncio.gather(*(one(k) for k in range(in_flight)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--in-flight", type=int, default=50)
    parser.add_argument("--quiet", type=float, default=15, help="seconds of the baseline")
    parser.add_argument("--read-workers", type=int, default=1)
    parser.add_argument(
        "--no-quota",
        action="store_true",
        help="no per-client rate or cap: the bounded pool alone stands between the flood and the rest",
    )
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.service.server import start, stop

    from silkrail.settings import get_settings

    s = get_settings()
    countries = s.resolve_countries_file()
    assert countries is not None
    env = {  # the service's own defaults: the quotas of `silkrail serve`, not the tests' unlimited ones
        "SILKRAIL_QUOTA_ANONYMOUS": "1e9,1e9,1000" if args.no_quota else "10,60,2",
        "SILKRAIL_QUOTA_TOKEN": "1000,5000,4",
        "SILKRAIL_READ_WORKERS": str(args.read_workers),
    }
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start(
            s.home, f"sqlite:///{Path(tmp) / 'flood.sqlite'}", TOKEN, countries, workers=2, env=env
        )
        try:
            t0 = datetime.now(UTC) - timedelta(days=20)
            train = httpx.post(
                f"{url}/api/v1/trains",
                headers=AUTH,
                json={
                    "name": "probe",
                    "origin": "Hanoi",
                    "destination": "Moscow",
                    "departure": t0.isoformat(),
                },
                timeout=120,
            ).json()["id"]
            quiet = Probe("quiet", url, train, t0)
            b0 = _busy()
            quiet.run(args.quiet)
            b1 = _busy()
            flooded = Probe("flood", url, train, t0 + timedelta(days=5))
            answers: Counter[str] = Counter()
            flood = threading.Thread(
                target=lambda: asyncio.run(_flood(url, args.in_flight, args.seconds, answers))
            )
            flood.start()
            time.sleep(1.0)  # the flood at full strength
            flooded.run(args.seconds - 2)
            flood.join()
            b2 = _busy()
            reads = httpx.get(f"{url}/health", timeout=60).json()["reads"]
            rss = _rss_mb(proc.pid)
        finally:
            stop(proc)
    cores = os.cpu_count() or 1
    print(
        f"machine: {cores} cores, load average {os.getloadavg()[0]:.1f}; busy "
        f"{(b1[0] - b0[0]) / (b1[1] - b0[1]):.0%} in the baseline, {(b2[0] - b1[0]) / (b2[1] - b1[1]):.0%} "
        "under the flood (all processes of the machine)"
    )
    for name, p in (
        ("baseline (no flood)", quiet),
        (f"flood ({args.in_flight} in flight, no token)", flooded),
    ):
        print(
            f"{name:34s} /health p50 {_pct(p.health, 0.5):6.1f} ms p99 {_pct(p.health, 0.99):6.1f} ms "
            f"({len(p.health)}); ingest p50 {_pct(p.ingest, 0.5):6.1f} ms p99 {_pct(p.ingest, 0.99):6.1f} ms "
            f"({len(p.ingest)} batches of 10); failures {dict(p.failures) or 0}"
        )
    hp99, ip99 = _pct(flooded.health, 0.99), _pct(flooded.ingest, 0.99)
    print(
        f"under the flood: /health p99 {hp99 / _pct(quiet.health, 0.99):.2f}x the baseline, "
        f"{hp99 / GOAL_HEALTH_MS:.2f}x the {GOAL_HEALTH_MS:.0f} ms goal; ingest p99 "
        f"{ip99 / _pct(quiet.ingest, 0.99):.2f}x the baseline, {ip99 / GOAL_INGEST_MS:.2f}x the "
        f"{GOAL_INGEST_MS:.0f} ms goal"
    )
    total = sum(answers.values())
    print(
        f"the flood's {total:,} answers: {dict(sorted(answers.items()))} "
        f"({total / args.seconds:,.0f} a second); read pool at the end: {reads}"
    )
    print("resident memory at the end, MB: " + ", ".join(f"{k} {v:,.0f}" for k, v in sorted(rss.items())))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
