"""Demo feeds and replay: a realistic day of events for the seed corridors, posted to a service.

A feed is JSON Lines: ``{"type": "train", "ref": ..., <train fields>}`` lines, then
``{"type": "event", "train_ref": ..., <event fields>}`` lines in time order. ``replay`` creates
the trains, maps refs to the ids the service gives, and posts the events in batches, at
``speed`` times real time (0: as fast as possible).
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

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
    stops = [(s["km"], _dwell_draw(s, rng), s["name"]) for s in profile.stops if s["id"]]
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


def _dwell_draw(stop: dict[str, Any], rng: random.Random) -> float:
    """A dwell drawn from the cost model's distribution for the stop (log-normal with the
    planned mean); profiles without a spread fall back to +/- 50 %."""
    mean = float(stop["dwell_h"])
    sigma = float(stop.get("sigma_log") or 0.0)
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


def replay(
    path: Path,
    url: str,
    token: str,
    *,
    speed: float = 60.0,
    batch: int = 500,
    live: bool = False,
    progress: Callable[[int], None] | None = None,
    caught_up: Callable[[dict[str, int], datetime], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> dict[str, int]:
    """Post a feed to a service: trains first, then events in time order, paced by ``speed``
    times real time; or ``live``: each event when its own time comes, so the events of the past
    go at once (then ``caught_up(totals so far, next event time)``) and the rest as they fall due."""
    from silkrail.client import ServiceClient, ServiceError
    from silkrail.errors import DataError
    from silkrail.extras import needs_extra

    with needs_extra("replaying a feed"):
        pass

    ids: dict[str, str] = {}
    totals = {"trains": 0, "accepted": 0, "duplicates": 0, "rejected": 0}
    pending: list[dict[str, Any]] = []
    first_event: datetime | None = None
    started = time.monotonic()
    with ServiceClient(url, token=token, timeout=60) as client:

        def flush() -> None:
            if not pending:
                return
            try:
                out = client.post_events(pending)
            except ServiceError as exc:
                raise DataError(
                    f"the service answered {exc.status}: {exc.text[:300]}", field="events"
                ) from None
            totals["accepted"] += out.accepted
            totals["duplicates"] += out.duplicates
            totals["rejected"] += len(out.rejected)
            if progress:
                progress(len(pending))
            pending.clear()

        for n, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if not raw.strip():
                continue
            try:
                item = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise DataError(f"not JSON ({exc.msg})", file=Path(path).name, line=n) from None
            kind = item.pop("type", None)
            if kind == "train":
                ref = item.pop("ref")
                try:
                    ids[ref] = client.create_train(item).id
                except ServiceError as exc:
                    raise DataError(
                        f"train '{ref}' refused: {exc.text[:300]}", file=Path(path).name, line=n
                    ) from None
                totals["trains"] += 1
            elif kind == "event":
                ref = item.pop("train_ref")
                if ref not in ids:
                    raise DataError(f"event for unknown train_ref '{ref}'", file=Path(path).name, line=n)
                item["train_id"] = ids[ref]
                t = datetime.fromisoformat(item["time"])
                first_event = first_event or t
                if live:
                    wait = (t - now()).total_seconds()
                    if wait > 0:
                        flush()
                        if caught_up is not None:
                            caught_up(dict(totals), t)
                            caught_up = None
                        sleep(wait)
                elif speed > 0:
                    due = (t - first_event).total_seconds() / speed
                    wait = due - (time.monotonic() - started)
                    if wait > 0:
                        flush()
                        sleep(wait)
                pending.append(item)
                if len(pending) >= batch:
                    flush()
            else:
                raise DataError("each line needs type 'train' or 'event'", file=Path(path).name, line=n)
        flush()
    return totals


def demo_day(ahead_h: float = 0.0) -> datetime:
    """The start of the demo's 24 hours: they end ``ahead_h`` hours from now (to the quarter
    hour), so a live replay has events still to come."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    now -= timedelta(minutes=now.minute % 15)
    return now + timedelta(hours=ahead_h) - timedelta(days=1)
