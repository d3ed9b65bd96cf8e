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
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, JsonValue

from silkrail.network.geo import EARTH_RADIUS_KM, haversine_km, unit_vectors
from silkrail.network.records import Crossing

if TYPE_CHECKING:
    from silkrail.routing.engine import Engine
    from silkrail.routing.results import Route
    from silkrail.timetable.feed import Feed
    from silkrail.tracking.dwell import Learned

MAX_POINTS = 2000
MAX_REMAINING_H = 365 * 24.0  # no ETA lies further ahead than this
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Stop:
    """A stop on a train's planned route where it waits: a border crossing, a gauge change, a
    port or ferry transfer. ``id``: the curated crossing's id (None for a stop without one);
    ``dwell_h``: the planned wait; ``p95_h``: the wait beyond which a 'dwell' alert is raised;
    ``sigma_log``: the spread of the planned wait (log-normal); ``aliases``: the crossing's side
    stations, by which a milestone may name it."""

    id: str | None
    name: str
    km: float
    dwell_h: float
    p95_h: float
    aliases: tuple[str, ...] = ()
    sigma_log: float = 0.0

    @property
    def key(self) -> str:
        """What the stop's learned dwell is kept under: its crossing id, else its name."""
        return self.id or self.name

    def named(self, text: str) -> bool:
        """Whether ``text`` names this stop: its id, name or a side's name, in any case; a text of
        four characters or more may be part of one (``Dostyk`` for ``Alashankou–Dostyk``)."""
        key = text.casefold()
        for n in (self.id or "", self.name, *self.aliases):
            if n and (key == n.casefold() or (len(key) >= 4 and key in n.casefold())):
                return True
        return False

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "id": self.id,
            "name": self.name,
            "km": self.km,
            "dwell_h": self.dwell_h,
            "aliases": list(self.aliases),
            "sigma_log": self.sigma_log,
            "p95_h": self.p95_h,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, JsonValue]) -> Stop:
        return _StopJson.model_validate(d).stop()


@dataclass(frozen=True)
class TimedStop:
    """A stop of the timetable trip a train runs, placed along its route: its scheduled arrival
    (None at the first stop) and departure, in UTC epoch seconds."""

    stop: str
    km: float
    arr: float | None
    dep: float

    @property
    def due(self) -> float:
        """When the train is due at the stop: its arrival, else (the first stop) its departure."""
        return self.arr if self.arr is not None else self.dep

    def to_json(self) -> dict[str, JsonValue]:
        return {"stop": self.stop, "km": self.km, "arr": self.arr, "dep": self.dep}

    @classmethod
    def from_json(cls, d: Mapping[str, JsonValue]) -> TimedStop:
        return _TimedStopJson.model_validate(d).timed()


@dataclass(frozen=True, eq=False)
class Profile:
    """A train's planned route: points (``lat``, ``lon``) with their km from the origin and the
    planned running hours to reach them, the stops in km order, and (a train that runs a
    timetable trip) the trip's timed stops; empty for a train planned on the network model alone.
    The arrays are not to be changed."""

    lat: Floats
    lon: Floats
    km: Floats
    run_h: Floats
    stops: tuple[Stop, ...]
    schedule: tuple[TimedStop, ...] = field(default=())

    def to_json(self) -> dict[str, JsonValue]:
        """The profile as stored with its train (JSON; ``schedule`` only for a timetable trip)."""
        arrays: dict[str, JsonValue] = {
            "lat": self.lat.round(5).tolist(),
            "lon": self.lon.round(5).tolist(),
            "km": self.km.round(3).tolist(),
            "run_h": self.run_h.round(4).tolist(),
            "stops": [s.to_json() for s in self.stops],
        }
        if not self.schedule:
            return arrays
        return {**arrays, "schedule": [s.to_json() for s in self.schedule]}

    @classmethod
    def from_json(cls, d: Mapping[str, JsonValue]) -> Profile:
        """A profile from its JSON (``to_json``), read once into records."""
        return _ProfileJson.model_validate(d).profile()

    @classmethod
    def from_json_text(cls, text: str | bytes) -> Profile:
        """A profile from its JSON text (as stored)."""
        return _ProfileJson.model_validate_json(text).profile()

    @cached_property
    def xyz(self) -> Floats:
        """The route's points as unit vectors (for map-matching by dot product)."""
        return unit_vectors(self.lat, self.lon)

    @property
    def total_km(self) -> float:
        return float(self.km[-1])

    def run_h_at(self, km: float) -> float:
        """The planned running hours from the origin to ``km``."""
        return float(np.interp(km, self.km, self.run_h))

    def locate(self, lat: float, lon: float) -> tuple[float, float]:
        """(km along the route of the nearest point, distance off the route in km): the largest
        dot product of unit vectors is the smallest great-circle distance."""
        p, q = math.radians(lat), math.radians(lon)
        v = np.array([math.cos(p) * math.cos(q), math.cos(p) * math.sin(q), math.sin(p)])
        dots = self.xyz @ v
        i = int(np.argmax(dots))
        off = 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(max(0.0, (1 - float(dots[i])) / 2))))
        return float(self.km[i]), off

    def stop_named(self, text: str) -> Stop | None:
        """The stop ``text`` names (``Stop.named``), the first along the route."""
        return next((s for s in self.stops if s.named(text)), None)

    def stop_keyed(self, key: str) -> Stop | None:
        """The stop whose learned dwell is kept under ``key``."""
        return next((s for s in self.stops if s.key == key), None)


_Z90 = 1.2815515655446004  # the standard normal's 90th percentile


@dataclass
class _Gathering:
    """A stop as ``build_profile`` gathers it from a route's events (several events may share
    one stop: a crossing's border and gauge change)."""

    id: str | None
    name: str
    km: float
    aliases: tuple[str, ...]
    high_h: float
    dwell_h: float = 0.0
    sigma_log: float = 0.0

    def stop(self) -> Stop:
        p95 = max(self.high_h, 2.0 * self.dwell_h, self.dwell_h + 6.0)
        return Stop(self.id, self.name, self.km, self.dwell_h, p95, self.aliases, self.sigma_log)


def build_profile(route: Route, crossings: Sequence[Crossing]) -> Profile:
    """The profile of a planned ``route``: its legs' points (at most MAX_POINTS, evenly kept)
    with km and planned running hours, and a stop per crossing or transfer on it (terminals
    excluded), each with its planned dwell and its 95th percentile (the cost model's 90th, or
    at least twice the dwell and six hours more)."""
    lats: list[Floats] = []
    lons: list[Floats] = []
    hours: list[Floats] = []
    offset_h = 0.0
    for leg in route.legs:
        pts = np.asarray(leg.coordinates, dtype=np.float64)
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
    stops: dict[str, _Gathering] = {}
    for e in route.events:
        if e.kind == "terminal":
            continue  # before departure and after arrival: not part of the train's run
        key = e.crossing_id or e.at
        if key not in stops:
            rec = by_id.get(e.crossing_id or "")
            d = haversine_km(lat, lon, e.lat, e.lon)
            stops[key] = _Gathering(
                id=e.crossing_id,
                name=e.at,
                km=float(km[int(np.argmin(d))]),
                aliases=tuple(rec.sides) if rec else (),
                high_h=float(rec.dwell_range_h[1]) if rec and rec.dwell_range_h else 0.0,
            )
        g = stops[key]
        g.dwell_h += e.duration_h
        rng = e.duration_h_range
        if rng and e.duration_h > 0:
            # the cost model's 90th percentile bounds the stop's planned tail
            g.high_h = max(g.high_h, float(rng[1]))
            if rng[0] > 0:
                g.sigma_log = max(g.sigma_log, round(math.log(rng[1] / rng[0]) / (2 * _Z90), 4))
    ordered = sorted((g.stop() for g in stops.values()), key=lambda s: s.km)
    return Profile(lat, lon, km, run_h, tuple(ordered))


def trip_profile(
    engine: Engine, feed: Feed, trip_id: str, day: date, *, teu: float = 1.0
) -> tuple[Route, Profile]:
    """The planned route and profile of a train that runs a timetable trip on service date
    ``day``: the trip's route through its stops timed by its timetable
    (:func:`~silkrail.timetable.trip_route.trip_route`, the figures the route answer and the
    simulation use), with the trip's scheduled stops placed along it. ``engine``: the router's
    :class:`~silkrail.routing.engine.Engine`; ``feed``: the timetables
    (:class:`~silkrail.timetable.feed.Feed`). The tracker plans such a train with it, and the
    demo feed moves one along it."""
    from silkrail.timetable.realtime import find_trip, trip_schedule
    from silkrail.timetable.trip_route import trip_route

    trip = find_trip(feed, trip_id, day)
    timed = trip_route(engine, feed, trip.id, teu=teu, year=engine.net.clamp_year(day.year))
    profile = build_profile(timed.route, engine.net.crossings)
    calls = [ScheduledCall(*call) for call in trip_schedule(feed, trip, day)]
    # on the profile as stored, so that a position at a stop matches the stop's own km
    return timed.route, with_schedule(Profile.from_json(profile.to_json()), calls)


def estimate(
    profile: Profile,
    *,
    now: datetime,
    progress_km: float,
    learned: Learned,
    inside: str | None = None,
    inside_since: datetime | None = None,
) -> datetime:
    """The ETA from ``progress_km`` at ``now``: the planned running time left, and the expected
    dwell at the stop the train is ``inside`` (less the time spent there since ``inside_since``)
    and at each stop ahead (``learned``: what the crossings' observed waits taught)."""
    from silkrail.tracking.dwell import expected_dwell

    run_left = profile.run_h_at(profile.total_km) - profile.run_h_at(progress_km)
    dwell_left = 0.0
    for s in profile.stops:
        if inside is not None and s.key == inside:
            elapsed = (now - inside_since).total_seconds() / 3600 if inside_since else 0.0
            dwell_left += max(expected_dwell(s, learned) - elapsed, 0.0)
        elif s.km > progress_km + 1.0:
            dwell_left += expected_dwell(s, learned)
    hours = min(max(run_left, 0.0) + dwell_left, MAX_REMAINING_H)
    try:
        return now + timedelta(hours=hours)
    except OverflowError:  # ``now`` at the calendar's end: the latest time there is
        return datetime.max.replace(tzinfo=now.tzinfo)


# -- against a timetable ----------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduledCall:
    """A stop of a timetable trip as given: its name, where it is, and when the train is due
    there (an arrival, a departure or both)."""

    name: str
    lat: float
    lon: float
    arrival: datetime | None
    departure: datetime | None


def with_schedule(profile: Profile, stops: Sequence[ScheduledCall]) -> Profile:
    """The profile with a timetable trip's ``stops`` (in trip order) placed along the route:
    each at the km of its nearest route point (as a position there is matched), never behind
    the stop before it."""
    out: list[TimedStop] = []
    last_km = 0.0
    for call in stops:
        km = max(profile.locate(call.lat, call.lon)[0], last_km)
        last_km = km
        first = call.arrival if call.arrival is not None else call.departure
        if first is None:
            raise ValueError(f"stop '{call.name}' needs its scheduled arrival or departure")
        dep = call.departure if call.departure is not None else first
        out.append(
            TimedStop(
                call.name, km, None if call.arrival is None else call.arrival.timestamp(), dep.timestamp()
            )
        )
    return replace(profile, schedule=tuple(out))


def scheduled_arrival(profile: Profile) -> datetime | None:
    """The timetable's arrival at the trip's last stop (None without a timetable)."""
    if not profile.schedule:
        return None
    return datetime.fromtimestamp(profile.schedule[-1].due, UTC)


def planned_h_at(profile: Profile, km: float, *, arriving: bool = False) -> float:
    """Planned hours from the origin to ``km``: the running time there and the dwell at the stops
    before it. At a stop (within 1 km) its dwell counts once the train has left it, unless
    ``arriving``."""
    t = profile.run_h_at(km)
    for s in profile.stops:
        if s.km < km - 1.0 or (not arriving and s.km <= km + 1.0):
            t += s.dwell_h
    return t


def scheduled_at(profile: Profile, km: float) -> datetime:
    """When the timetable has the train at ``km``: the departure at a stop, and in between the
    time at the planned pace (the route's running time and its crossings' dwell,
    :func:`planned_h_at`) from one stop's departure to the next one's arrival (before the first
    stop its departure, past the last its arrival)."""
    sch = profile.schedule
    kms = np.array([s.km for s in sch])
    i = int(np.searchsorted(kms, km, side="right")) - 1
    if i < 0:
        t = sch[0].dep
    elif i >= len(sch) - 1:
        t = sch[-1].due
    else:
        a, b = sch[i], sch[i + 1]
        # leaving ``a``: after a wait there, except at the trip's first stop, whose departure
        # comes before what waits at its station (a ferry's loading at the port of departure)
        t_a = planned_h_at(profile, a.km, arriving=i == 0)
        t_b = planned_h_at(profile, b.km, arriving=True)
        if t_b > t_a:
            share = min(max((planned_h_at(profile, km) - t_a) / (t_b - t_a), 0.0), 1.0)
        else:
            span = b.km - a.km
            share = (km - a.km) / span if span > 0 else 0.0
        t = a.dep + share * (b.due - a.dep)
    return datetime.fromtimestamp(t, UTC)


def schedule_delay_h(profile: Profile, *, now: datetime, progress_km: float) -> float:
    """Hours behind the timetable of a train at ``progress_km`` at ``now``. A train ahead of it
    is on time (0): it waits for its scheduled departures."""
    return max((now - scheduled_at(profile, progress_km)).total_seconds() / 3600, 0.0)


def estimate_scheduled(profile: Profile, *, now: datetime, progress_km: float) -> datetime:
    """The ETA of a train that runs a timetable trip: the scheduled arrival, as late as the train
    is now (a late train keeps its delay, an early one waits for its departures)."""
    end = scheduled_arrival(profile)
    if end is None:
        raise ValueError("the profile has no timetable")
    return end + timedelta(hours=schedule_delay_h(profile, now=now, progress_km=progress_km))


class _Json(BaseModel):
    model_config = ConfigDict(frozen=True)


class _StopJson(_Json):
    """A stop as a stored profile gives it (``Stop.to_json``); missing or null optional fields
    take their defaults."""

    id: str | None = None
    name: str
    km: float
    dwell_h: float
    p95_h: float | None = None
    aliases: list[str] | None = None
    sigma_log: float | None = None

    def stop(self) -> Stop:
        return Stop(
            id=self.id,
            name=self.name,
            km=self.km,
            dwell_h=self.dwell_h,
            p95_h=self.p95_h or 0.0,
            aliases=tuple(self.aliases or ()),
            sigma_log=self.sigma_log or 0.0,
        )


class _TimedStopJson(_Json):
    stop: str
    km: float
    arr: float | None = None
    dep: float

    def timed(self) -> TimedStop:
        return TimedStop(self.stop, self.km, self.arr, self.dep)


class _ProfileJson(_Json):
    """A stored profile (``Profile.to_json``)."""

    lat: list[float]
    lon: list[float]
    km: list[float]
    run_h: list[float]
    stops: list[_StopJson]
    schedule: list[_TimedStopJson] = []

    def profile(self) -> Profile:
        return Profile(
            np.asarray(self.lat, dtype=np.float64),
            np.asarray(self.lon, dtype=np.float64),
            np.asarray(self.km, dtype=np.float64),
            np.asarray(self.run_h, dtype=np.float64),
            tuple(s.stop() for s in self.stops),
            schedule=tuple(s.timed() for s in self.schedule),
        )
