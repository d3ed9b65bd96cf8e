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
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pydantic import JsonValue

from silkrail.tracking.eta import Profile, Stop

if TYPE_CHECKING:
    from silkrail.network.model import Network
    from silkrail.timetable.feed import Feed

Line = dict[str, JsonValue]
"""A line of a feed (a train or an event), as JSON."""


@dataclass(frozen=True)
class SeedService:
    """A service of the seed corridors in the demo: a timetable trip it runs (its route, stops and
    times come from the timetables), or a pair of places the network model plans, through the
    crossings ``via`` its name gives."""

    name: str
    trip: str | None = None
    origin: str | None = None
    destination: str | None = None
    teu: float = 1.0
    via: tuple[str, ...] = ()


SEED_SERVICES = [
    SeedService("FESCO Vietnam Shuttle", trip="fesco-vietnam-shuttle", teu=80),
    SeedService("Nanning–Hanoi T8701", trip="t8701"),
    SeedService("Haiphong–Kunming metre gauge", origin="Haiphong", destination="Kunming", teu=32),
    SeedService("Kunming–Vientiane D887", trip="d887"),
    SeedService("Xi'an–Duisburg Chang'an", trip="xian-duisburg", teu=82),
    SeedService(
        "China–Russia via Manzhouli",
        origin="Harbin",
        destination="Moscow",
        teu=82,
        via=("manzhouli-zabaykalsk",),
    ),
    SeedService(
        "China–Europe via Erenhot",
        origin="Beijing",
        destination="Moscow",
        teu=82,
        via=("erenhot-zamyn-uud", "sukhbaatar-naushki"),
    ),
    SeedService(
        "Xi'an–Almaty via Khorgos", origin="Xi'an", destination="Almaty", teu=82, via=("khorgos-altynkol",)
    ),
]


def demo_feed(
    net: Network,
    day: datetime,
    *,
    trains_per_service: int = 3,
    every_min: int = 15,
    seed: int = 1,
    timetables: Feed | None = None,
) -> Iterator[Line]:
    """Trains of the seed services already under way or leaving within ``day`` (24 h), and their
    events over it: positions every ``every_min`` minutes along the planned route, and border
    entry/exit milestones at the crossings they pass (dwell drawn around the planned one). A
    service that runs a timetable trip posts trains of the trip (``trip_id``, ``start_date``), on
    its scheduled service days, and moves them along the trip's timed route: the figures the
    tracker plans such a train with (:func:`~silkrail.tracking.eta.trip_profile`)."""
    from silkrail.routing.query import RouteQuery
    from silkrail.routing.router import router_for
    from silkrail.timetable.services import load_timetables
    from silkrail.tracking.eta import build_profile, trip_profile

    rng = random.Random(seed)
    router = router_for(net)
    feed = timetables if timetables is not None else load_timetables()
    trains: list[Line] = []
    events: list[Line] = []
    for s, svc in enumerate(SEED_SERVICES):
        runs: list[tuple[datetime, Profile, Line]] = []
        if svc.trip is not None:
            for start, when in _trip_days(feed, svc.trip, day, trains_per_service):
                _, profile = trip_profile(router.engine, feed, svc.trip, start, teu=svc.teu)
                body: Line = {
                    "name": svc.name,
                    "trip_id": svc.trip,
                    "start_date": start.isoformat(),
                    "teu": svc.teu,
                }
                runs.append((when, profile, body))
        else:
            assert svc.origin is not None and svc.destination is not None
            q = RouteQuery(svc.origin, svc.destination, mode="rail", objective="time", teu=svc.teu)
            route = router.route_through(q, svc.via)
            profile = build_profile(route, net.crossings)
            for _ in range(trains_per_service):
                # spread the trains along their journey: departed between 0 and 90 % of the trip ago
                departure = day - timedelta(hours=rng.uniform(0.0, 0.9) * route.train_h)
                body = {
                    "name": svc.name,
                    "origin": svc.origin,
                    "destination": svc.destination,
                    "departure": departure.isoformat(),
                    "teu": svc.teu,
                }
                if svc.via:
                    body["via"] = list(svc.via)
                runs.append((departure, profile, body))
        for k, (departure, profile, body) in enumerate(runs):
            ref = f"{day:%Y%m%dT%H%M}-s{s}t{k}"  # unique per window: feeds of other days never collide
            trains.append({"type": "train", "ref": ref, **body, "name": f"{svc.name} #{k + 1}"})
            events += list(_journey(profile, ref, departure, day, every_min, rng))
    yield from trains
    yield from sorted(events, key=lambda e: (e["time"], e["event_id"]))


def _trip_days(feed: Feed, trip_id: str, day: datetime, n: int) -> list[tuple[date, datetime]]:
    """Up to ``n`` service days of a trip whose trains run during the 24 hours from ``day``
    (under way at its start, or leaving within it), with their scheduled departures: spread
    over those there are, the ones under way first."""
    from silkrail.timetable.realtime import trip_schedule

    trip = feed.trip_by_id[trip_id]
    first_dep = trip.timed[0].departure_s or 0
    ride_s = (trip.timed[-1].arrival_s or first_dep) - first_dep
    found: list[tuple[date, datetime]] = []
    d = (day - timedelta(seconds=ride_s + first_dep + 2 * 86400)).date()
    while d <= (day + timedelta(days=2)).date():
        if trip.calendar.runs(d):
            dep = trip_schedule(feed, trip, d)[0][4]
            assert dep is not None
            if day - timedelta(seconds=ride_s) < dep < day + timedelta(days=1):
                found.append((d, dep))
        d += timedelta(days=1)
    if len(found) <= n:
        return found
    step = len(found) / n
    return [found[int(i * step)] for i in range(n)]


def planned_events(
    profile: Profile, ref: str, departure: datetime, day: datetime, every_min: int = 15
) -> Iterator[Line]:
    """The events over ``day`` (24 h) of a train that runs exactly to its plan: at the planned
    pace, waiting the planned dwell at each stop, reporting where it is (the demo feed's trains
    draw their pace and waits around these)."""
    return _journey(profile, ref, departure, day, every_min, None)


def _journey(
    profile: Profile,
    ref: str,
    departure: datetime,
    day: datetime,
    every_min: int,
    rng: random.Random | None,
) -> Iterator[Line]:
    """Planned running plus stops, with the train a little slower or faster than planned (no
    ``rng``: exactly as planned)."""
    pace = rng.uniform(0.95, 1.15) if rng is not None else 1.0
    # the train halts at every stop of its plan; crossings (stops with an id) report milestones
    stops = [
        (s.km, _dwell_draw(s, rng) if rng is not None else s.dwell_h, s.name if s.id else None)
        for s in profile.stops
    ]
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
        exit_t = t + timedelta(hours=dwell)
        if name is not None:
            if day <= t < day + timedelta(days=1):
                yield _ms(ref, t, "border_entry", name)
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
        lat = float(np.interp(km, profile.km, profile.lat)) + (rng.gauss(0, 0.003) if rng else 0.0)
        lon = float(np.interp(km, profile.km, profile.lon)) + (rng.gauss(0, 0.003) if rng else 0.0)
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


def _ms(ref: str, t: datetime, milestone: str, at: str) -> Line:
    return {
        "type": "event",
        "event_id": f"{ref}-{milestone}-{at}-{t:%H%M%S}",
        "train_ref": ref,
        "time": t.isoformat(),
        "kind": "milestone",
        "milestone": milestone,
        "at": at,
    }


def write_feed(lines: Iterator[Line], path: Path) -> int:
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
