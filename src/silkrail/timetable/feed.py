"""The timetable as typed records: agencies, stops, services (GTFS routes), trips with their stop
times, and transfers; the same model whether it comes from the package data or a GTFS feed.

Times follow GTFS: seconds after the service day's "noon minus 12 h" in the feed's time zone, so a
multi-day trip has stop times past 24:00:00. A trip runs on the dates of its :class:`Calendar`.
Frequency-based trips (``headway_s``) leave every ``headway_s`` between ``window_s`` bounds and are
not exact: a search waits half a headway on average for one."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache, cached_property
from itertools import pairwise
from zoneinfo import ZoneInfo

import numpy as np

from silkrail.traffic import TrainClass

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TRAFFIC = ("passenger", "freight")


@dataclass(frozen=True)
class Agency:
    id: str
    name: str
    url: str
    timezone: str


@dataclass(frozen=True)
class Stop:
    id: str
    name: str
    lat: float
    lon: float
    timezone: str
    country: str | None = None


@dataclass(frozen=True)
class Service:
    """A GTFS route: one named service of one operator."""

    id: str
    agency: str
    short_name: str
    long_name: str
    traffic: str  # passenger | freight
    kind: str = "rail"  # rail | ferry
    source: tuple[str, ...] = ()
    as_of: str = ""
    note: str | None = None
    trainsets: str | None = None  # a pool shared with other operators' services (sourced), else None
    booking_h: float = 0.0  # the booking lead time before a departure, where published
    consolidation_h: float = 0.0  # collecting a load before it leaves, where published
    lead_source: tuple[str, ...] = ()  # where the booking and consolidation figures come from
    train: TrainClass = "standard"  # the train's category


@dataclass(frozen=True)
class Calendar:
    """The dates a trip runs: weekdays between two dates, or every ``every_days`` days from
    ``start`` (alternate-day trains), plus added and minus removed dates."""

    start: dt.date
    end: dt.date
    weekdays: frozenset[int] = frozenset(range(7))  # 0 = Monday
    every_days: int | None = None
    added: frozenset[dt.date] = frozenset()
    removed: frozenset[dt.date] = frozenset()

    def runs(self, day: dt.date) -> bool:
        if day in self.removed:
            return False
        if day in self.added:
            return True
        if not self.start <= day <= self.end:
            return False
        if self.every_days:
            return (day - self.start).days % self.every_days == 0
        return day.weekday() in self.weekdays

    def dates(self) -> Iterator[dt.date]:
        day = self.start
        while day <= self.end:
            if self.runs(day):
                yield day
            day += dt.timedelta(days=1)
        yield from sorted(d for d in self.added if not self.start <= d <= self.end)


@dataclass(frozen=True)
class StopTime:
    stop: str
    arrival_s: int | None  # None: passed at an unpublished time (not a timepoint)
    departure_s: int | None
    approximate: bool = False  # a time that is only indicative (GTFS timepoint 0)


@dataclass(frozen=True)
class Trip:
    id: str
    service: str
    calendar: Calendar
    stop_times: tuple[StopTime, ...]
    headsign: str = ""
    headway_s: int | None = None  # frequency-based: one every headway_s within window_s
    window_s: tuple[int, int] | None = None
    timezone: str | None = None  # the time zone its times count in, where not the feed's

    @cached_property
    def timed(self) -> tuple[StopTime, ...]:
        """The stops with published times, in order."""
        return tuple(st for st in self.stop_times if st.departure_s is not None or st.arrival_s is not None)

    @property
    def duration_s(self) -> int:
        t = self.timed
        return _arr(t[-1]) - _dep(t[0])


def _dep(st: StopTime) -> int:
    return int(st.departure_s if st.departure_s is not None else st.arrival_s)  # type: ignore[arg-type]


def _arr(st: StopTime) -> int:
    return int(st.arrival_s if st.arrival_s is not None else st.departure_s)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Transfer:
    """A minimum transfer time between two stops (the same stop: changing trains there)."""

    from_stop: str
    to_stop: str
    min_s: int


@dataclass(frozen=True)
class Feed:
    """One timetable. ``timezone`` is the agencies' time zone that stop times count from."""

    timezone: str
    agencies: tuple[Agency, ...]
    stops: tuple[Stop, ...]
    services: tuple[Service, ...]
    trips: tuple[Trip, ...]
    transfers: tuple[Transfer, ...] = ()
    min_transfer_s: dict[str, int] = field(default_factory=dict)  # by traffic
    passenger_border_s: int = 0  # a traveller's exit and entry control when changing at a border
    publisher: str = "silkrail"
    publisher_url: str = ""
    lang: str = "en"
    start: dt.date | None = None
    end: dt.date | None = None

    @cached_property
    def stop_by_id(self) -> dict[str, Stop]:
        return {s.id: s for s in self.stops}

    @cached_property
    def service_by_id(self) -> dict[str, Service]:
        return {s.id: s for s in self.services}

    @cached_property
    def trip_by_id(self) -> dict[str, Trip]:
        return {t.id: t for t in self.trips}

    def merged(self, *others: Feed) -> Feed:
        """This feed and others as one (their ids must not collide: see ``prefix_ids``); each
        trip keeps counting in its own feed's time zone."""
        from dataclasses import replace

        feeds = (self, *others)
        tag = [tuple(replace(t, timezone=t.timezone or f.timezone) for t in f.trips) for f in feeds]
        return replace(
            self,
            agencies=tuple(a for f in feeds for a in f.agencies),
            stops=tuple(s for f in feeds for s in f.stops),
            services=tuple(s for f in feeds for s in f.services),
            trips=tuple(t for ts in tag for t in ts),
            transfers=tuple(x for f in feeds for x in f.transfers),
        )

    def select(self, traffic: str = "any", train: str | None = None) -> Feed:
        """The feed with only the trips of ``traffic`` (passenger, freight or any) and, where one
        is named, of the train category ``train``."""
        if traffic == "any" and train is None:
            return self
        keep = {
            s.id
            for s in self.services
            if traffic in ("any", s.traffic) and (train is None or s.train == train)
        }
        return _replace_trips(self, tuple(t for t in self.trips if t.service in keep))

    def service_day_start(self, day: dt.date) -> float:
        """The UTC epoch second that a service day's times count from (noon minus 12 h)."""
        return service_day_start(self.timezone, day)

    def connections(self, since: float, until: float) -> Connections:
        """Every scheduled hop between consecutive timed stops of exact trips that leaves in
        [since, until] (UTC epoch seconds, widened to whole UTC days), sorted by departure; kept
        for the next query of the same days."""
        key = (math.floor(since / 86400), math.ceil(until / 86400))
        cache = self._connection_cache
        if key not in cache:
            if len(cache) >= 8:
                cache.pop(next(iter(cache)))
            cache[key] = build_connections(self, key[0] * 86400.0, key[1] * 86400.0)
        return cache[key]

    @cached_property
    def hops(self) -> dict[int, set[int]]:
        """Stop index -> the stop indices some trip runs to next: the timetable without times, to
        tell at once that no journey can exist."""
        index = {s.id: i for i, s in enumerate(self.stops)}
        out: dict[int, set[int]] = {}
        for t in self.trips:
            timed = t.timed
            for a, b in pairwise(timed):
                out.setdefault(index[a.stop], set()).add(index[b.stop])
        return out

    @cached_property
    def hop_table(self) -> _Hops:
        """The exact trips' hops as arrays, for expanding them over service days."""
        return _hops(self)

    @cached_property
    def _connection_cache(self) -> dict[tuple[int, int], Connections]:
        return {}


def _replace_trips(feed: Feed, trips: tuple[Trip, ...]) -> Feed:
    from dataclasses import replace

    return replace(feed, trips=trips)


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def service_day_start(timezone: str, day: dt.date) -> float:
    noon = dt.datetime(day.year, day.month, day.day, 12, tzinfo=_zone(timezone))
    return noon.timestamp() - 12 * 3600


@dataclass(frozen=True)
class Connections:
    """Scheduled hops as parallel arrays (the connection-scan input), sorted by departure."""

    dep_stop: np.ndarray
    arr_stop: np.ndarray
    dep: np.ndarray  # UTC epoch seconds
    arr: np.ndarray
    trip: np.ndarray  # index into trip_keys
    trip_keys: list[tuple[str, dt.date]]  # (trip id, service day)
    stop_ids: list[str]

    def __len__(self) -> int:
        return len(self.dep)


@dataclass(frozen=True)
class _Hops:
    """Every exact trip's hops between consecutive timed stops, as arrays (CSR by trip)."""

    trips: list[Trip]
    ptr: np.ndarray  # hops of trip j: ptr[j]..ptr[j+1]
    dep_stop: np.ndarray
    arr_stop: np.ndarray
    dep_off: np.ndarray  # seconds after the service day's start
    arr_off: np.ndarray


def _hops(feed: Feed) -> _Hops:
    index = {s.id: i for i, s in enumerate(feed.stops)}
    trips = [t for t in feed.trips if not t.headway_s and len(t.timed) >= 2]
    counts = [len(t.timed) - 1 for t in trips]
    rows = [(index[a.stop], index[b.stop], _dep(a), _arr(b)) for t in trips for a, b in pairwise(t.timed)]
    arr = np.array(rows, dtype=np.float64).reshape(-1, 4)
    return _Hops(
        trips,
        np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        arr[:, 0].astype(np.int64),
        arr[:, 1].astype(np.int64),
        arr[:, 2],
        arr[:, 3],
    )


def build_connections(feed: Feed, since: float, until: float) -> Connections:
    """The hops of every trip instance that may run in [since, until], leaving in it: each trip is
    checked only on the service days its own span can reach into the window."""
    h = feed.hop_table
    keys: list[tuple[str, dt.date]] = []
    inst_trip: list[int] = []
    inst_base: list[float] = []
    for j, trip in enumerate(h.trips):
        first_dep = _dep(trip.timed[0])
        last_arr = _arr(trip.timed[-1])
        day = dt.datetime.fromtimestamp(since - last_arr - 2 * 86400, dt.UTC).date()
        end = dt.datetime.fromtimestamp(until - first_dep + 2 * 86400, dt.UTC).date()
        zone = trip.timezone or feed.timezone
        while day <= end:
            if trip.calendar.runs(day):
                start = service_day_start(zone, day)
                if start + first_dep <= until and start + last_arr >= since:
                    keys.append((trip.id, day))
                    inst_trip.append(j)
                    inst_base.append(start)
            day += dt.timedelta(days=1)
    it = np.array(inst_trip, dtype=np.int64)
    counts = (h.ptr[it + 1] - h.ptr[it]) if len(it) else np.zeros(0, np.int64)
    inst = np.repeat(np.arange(len(it)), counts)
    offset = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    hop = h.ptr[it][inst] + offset if len(it) else np.zeros(0, np.int64)
    bases = np.array(inst_base, dtype=np.float64)[inst] if len(it) else np.zeros(0)
    dep = bases + h.dep_off[hop]
    arr = bases + h.arr_off[hop]
    keep = (dep >= since) & (dep <= until)
    order = np.lexsort((arr[keep], dep[keep]))
    return Connections(
        h.dep_stop[hop][keep][order],
        h.arr_stop[hop][keep][order],
        dep[keep][order],
        arr[keep][order],
        inst[keep][order].astype(np.int64),
        keys,
        [s.id for s in feed.stops],
    )
