"""ETAs: where a train is on its planned route, and how long the rest will take.

The planned route becomes a profile: points along the track with cumulative km and planned
running hours, and the stops (border crossings, gauge changes, port transfers) with their
planned dwell and spread from the cost model (terminal time lies before departure and after
arrival, outside the profile). ETA = now + remaining running time + expected dwell at the stops still ahead,
where a stop's expected dwell is learned from the dwell observed there (``dwell.py``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from silkrail.network.geo import EARTH_RADIUS_KM, haversine_km, unit_vectors
from silkrail.network.records import Crossing
from silkrail.tracking.dwell import expected_dwell

MAX_POINTS = 2000
MAX_REMAINING_H = 365 * 24.0  # no ETA lies further ahead than this


@dataclass
class Profile:
    lat: np.ndarray
    lon: np.ndarray
    km: np.ndarray
    run_h: np.ndarray  # planned running hours from the origin to each point
    stops: list[dict[str, Any]]  # {"id", "name", "km", "dwell_h", "p95_h"}
    _xyz: np.ndarray | None = field(default=None, repr=False)
    # a timetable trip's stops along the route: {"stop", "km", "arr", "dep"} (UTC epoch seconds;
    # "arr" None at the first stop); empty for a train planned on the network model alone
    schedule: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "lat": self.lat.round(5).tolist(),
            "lon": self.lon.round(5).tolist(),
            "km": self.km.round(3).tolist(),
            "run_h": self.run_h.round(4).tolist(),
            "stops": self.stops,
        }
        if self.schedule:
            out["schedule"] = self.schedule
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Profile:
        return cls(
            np.asarray(d["lat"]),
            np.asarray(d["lon"]),
            np.asarray(d["km"]),
            np.asarray(d["run_h"]),
            d["stops"],
            schedule=list(d.get("schedule", [])),
        )

    @property
    def xyz(self) -> np.ndarray:
        """The route's points as unit vectors (for map-matching by dot product)."""
        if self._xyz is None:
            self._xyz = unit_vectors(self.lat, self.lon)
        return self._xyz

    @property
    def total_km(self) -> float:
        return float(self.km[-1])

    def locate(self, lat: float, lon: float) -> tuple[float, float]:
        """(km along the route of the nearest point, distance off the route in km): the largest
        dot product of unit vectors is the smallest great-circle distance."""
        p, q = math.radians(lat), math.radians(lon)
        v = np.array([math.cos(p) * math.cos(q), math.cos(p) * math.sin(q), math.sin(p)])
        dots = self.xyz @ v
        i = int(np.argmax(dots))
        off = 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(max(0.0, (1 - float(dots[i])) / 2))))
        return float(self.km[i]), off

    def stop_named(self, text: str) -> dict[str, Any] | None:
        key = text.casefold()
        for s in self.stops:
            names = [s["id"] or "", s["name"], *s.get("aliases", [])]
            if any(key == n.casefold() or (len(key) >= 4 and key in n.casefold()) for n in names if n):
                return s
        return None


def build_profile(route: Any, crossings: Sequence[Crossing]) -> Profile:
    lats, lons, hours = [], [], []
    offset_h = 0.0
    for leg in route.legs:
        pts = np.asarray(leg.coordinates, dtype=float)
        if len(pts) == 0:
            continue
        seg = np.r_[0.0, np.cumsum(haversine_km(pts[:-1, 1], pts[:-1, 0], pts[1:, 1], pts[1:, 0]))]
        share = seg / seg[-1] if seg[-1] > 0 else np.zeros(len(seg))
        lats.append(pts[:, 1])
        lons.append(pts[:, 0])
        hours.append(offset_h + share * leg.duration_h)
        offset_h += leg.duration_h
    lat, lon, run_h = np.concatenate(lats), np.concatenate(lons), np.concatenate(hours)
    step = max(1, len(lat) // MAX_POINTS)
    keep = np.r_[np.arange(0, len(lat), step), len(lat) - 1]
    lat, lon, run_h = lat[keep], lon[keep], run_h[keep]
    km = np.r_[0.0, np.cumsum(haversine_km(lat[:-1], lon[:-1], lat[1:], lon[1:]))]
    by_id = {c.id: c for c in crossings}
    stops: dict[str, dict[str, Any]] = {}
    for e in route.events:
        if e.kind == "terminal":
            continue  # before departure and after arrival: not part of the train's run
        key = e.crossing_id or e.at
        d = haversine_km(lat, lon, e.lat, e.lon)
        if key not in stops:
            rec = by_id.get(e.crossing_id or "")
            stops[key] = {
                "id": e.crossing_id,
                "name": e.at,
                "km": float(km[int(np.argmin(d))]),
                "dwell_h": 0.0,
                "aliases": list(rec.sides) if rec else [],
                "high_h": rec.dwell_range_h[1] if rec and rec.dwell_range_h else 0,
                "sigma_log": 0.0,
            }
        stops[key]["dwell_h"] += e.duration_h
        rng = getattr(e, "duration_h_range", None)
        if rng and e.duration_h > 0:
            # the cost model's 90th percentile bounds the stop's planned tail
            stops[key]["high_h"] = max(stops[key]["high_h"] or 0.0, float(rng[1]))
            if rng[0] > 0:
                sigma = math.log(rng[1] / rng[0]) / (2 * 1.2815515655446004)
                stops[key]["sigma_log"] = max(stops[key]["sigma_log"], round(sigma, 4))
    out = []
    for s in stops.values():
        s["p95_h"] = max(s.pop("high_h") or 0.0, 2.0 * s["dwell_h"], s["dwell_h"] + 6.0)
        out.append(s)
    return Profile(lat, lon, km, run_h, sorted(out, key=lambda s: s["km"]))


def trip_profile(engine: Any, feed: Any, trip_id: str, day: date, *, teu: float = 1.0) -> tuple[Any, Profile]:
    """The planned route and profile of a train that runs a timetable trip on service date
    ``day``: the trip's route through its stops timed by its timetable
    (:func:`~silkrail.timetable.trip_route.trip_route`, the figures the route answer and the
    simulation use), with the trip's scheduled stops placed along it. ``engine``: the router's
    engine; ``feed``: the timetables. The tracker plans such a train with it, and the demo feed
    moves one along it."""
    from silkrail.timetable.realtime import find_trip, trip_schedule
    from silkrail.timetable.trip_route import trip_route

    trip = find_trip(feed, trip_id, day)
    timed = trip_route(engine, feed, trip.id, teu=teu, year=engine.net.clamp_year(day.year))
    profile = build_profile(timed.route, engine.net.crossings)
    # on the profile as stored, so that a position at a stop matches the stop's own km
    return timed.route, with_schedule(Profile.from_json(profile.to_json()), trip_schedule(feed, trip, day))


def estimate(
    profile: Profile,
    *,
    now: datetime,
    progress_km: float,
    learned: Mapping[str, tuple[int, float, float]],
    inside: str | None = None,
    inside_since: datetime | None = None,
) -> datetime:
    """The ETA from ``progress_km`` at ``now``."""
    run_left = float(profile.run_h[-1] - np.interp(progress_km, profile.km, profile.run_h))
    dwell_left = 0.0
    for s in profile.stops:
        key = s["id"] or s["name"]
        if inside is not None and key == inside:
            elapsed = (now - inside_since).total_seconds() / 3600 if inside_since else 0.0
            dwell_left += max(expected_dwell(s, learned) - elapsed, 0.0)
        elif s["km"] > progress_km + 1.0:
            dwell_left += expected_dwell(s, learned)
    hours = min(max(run_left, 0.0) + dwell_left, MAX_REMAINING_H)
    try:
        return now + timedelta(hours=hours)
    except OverflowError:  # ``now`` at the calendar's end: the latest time there is
        return datetime.max.replace(tzinfo=now.tzinfo)


# -- against a timetable ----------------------------------------------------------------------


def with_schedule(
    profile: Profile, stops: Sequence[tuple[str, float, float, datetime | None, datetime | None]]
) -> Profile:
    """The profile with a timetable trip's stops ((name, lat, lon, arrival, departure), in trip
    order) placed along the route: each at the km of its nearest route point (as a position there
    is matched), never behind the stop before it."""
    out, last_km = [], 0.0
    for name, lat, lon, arr, dep in stops:
        km = max(profile.locate(lat, lon)[0], last_km)
        last_km = km
        first = arr if arr is not None else dep
        assert first is not None
        out.append(
            {
                "stop": name,
                "km": km,
                "arr": None if arr is None else arr.timestamp(),
                "dep": (dep if dep is not None else first).timestamp(),
            }
        )
    return Profile(profile.lat, profile.lon, profile.km, profile.run_h, profile.stops, schedule=out)


def scheduled_arrival(profile: Profile) -> datetime | None:
    """The timetable's arrival at the trip's last stop (None without a timetable)."""
    if not profile.schedule:
        return None
    last = profile.schedule[-1]
    return datetime.fromtimestamp(last["arr"] if last["arr"] is not None else last["dep"], UTC)


def planned_h_at(profile: Profile, km: float, *, arriving: bool = False) -> float:
    """Planned hours from the origin to ``km``: the running time there and the dwell at the stops
    before it. At a stop (within 1 km) its dwell counts once the train has left it, unless
    ``arriving``."""
    t = float(np.interp(km, profile.km, profile.run_h))
    for s in profile.stops:
        if s["km"] < km - 1.0 or (not arriving and s["km"] <= km + 1.0):
            t += float(s["dwell_h"])
    return t


def scheduled_at(profile: Profile, km: float) -> datetime:
    """When the timetable has the train at ``km``: the departure at a stop, and in between the
    time at the planned pace (the route's running time and its crossings' dwell, :func:`planned_h_at`)
    from one stop's departure to the next one's arrival (before the first stop its departure, past
    the last its arrival)."""
    sch = profile.schedule
    kms = np.array([s["km"] for s in sch])
    i = int(np.searchsorted(kms, km, side="right")) - 1
    if i < 0:
        t = sch[0]["dep"]
    elif i >= len(sch) - 1:
        last = sch[-1]
        t = last["arr"] if last["arr"] is not None else last["dep"]
    else:
        a, b = sch[i], sch[i + 1]
        b_arr = b["arr"] if b["arr"] is not None else b["dep"]
        t_a = planned_h_at(profile, a["km"])
        t_b = planned_h_at(profile, b["km"], arriving=True)
        if t_b > t_a:
            share = min(max((planned_h_at(profile, km) - t_a) / (t_b - t_a), 0.0), 1.0)
        else:
            span = b["km"] - a["km"]
            share = (km - a["km"]) / span if span > 0 else 0.0
        t = a["dep"] + share * (b_arr - a["dep"])
    return datetime.fromtimestamp(t, UTC)


def schedule_delay_h(profile: Profile, *, now: datetime, progress_km: float) -> float:
    """Hours behind the timetable of a train at ``progress_km`` at ``now``. A train ahead of it
    is on time (0): it waits for its scheduled departures."""
    return max((now - scheduled_at(profile, progress_km)).total_seconds() / 3600, 0.0)


def estimate_scheduled(profile: Profile, *, now: datetime, progress_km: float) -> datetime:
    """The ETA of a train that runs a timetable trip: the scheduled arrival, as late as the train
    is now (a late train keeps its delay, an early one waits for its departures)."""
    end = scheduled_arrival(profile)
    assert end is not None
    return end + timedelta(hours=schedule_delay_h(profile, now=now, progress_km=progress_km))
