"""Demo feeds: a realistic day of events for the seed corridors.

A feed is JSON Lines: ``{"type": "train", "ref": ..., <train fields>}`` lines, then
``{"type": "event", "train_ref": ..., <event fields>}`` lines in time order. ``silkrail.replay``
posts one to a service.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from silkrail.tracking.eta import Stop

SEED_SERVICES = [
    ("FESCO Vietnam Shuttle", "Hanoi", "Moscow", 80),
    ("Nanning–Hanoi T8701", "Nanning", "Hanoi", 1),
    ("Haiphong–Kunming metre gauge", "Haiphong", "Kunming", 32),
    ("Kunming–Vientiane", "Kunming", "Vientiane", 20),
    ("China–Europe via Alashankou", "Chongqing", "Duisburg", 82),
    ("China–Russia via Manzhouli", "Harbin", "Moscow", 82),
    ("China–Europe via Erenhot", "Zhengzhou", "Moscow", 82),
    ("Xi'an–Almaty via Khorgos", "Xi'an", "Almaty", 82),
]


def demo_feed(
    net: Any, day: datetime, *, trains_per_service: int = 3, every_min: int = 15, seed: int = 1
) -> Iterator[dict[str, Any]]:
    """Trains of the seed services already under way, and their events over ``day`` (24 h):
    positions every ``every_min`` minutes along the planned route, and border entry/exit
    milestones at the crossings they pass (dwell drawn around the planned one)."""
    from silkrail.routing.query import RouteQuery
    from silkrail.routing.router import router_for
    from silkrail.tracking.eta import build_profile

    rng = random.Random(seed)
    router = router_for(net)
    trains, events = [], []
    for s, (name, origin, destination, teu) in enumerate(SEED_SERVICES):
        route = router.route(RouteQuery(origin, destination, mode="rail", teu=teu))
        profile = build_profile(route, net.crossings)
        total_h = route.train_h
        for k in range(trains_per_service):
            ref = f"{day:%Y%m%dT%H%M}-s{s}t{k}"  # unique per window: feeds of other days never collide
            # spread the trains along their journey: departed between 0 and 90 % of the trip ago
            ago = rng.uniform(0.0, 0.9) * total_h
            departure = day - timedelta(hours=ago)
            trains.append(
                {
                    "type": "train",
                    "ref": ref,
                    "name": f"{name} #{k + 1}",
                    "origin": origin,
                    "destination": destination,
                    "departure": departure.isoformat(),
                    "teu": teu,
                }
            )
            events += list(_journey(profile, ref, departure, day, every_min, rng))
    yield from trains
    yield from sorted(events, key=lambda e: (e["time"], e["event_id"]))


def _journey(
    profile: Any, ref: str, departure: datetime, day: datetime, every_min: int, rng: random.Random
) -> Iterator[dict[str, Any]]:
    """Planned running plus stops, with the train a little slower or faster than planned."""
    pace = rng.uniform(0.95, 1.15)
    stops = [(s.km, _dwell_draw(s, rng), s.name) for s in profile.stops if s.id]
    # elapsed time -> km, walking the profile: running at planned speed x pace, pausing at stops
    t = departure
    km_at: list[tuple[datetime, float]] = []
    done = 0.0
    for km_stop, dwell, name in [*stops, (profile.total_km, 0.0, None)]:
        run_h = (
            float(np.interp(km_stop, profile.km, profile.run_h))
            - float(np.interp(done, profile.km, profile.run_h))
        ) * pace
        km_at.append((t, done))
        t += timedelta(hours=max(run_h, 0.0))
        km_at.append((t, km_stop))
        if name is not None:
            if day <= t < day + timedelta(days=1):
                yield _ms(ref, t, "border_entry", name)
            exit_t = t + timedelta(hours=dwell)
            if day <= exit_t < day + timedelta(days=1):
                yield _ms(ref, exit_t, "border_exit", name)
            t = exit_t
        done = km_stop
    end = t
    times = np.array([(x[0] - day).total_seconds() / 3600 for x in km_at])
    kms = np.array([x[1] for x in km_at])
    for minute in range(0, 24 * 60, every_min):
        h = minute / 60
        now = day + timedelta(minutes=minute)
        if now < departure or now > end:
            continue
        km = float(np.interp(h, times, kms))
        lat = float(np.interp(km, profile.km, profile.lat)) + rng.gauss(0, 0.003)
        lon = float(np.interp(km, profile.km, profile.lon)) + rng.gauss(0, 0.003)
        yield {
            "type": "event",
            "event_id": f"{ref}-p{minute}",
            "train_ref": ref,
            "time": now.isoformat(),
            "kind": "position",
            "lat": round(lat, 5),
            "lon": round(lon, 5),
        }
    if day <= end < day + timedelta(days=1):
        yield _ms(ref, end, "arrived", "destination")


def _dwell_draw(stop: Stop, rng: random.Random) -> float:
    """A dwell drawn from the cost model's distribution for the stop (log-normal with the
    planned mean); profiles without a spread fall back to +/- 50 %."""
    mean = stop.dwell_h
    sigma = stop.sigma_log
    if sigma <= 0:
        return mean * rng.uniform(0.5, 1.5)
    return mean * math.exp(sigma * rng.gauss(0.0, 1.0) - sigma * sigma / 2)


def _ms(ref: str, t: datetime, milestone: str, at: str) -> dict[str, Any]:
    return {
        "type": "event",
        "event_id": f"{ref}-{milestone}-{at}-{t:%H%M%S}",
        "train_ref": ref,
        "time": t.isoformat(),
        "kind": "milestone",
        "milestone": milestone,
        "at": at,
    }


def write_feed(lines: Iterator[dict[str, Any]], path: Path) -> int:
    n = 0
    with Path(path).open("w", encoding="utf-8") as fh:
        for line in lines:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
            n += 1
    return n


def demo_day(ahead_h: float = 0.0) -> datetime:
    """The start of the demo's 24 hours: they end ``ahead_h`` hours from now (to the quarter
    hour), so a live replay has events still to come."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    now -= timedelta(minutes=now.minute % 15)
    return now + timedelta(hours=ahead_h) - timedelta(days=1)
