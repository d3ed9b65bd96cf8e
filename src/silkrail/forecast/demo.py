"""A demo feed with queues and a closure: the recorded feed the backtest ships with, and the live
demo's congestion.

Trains of corridor services leave at a steady rate (with jitter) and run their planned routes
(the router's, as the tracker plans them) at a pace of their own, drawn from the simulation's
running-time factor (0.95 to 1.15 times the planned running time, most likely 1.0). At each
curated crossing they queue for one of its servers (its capacity in trains a day times the
planned dwell, over 24 h: the forecast's own rule) and are served for a dwell drawn around the
planned one (log-normal with the route's spread, or DEFAULT_SIGMA_LOG). One crossing closes once
for a while: trains queue there until it opens. While a train queues it stands a few km before
the border; it reports its position every ``every_min`` minutes, a ``border_entry`` when its
service starts and a ``border_exit`` when it ends, and ``arrived`` at its destination.

The feed is JSON Lines in the format of ``silkrail demo-feed`` (``tracking.feed``): train lines,
then events in time order; ``silkrail replay`` posts it to a service, ``silkrail forecast
backtest`` replays it into a tracker of its own.
"""

from __future__ import annotations

import gzip
import json
import math
import random
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np

from silkrail.forecast.state import DEFAULT_SIGMA_LOG, CrossingSpec, crossing_specs
from silkrail.routing.json_types import JsonObject
from silkrail.simulation.kernel import Kernel
from silkrail.simulation.model import RUN_FACTOR

if TYPE_CHECKING:
    from silkrail.network.model import Network
    from silkrail.tracking.eta import Profile

SHIPPED_FEED = Path(__file__).resolve().parent.parent / "data" / "feeds" / "demo-queues.jsonl.gz"
"""The recorded feed shipped with silkrail (``silkrail forecast demo-feed`` made it)."""
QUEUE_KM = 3.0  # a queueing train stands this far before the crossing


@dataclass(frozen=True)
class DemoService:
    """A service of the demo: trains a day from ``origin`` to ``destination``, through the
    crossings ``via`` (ids, in order) as the service's published route goes (the fastest rail
    route between them where it names none)."""

    name: str
    origin: str
    destination: str
    per_day: float
    teu: float = 82.0
    via: tuple[str, ...] = ()


MANZHOULI = ("manzhouli-zabaykalsk",)
ERENHOT_NAUSHKI = ("erenhot-zamyn-uud", "sukhbaatar-naushki")
DEMO_SERVICES = (
    DemoService("China–Russia via Manzhouli", "Harbin", "Moscow", 8.0, via=MANZHOULI),
    DemoService("Shenyang–Novosibirsk via Manzhouli", "Shenyang", "Novosibirsk", 6.0, via=MANZHOULI),
    DemoService("China–Europe via Erenhot", "Beijing", "Moscow", 3.0, via=ERENHOT_NAUSHKI),
    DemoService("Tianjin–Ulaanbaatar", "Tianjin", "Ulaanbaatar", 2.0, via=("erenhot-zamyn-uud",)),
    DemoService("China–Europe via Alashankou", "Chongqing", "Duisburg", 2.0, via=("alashankou-dostyk",)),
    DemoService("Xi'an–Almaty via Khorgos", "Xi'an", "Almaty", 2.0, via=("khorgos-altynkol",)),
    # services.yaml: Hanoi, Chengdu, Erenhot, Naushki, Moscow
    DemoService("FESCO Vietnam Shuttle", "Hanoi", "Moscow", 0.5, 80.0, via=ERENHOT_NAUSHKI),
)


@dataclass(frozen=True)
class Closure:
    """A crossing closed from ``start`` for ``hours``."""

    crossing: str
    start: datetime
    hours: float


@dataclass
class _Train:
    ref: str
    name: str
    service: DemoService
    profile: Profile
    departure: datetime
    pace: float
    # filled by the run: (stop index, queued from, entered, left) in hours from the run's start
    stops: list[tuple[int, float, float, float]] = field(default_factory=list)
    arrived_h: float = math.nan


@dataclass(frozen=True)
class StopTruth:
    """A train's time at a stop of its route: when it queued, entered and left (UTC)."""

    crossing: str
    queued: datetime
    entered: datetime
    left: datetime


@dataclass(frozen=True)
class TrainTruth:
    """What happened to a train of the demo: its departure, pace, arrival and stops."""

    departure: datetime
    pace: float
    arrived: datetime
    stops: tuple[StopTruth, ...]


@dataclass(frozen=True)
class DemoFeed:
    """A generated feed: its window, its lines (trains, then events in time order), and what
    happened (for tests): each train's crossings (queued, entered, left) and its arrival."""

    start: datetime
    end: datetime
    closure: Closure | None
    lines: tuple[JsonObject, ...]
    truth: dict[str, TrainTruth]

    def write(self, path: Path) -> int:
        """Write the lines as JSON Lines (gzipped when ``path`` ends in .gz); returns how many."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with _write_text(Path(path)) as fh:
            for line in self.lines:
                fh.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
        return len(self.lines)


def _write_text(path: Path) -> IO[str]:
    if path.name.endswith(".gz"):
        return gzip.open(path, "wt", encoding="utf-8")
    return open(path, "w", encoding="utf-8")


def demo_feed(
    net: Network,
    start: datetime,
    *,
    days: float = 10.0,
    closure: Closure | None = None,
    closed: bool = True,
    services: tuple[DemoService, ...] = DEMO_SERVICES,
    every_min: int = 120,
    seed: int = 7,
    scale: float = 1.0,
) -> DemoFeed:
    """The feed of ``days`` from ``start`` (see the module docstring). ``closure``: by default
    Manzhouli–Zabaykalsk for 24 h from 4.5 days in (none if not ``closed``); ``scale`` multiplies
    every service's rate."""
    from silkrail.routing.query import RouteQuery
    from silkrail.routing.router import router_for
    from silkrail.tracking.eta import build_profile

    start = start.astimezone(UTC)
    end = start + timedelta(days=days)
    if closed and closure is None:
        closure = Closure("manzhouli-zabaykalsk", start + timedelta(days=4.5), 24.0)
    rng = random.Random(seed)
    router = router_for(net)
    profiles: dict[str, Profile] = {}
    for s in services:
        q = RouteQuery(s.origin, s.destination, mode="rail", objective="time", teu=s.teu)
        route = router.route_through(q, s.via)
        profiles[s.name] = build_profile(route, net.crossings)
    crossings, gate_of = crossing_specs(net, profiles.values())
    if closure is not None and closure.crossing not in gate_of:
        raise ValueError(f"no demo service passes the crossing '{closure.crossing}' the demo closes")
    low, high, mode = RUN_FACTOR
    spin_up_h = max(_trip_h(p) for p in profiles.values()) * high + 24.0
    first = start - timedelta(hours=spin_up_h)
    trains: list[_Train] = []
    for n, s in enumerate(services):
        gap = 24.0 / (s.per_day * scale)
        t = first + timedelta(hours=rng.uniform(0, gap))
        k = 0
        while t < end:
            ref = f"{start:%Y%m%d}-q{n}t{k}"
            trains.append(
                _Train(ref, f"{s.name} #{k + 1}", s, profiles[s.name], t, rng.triangular(low, high, mode))
            )
            k += 1
            t += timedelta(hours=gap * rng.uniform(0.6, 1.4))
    _run(trains, crossings, gate_of, first, closure, rng)
    window = [tr for tr in trains if _seen(tr, first, start, end)]
    lines: list[JsonObject] = []
    events: list[tuple[str, str, JsonObject]] = []  # time, event id, the line
    for tr in window:
        line: JsonObject = {
            "type": "train",
            "ref": tr.ref,
            "name": tr.name,
            "origin": tr.service.origin,
            "destination": tr.service.destination,
            "departure": tr.departure.isoformat(timespec="seconds"),
            "teu": tr.service.teu,
        }
        if tr.service.via:
            line["via"] = list(tr.service.via)
        lines.append(line)
        events += list(_events(tr, first, start, end, every_min, rng))
    events.sort(key=lambda e: (e[0], e[1]))
    truth = {
        tr.ref: TrainTruth(
            tr.departure,
            tr.pace,
            first + timedelta(hours=tr.arrived_h),
            tuple(
                StopTruth(
                    tr.profile.stops[i].key,
                    first + timedelta(hours=q),
                    first + timedelta(hours=a),
                    first + timedelta(hours=b),
                )
                for i, q, a, b in tr.stops
            ),
        )
        for tr in window
    }
    return DemoFeed(start, end, closure, tuple(lines + [line for _, _, line in events]), truth)


def _trip_h(p: Profile) -> float:
    return p.run_h_at(p.total_km) + sum(s.dwell_h for s in p.stops)


def _run(
    trains: list[_Train],
    crossings: tuple[CrossingSpec, ...],
    gate_of: dict[str, int],
    first: datetime,
    closure: Closure | None,
    rng: random.Random,
) -> None:
    """Move every train along its route on the kernel: queues, services, the closure."""
    k = Kernel(rng.randrange(2**31))
    busy = [0] * len(crossings)
    queues: list[deque[tuple[_Train, int, float]]] = [deque() for _ in crossings]
    closed = [False] * len(crossings)

    def set_closed(g: int, flag: bool) -> None:
        closed[g] = flag
        if not flag:
            serve(g)

    if closure is not None:
        g_closed = gate_of[closure.crossing]
        a = (closure.start - first).total_seconds() / 3600
        k.schedule(a, lambda _: set_closed(g_closed, True))
        k.schedule(a + closure.hours, lambda _: set_closed(g_closed, False))

    def dwell_h(tr: _Train, i: int) -> float:
        s = tr.profile.stops[i]
        sigma = s.sigma_log or DEFAULT_SIGMA_LOG
        if s.dwell_h <= 0:
            return 0.0
        return s.dwell_h * math.exp(sigma * rng.gauss(0, 1) - sigma * sigma / 2)

    def serve(g: int) -> None:
        while queues[g] and not closed[g] and busy[g] < crossings[g].servers:
            tr, i, queued = queues[g].popleft()
            busy[g] += 1
            left = k.now + dwell_h(tr, i)
            tr.stops.append((i, queued, k.now, left))
            k.schedule(left - k.now, lambda arg: leave(*arg), (tr, i, g))

    def leave(tr: _Train, i: int, g: int) -> None:
        if g >= 0:
            busy[g] -= 1
            serve(g)
        go(tr, i + 1)

    def reach(tr: _Train, i: int) -> None:
        s = tr.profile.stops[i]
        g = gate_of.get(s.key, -1)
        if g < 0:
            d = dwell_h(tr, i)
            tr.stops.append((i, k.now, k.now, k.now + d))
            k.schedule(d, lambda arg: leave(*arg), (tr, i, -1))
            return
        queues[g].append((tr, i, k.now))
        serve(g)

    def go(tr: _Train, i: int) -> None:
        p = tr.profile
        here = p.stops[i - 1].km if i > 0 else 0.0
        there = p.stops[i].km if i < len(p.stops) else p.total_km
        run = max(p.run_h_at(there) - p.run_h_at(here), 0.0) * tr.pace
        if i < len(p.stops):
            k.schedule(run, lambda arg: reach(*arg), (tr, i))
        else:
            k.schedule(run, lambda t: setattr(t, "arrived_h", k.now), tr)

    for tr in trains:
        k.schedule((tr.departure - first).total_seconds() / 3600, lambda t: go(t, 0), tr)
    k.run()


def _seen(tr: _Train, first: datetime, start: datetime, end: datetime) -> bool:
    """Whether the train is under way (or leaves) within the window."""
    arrived = first + timedelta(hours=tr.arrived_h)
    return arrived > start and tr.departure < end


def _track(tr: _Train, dep_h: float) -> tuple[np.ndarray, np.ndarray]:
    """(hours from the run's start, km) of the train's run: along the route at its planned pace
    times its own (through every point of the route, so its speed changes where the plan's
    does), standing a little before a crossing while it queues and at it while it is served."""
    p = tr.profile
    times, kms = [dep_h], [0.0]
    by_stop = {i: (q, a, b) for i, q, a, b in tr.stops}
    t0, done = dep_h, 0.0
    for i, s in enumerate([*p.stops, None]):
        there = p.total_km if s is None else s.km
        inner = (p.km > done) & (p.km < there)
        times += (t0 + (p.run_h[inner] - p.run_h_at(done)) * tr.pace).tolist()
        kms += p.km[inner].tolist()
        if s is None:
            times.append(tr.arrived_h)
            kms.append(there)
            break
        q, a, b = by_stop[i]
        times += [q, a, b]
        kms += [max(there - QUEUE_KM, kms[-1]), there, there]
        t0, done = b, there
    return np.maximum.accumulate(np.asarray(times)), np.asarray(kms)


def _events(
    tr: _Train, first: datetime, start: datetime, end: datetime, every_min: int, rng: random.Random
) -> Iterator[tuple[str, str, JsonObject]]:
    """The train's events in the window: (time, event id, the feed's line)."""
    p = tr.profile

    def when(h: float) -> datetime:
        return first + timedelta(hours=h)

    def inside(t: datetime) -> bool:
        return start <= t < end

    for i, _, a, b in tr.stops:
        s = p.stops[i]
        if s.id is None:
            continue
        for milestone, h in (("border_entry", a), ("border_exit", b)):
            t = when(h)
            if inside(t):
                yield _milestone(tr.ref, t, milestone, s.name, s.key)
    arrived = when(tr.arrived_h)
    if inside(arrived):
        yield _milestone(tr.ref, arrived, "arrived", "destination", "end")
    dep_h = (tr.departure - first).total_seconds() / 3600
    times, kms = _track(tr, dep_h)
    step = every_min / 60
    h = dep_h + step * math.ceil(max((start - tr.departure).total_seconds() / 3600, 0.0) / step)
    n = 0
    while h < tr.arrived_h:
        t = when(h)
        if t >= end:
            break
        if inside(t):
            km = float(np.interp(h, times, kms))
            lat = float(np.interp(km, p.km, p.lat)) + rng.gauss(0, 0.003)
            lon = float(np.interp(km, p.km, p.lon)) + rng.gauss(0, 0.003)
            event_id, at = f"{tr.ref}-p{n}", t.isoformat(timespec="seconds")
            yield (
                at,
                event_id,
                {
                    "type": "event",
                    "event_id": event_id,
                    "train_ref": tr.ref,
                    "time": at,
                    "kind": "position",
                    "lat": round(lat, 5),
                    "lon": round(lon, 5),
                },
            )
            n += 1
        h += step


def _milestone(ref: str, t: datetime, milestone: str, at: str, key: str) -> tuple[str, str, JsonObject]:
    event_id, time = f"{ref}-{milestone}-{key}", t.isoformat(timespec="seconds")
    return (
        time,
        event_id,
        {
            "type": "event",
            "event_id": event_id,
            "train_ref": ref,
            "time": time,
            "kind": "milestone",
            "milestone": milestone,
            "at": at,
        },
    )
