"""A timetable trip on the network: the route through its stops, timed by its timetable.

One trip gets one time wherever it is asked about (the default answer of ``route``, the
simulation, a tracked train, the demo feed) because each of them reads it from here:

- **where it runs**: the network model's fastest path through the trip's stops, in their order
  (the published route: the FESCO shuttle runs through Chengdu, Erenhot, Zamyn-Uud and Naushki
  because its stops say so, whatever way would be faster);
- **when**: the timetable. Between two stops with published times the model's running time is
  stretched or shrunk to fit the scheduled time; the dwell at the crossings on the way keeps the
  model's figure (both shrink in proportion where the timetable leaves less than the dwell). The
  times at stops without a published time follow from that (``planned_h``);
- **how often**: the trip's departures per week, and the expected wait for the next one of a
  shipment or traveller who turns up at a random moment.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np

from silkrail.errors import DataError, NoRouteError
from silkrail.network.model import EdgeKind
from silkrail.routing.results import Event, Leg, Route
from silkrail.timetable.crossings import crossing_stops
from silkrail.timetable.feed import Feed, Service, Stop, StopTime, Trip
from silkrail.traffic import Traffic

if TYPE_CHECKING:
    from silkrail.routing.engine import Engine
    from silkrail.routing.graph import StateGraph
    from silkrail.routing.places import Place

logger = logging.getLogger("silkrail.timetable.trip_route")

WEEK_H = 168.0
FACTOR_WARN = (0.25, 4.0)
"""A section whose scheduled running time lies outside these multiples of the model's is logged:
a stop placed on the wrong track, or a timetable with a long unpublished halt."""
STOP_SNAP_KM = 40.0
"""A stop is served by its country's track within this distance (a city's stations and freight
terminals lie within it; the same reach as a journey's access to a stop)."""
CACHE_SIZE = 128
CACHE_KEY = "timetable.trip_routes"


@dataclass(frozen=True)
class TripStop:
    """A stop of a trip on its route: where it lies (km from the trip's first stop), its
    published times (hours after the first departure; None where unpublished) and when the timed
    route has the train there (the published time where there is one)."""

    stop: str
    name: str
    lat: float
    lon: float
    km: float
    arrival_h: float | None
    departure_h: float | None
    planned_arrival_h: float
    planned_departure_h: float
    arc: int = 0  # the number of the route's arcs before it

    @property
    def timed(self) -> bool:
        return self.arrival_h is not None or self.departure_h is not None


@dataclass(frozen=True)
class Section:
    """The run between two stops with published times: the scheduled hours, the model's running
    hours and dwell on the same track, and the factors that fit the one to the other."""

    from_stop: str
    to_stop: str
    scheduled_h: float
    modelled_running_h: float
    modelled_dwell_h: float
    running_factor: float
    dwell_factor: float


@dataclass(frozen=True)
class Frequency:
    """How often a trip leaves: departures per week, the mean gap between them, and the expected
    wait for the next one from a random moment (a gap is hit in proportion to its length, so the
    wait is the sum of squared gaps over twice their sum: half a headway for even departures)."""

    per_week: float
    mean_gap_h: float
    expected_wait_h: float
    exact: bool  # False: a frequency-based trip whose departures are not published
    gaps_h: tuple[float, ...] = ()  # between successive departures over a week

    def wait_quantile(self, q: float) -> float:
        """The wait not exceeded with probability ``q`` from a random moment: the share of the
        week within ``w`` hours before a departure is the sum of min(w, gap) over the gaps."""
        gaps = np.asarray(self.gaps_h or (self.mean_gap_h,), dtype=np.float64)
        total = float(gaps.sum())
        lo, hi = 0.0, float(gaps.max())
        for _ in range(60):
            mid = (lo + hi) / 2
            if float(np.minimum(gaps, mid).sum()) / total < q:
                lo = mid
            else:
                hi = mid
        return hi

    def to_dict(self) -> dict[str, object]:
        return {
            "departures_per_week": round(self.per_week, 2),
            "mean_gap_h": round(self.mean_gap_h, 2),
            "expected_wait_h": round(self.expected_wait_h, 2),
            "exact": self.exact,
        }


@dataclass(frozen=True)
class TripRoute:
    """A trip (or the part of it between two of its stops) on the network, timed by its
    timetable. ``route`` holds the legs and events with the timetable's times (they add up to
    ``ride_h``) and the model's money and CO2; ``modelled`` is the same track as the network
    model alone would time it."""

    trip: Trip
    service: Service
    route: Route
    modelled: Route
    stops: tuple[TripStop, ...]
    sections: tuple[Section, ...]
    frequency: Frequency
    arc_run_h: np.ndarray = dataclasses.field(repr=False, compare=False, default_factory=lambda: np.zeros(0))
    """Per arc of ``route.arcs``: the timed running hours, and the dwell hours (crossings, gauge
    changes, ferries' handling and sailing ports) with its section's factor."""
    arc_dwell_h: np.ndarray = dataclasses.field(
        repr=False, compare=False, default_factory=lambda: np.zeros(0)
    )

    @property
    def ride_h(self) -> float:
        """Hours from the departure at the first stop to the arrival at the last."""
        return self.stops[-1].planned_arrival_h - self.stops[0].planned_departure_h

    @property
    def published(self) -> bool:
        """Whether both ends have published times (else one end's time is the timed route's)."""
        return self.stops[0].departure_h is not None and self.stops[-1].arrival_h is not None


# -- frequency ---------------------------------------------------------------------------------


def frequency(trip: Trip) -> Frequency:
    """How often ``trip`` leaves (its calendar's weekly pattern; alternate days; or its headway)."""
    if trip.headway_s:
        gap = trip.headway_s / 3600.0
        return Frequency(WEEK_H / gap, gap, gap / 2.0, exact=False, gaps_h=(gap,))
    cal = trip.calendar
    if cal.every_days:
        gap = 24.0 * cal.every_days
        return Frequency(WEEK_H / gap, gap, gap / 2.0, exact=True, gaps_h=(gap,))
    days = sorted(cal.weekdays)
    if not days:
        raise DataError(f"trip '{trip.id}' runs on no weekday", field="trip")
    return _from_gaps([24.0 * ((b - a) % 7 or 7) for a, b in zip(days, [*days[1:], days[0]], strict=True)])


def _from_gaps(gaps: Sequence[float]) -> Frequency:
    total = float(sum(gaps))
    return Frequency(
        len(gaps) * WEEK_H / total,
        total / len(gaps),
        float(sum(g * g for g in gaps)) / (2.0 * total),
        exact=True,
        gaps_h=tuple(gaps),
    )


# -- the trip's route --------------------------------------------------------------------------


def trip_route(
    engine: Engine,
    feed: Feed,
    trip_id: str,
    *,
    board: int = 0,
    alight: int | None = None,
    teu: float = 1.0,
    year: int | None = None,
) -> TripRoute:
    """The trip ``trip_id`` of ``feed`` on the network of ``engine`` (a router's
    :class:`~silkrail.routing.engine.Engine`), from its stop number ``board`` to ``alight``
    (default: the whole trip), timed by its timetable. Kept with the network for the next
    question."""
    if trip_id not in feed.trip_by_id:
        raise DataError(f"no trip '{trip_id}' in the timetable", field="trip_id")
    trip = feed.trip_by_id[trip_id]
    n = len(trip.stop_times)
    last = n - 1 if alight is None else alight
    if not 0 <= board < last <= n - 1:
        raise DataError(
            f"trip '{trip_id}' has stops 0 to {n - 1}; board before alighting (got {board} and {last})",
            field="trip_id",
        )
    net = engine.net
    y = net.current_year() if year is None else int(year)
    key = (trip, board, last, float(teu), y)
    cache = _cache(net)
    with _lock:
        hit = cache.get(key)
        if hit is not None:
            cache.move_to_end(key)
            return hit
    whole = None if (board, last) == (0, n - 1) else trip_route(engine, feed, trip_id, teu=teu, year=year)
    times = _published(trip) if whole is None else _part_times(trip, whole, board, last)
    out = _timed_route(engine, feed, trip, list(range(board, last + 1)), times, teu, y)
    with _lock:
        cache[key] = out
        if len(cache) > CACHE_SIZE:
            cache.popitem(last=False)
    return out


_lock = threading.Lock()


def _cache(net: object) -> OrderedDict[object, TripRoute]:
    caches = net.caches  # type: ignore[attr-defined]
    with _lock:
        c = caches.get(CACHE_KEY)
        if not isinstance(c, OrderedDict):
            c = caches[CACHE_KEY] = OrderedDict()
    return c


def _published(trip: Trip) -> list[tuple[float | None, float | None]]:
    """(arrival, departure) hours after the first departure of every stop (None: unpublished)."""
    t0 = trip.timed[0].departure_s if trip.timed[0].departure_s is not None else trip.timed[0].arrival_s
    assert t0 is not None
    return [
        (
            None if st.arrival_s is None else (st.arrival_s - t0) / 3600.0,
            None if st.departure_s is None else (st.departure_s - t0) / 3600.0,
        )
        for st in trip.stop_times
    ]


def _part_times(
    trip: Trip, whole: TripRoute, board: int, alight: int
) -> list[tuple[float | None, float | None]]:
    """The times of the part of a trip from ``board`` to ``alight``: published ones inside, the
    whole trip's timed route at the ends where none is published; hours after the departure at
    ``board``."""
    s0 = whole.stops[board]
    t0 = s0.departure_h if s0.departure_h is not None else s0.planned_departure_h
    out: list[tuple[float | None, float | None]] = [(None, None)] * len(trip.stop_times)
    for k in range(board, alight + 1):
        s = whole.stops[k]
        arr, dep = s.arrival_h, s.departure_h
        if k == board:  # boarded at its departure, left at its arrival
            arr, dep = None, dep if dep is not None else s.planned_departure_h
        if k == alight:
            arr, dep = arr if arr is not None else s.planned_arrival_h, None
        out[k] = (None if arr is None else arr - t0, None if dep is None else dep - t0)
    return out


@dataclasses.dataclass(frozen=True)
class _Way:
    """A path through a trip's first stops to one state of the last: its objective, its pieces
    of arcs, and the arcs before each stop (None: a stop passed on the way, placed later)."""

    value: float
    pieces: tuple[np.ndarray, ...]
    found: tuple[int | None, ...]

    @property
    def arcs_so_far(self) -> int:
        return sum(len(p) for p in self.pieces)

    def then(self, at: int | None) -> _Way:
        return dataclasses.replace(self, found=(*self.found, at))


def _timed_route(
    engine: Engine,
    feed: Feed,
    trip: Trip,
    order: list[int],
    times: list[tuple[float | None, float | None]],
    teu: float,
    year: int,
) -> TripRoute:
    from silkrail.routing.graph import Constraints

    g, net = engine.graph, engine.net
    svc = feed.service_by_id[trip.service]
    stop_times: list[StopTime] = [trip.stop_times[k] for k in order]
    stops = [feed.stop_by_id[st.stop] for st in stop_times]
    places = [engine.places.nearest(s.lat, s.lon, label=s.name) for s in stops]
    nodes = [_stop_node(engine, s, year) for s in stops]
    # a stop at the same crossing as the stop before it (Zamyn-Uud after Erenhot) is passed on the
    # way, not sought: the two sides' stations may lie on parallel spurs of the border track
    at = {x.stop: x.crossing for x in crossing_stops(feed, net.crossings)}
    sought = [
        k in (0, len(stops) - 1) or at.get(s.id) is None or at.get(s.id) != at.get(stops[k - 1].id)
        for k, s in enumerate(stops)
    ]
    traffic = Traffic.PASSENGER if svc.traffic == "passenger" else Traffic.CONTAINER
    c = Constraints(modes="rail", year=year, traffic=traffic)
    coef = (1.0, 0.0, 0.0)
    # the best path through the stops in order, over the gauges a train may stand on at each
    # stop (a dual-gauge station): each stop's best arrival per state, so a first stretch that is
    # quicker on one gauge does not force a change of gauge later (a Viterbi pass; most stops
    # have one state, so it costs a few searches more than going stop by stop)
    layer: dict[int, _Way] = {int(x): _Way(0.0, (), (0,)) for x in g.states_of_node(nodes[0])}
    prev = 0
    for k in range(1, len(nodes)):
        if not sought[k]:
            layer = {x: w.then(None) for x, w in layer.items()}
            continue
        if nodes[k] == nodes[prev]:
            layer = {x: w.then(w.arcs_so_far) for x, w in layer.items()}
            prev = k
            continue
        nxt: dict[int, _Way] = {}
        for t in g.states_of_node(nodes[k]).astype(np.int64).tolist():
            for x, w in layer.items():
                path = engine.search(np.array([x], np.int64), np.array([t], np.int64), c, coef)
                if path is None:
                    continue
                value = w.value + float(path.value)
                if t not in nxt or value < nxt[t].value:
                    nxt[t] = _Way(value, (*w.pieces, path.arcs), w.found).then(w.arcs_so_far + len(path.arcs))
        if not nxt:
            raise NoRouteError(
                f"trip '{trip.id}' ({svc.short_name or svc.id}) cannot be followed on the network from "
                f"{stops[prev].name} to {stops[k].name}"
            )
        layer = nxt
        prev = k
    way = min(layer.values(), key=lambda w: w.value)
    pieces, found = list(way.pieces), list(way.found)
    arcs = np.concatenate(pieces).astype(np.int64) if pieces else np.empty(0, np.int64)
    modelled = engine.assemble(arcs, places[0], places[-1], objective="time", teu=teu, traffic=traffic)
    modelled = dataclasses.replace(
        modelled, origin=_named(places[0], stops[0].name), destination=_named(places[-1], stops[-1].name)
    )

    e = g.edge[arcs].astype(np.int64)
    ends = _place_passed(g, arcs, stops, found)
    costs = g.costs_of(traffic)
    assert costs is not None  # a router's state graph is always priced
    run = (costs.time_h[e] - costs.fixed_time_h[e]).astype(np.float64)
    dwell = g.weights_of(traffic)[0, arcs].astype(np.float64) - run
    ferry_wait = _ferry_waits(net, e)
    dwell = np.maximum(dwell - ferry_wait, 0.0)  # the trip's own frequency gives the wait
    # the railway's length (the geometry's, corrected by its line class's track factor)
    km = np.where(net.edge_kind[e] == EdgeKind.PORT_LINK, 0.0, costs.km[e] if len(costs.km) else net.km[e])
    at_km = np.r_[0.0, np.cumsum(km)][ends]

    own = [times[k] for k in order]
    timed = [i for i, (a, d) in enumerate(own) if a is not None or d is not None]
    if timed[0] != 0 or timed[-1] != len(order) - 1:
        raise DataError(f"trip '{trip.id}': its first and last stop need published times", field="trip_id")
    run_f = np.ones(len(arcs))
    dwell_f = np.ones(len(arcs))
    sections: list[Section] = []
    for a, b in pairwise(timed):
        dep_a = own[a][1] if own[a][1] is not None else own[a][0]
        arr_b = own[b][0] if own[b][0] is not None else own[b][1]
        assert dep_a is not None and arr_b is not None
        span = max(arr_b - dep_a, 0.0)
        sl = slice(ends[a], ends[b])
        r, d = float(run[sl].sum()), float(dwell[sl].sum())
        if r > 0 and span >= d:
            f, h = (span - d) / r, 1.0
        elif r + d > 0:
            f = h = span / (r + d)
        else:
            f = h = 1.0
        if r > 0 and not FACTOR_WARN[0] <= f <= FACTOR_WARN[1]:
            logger.info(
                "trip %s: %s -> %s runs %.2f times the model's time", trip.id, stops[a].name, stops[b].name, f
            )
        run_f[sl], dwell_f[sl] = f, h
        sections.append(Section(stops[a].id, stops[b].id, span, r, d, f, h))

    # planned times at every stop, on the timed arcs plus the published halts at timed stops
    arc_h = run * run_f + dwell * dwell_f
    clock = np.r_[0.0, np.cumsum(arc_h)]
    planned: list[TripStop] = []
    halt = 0.0
    for i, st in enumerate(stops):
        arr, dep = own[i]
        t_arr = clock[ends[i]] + halt
        if arr is not None:
            halt += arr - t_arr
            t_arr = arr
        t_dep = t_arr
        if dep is not None and i < len(stops) - 1:
            halt += max(dep - t_arr, 0.0)
            t_dep = max(dep, t_arr)
        planned.append(
            TripStop(
                st.id, st.name, st.lat, st.lon, float(at_km[i]), arr, dep, float(t_arr), float(t_dep), ends[i]
            )
        )
    route = _retimed(modelled, g, arcs, run * run_f, dwell_f, ferry_wait, planned, ends, svc, trip, places)
    return TripRoute(
        trip,
        svc,
        route,
        modelled,
        tuple(planned),
        tuple(sections),
        frequency(trip),
        arc_run_h=run * run_f,
        arc_dwell_h=dwell * dwell_f,
    )


def _place_passed(g: StateGraph, arcs: np.ndarray, stops: list[Stop], ends: list[int | None]) -> list[int]:
    """Each stop's arc index on the path: a stop passed on the way (not sought) sits where the
    path comes nearest to it between the stops around it."""
    from silkrail.network.geo import haversine_km

    net = g.net
    nodes = np.r_[g.state_node[g.src[arcs[:1]]], g.state_node[g.dst[arcs]]].astype(np.int64)
    out: list[int] = []
    for k, end in enumerate(ends):
        if end is not None:
            out.append(end)
            continue
        lo = out[-1]
        hi = next((x for x in ends[k + 1 :] if x is not None), len(arcs))
        span = nodes[lo : hi + 1]
        s = stops[k]
        km = haversine_km(s.lat, s.lon, net.lat[span], net.lon[span])
        out.append(lo + int(np.argmin(km)))
    return out


def _stop_node(engine: Engine, stop: Stop, year: int) -> int:
    """The rail node a stop is served at: the track a place there is entered at, unless that
    lies in another country than the stop's (a border station's own side: Erenhot's track, not
    Zamyn-Uud's a few kilometres away), then the nearest open track of the stop's country."""
    from silkrail.network.geo import haversine_km

    lat, lon, name, country = stop.lat, stop.lon, stop.name, stop.country
    net = engine.net
    access = engine.places.rail_access(lat, lon, name)
    if access is not None and (not country or net.country_code(access.node) == country):
        return int(access.node)
    if country:
        rail = net.open_rail_nodes(year)
        mine = rail[np.asarray(net.countries)[net.country[rail]] == country]
        if len(mine):
            km = haversine_km(lat, lon, net.lat[mine], net.lon[mine])
            i = int(np.argmin(km))
            if km[i] <= STOP_SNAP_KM:
                return int(mine[i])
    if access is None:
        raise NoRouteError(f"the stop {name} ({lat:.3f}, {lon:.3f}) lies beyond the network's track")
    return int(access.node)


def _named(place: Place, name: str) -> Place:
    return dataclasses.replace(place, name=name)


def _ferry_waits(net: object, e: np.ndarray) -> np.ndarray:
    """The model's mean wait for a sailing on each ferry edge (zero elsewhere)."""
    from silkrail.routing.edge_costs import ferry_wait_h

    out = np.zeros(len(e))
    for i in np.flatnonzero(net.edge_kind[e] == EdgeKind.FERRY).tolist():  # type: ignore[attr-defined]
        out[i] = ferry_wait_h(net.ferries[int(net.port[e[i]])])  # type: ignore[attr-defined]
    return out


def _retimed(
    modelled: Route,
    g: object,
    arcs: np.ndarray,
    arc_run_h: np.ndarray,
    dwell_f: np.ndarray,
    ferry_wait: np.ndarray,
    stops: list[TripStop],
    ends: list[int],
    svc: Service,
    trip: Trip,
    places: Sequence[Place],
) -> Route:
    """The modelled route with the timetable's times: each leg's running time on its own arcs,
    each event's dwell with its section's factor (a ferry's without the model's wait for a
    sailing), terminal events with their handling charge and no time (the ride runs from
    departure to arrival), and a ``stop`` event for each published halt at a stop on the way:
    legs and events add up to the route's time and cost."""
    net = g.net  # type: ignore[attr-defined]
    e = g.edge[arcs].astype(np.int64)  # type: ignore[attr-defined]
    kind = net.edge_kind[e]
    moving = np.flatnonzero(kind != EdgeKind.PORT_LINK)
    legs: list[Leg] = []
    used = 0
    name = svc.short_name or svc.id
    for leg in modelled.legs:
        idx = moving[used : used + len(leg.edges)]
        used += len(leg.edges)
        legs.append(
            dataclasses.replace(
                leg,
                duration_h=float(arc_run_h[idx].sum()),
                basis="timetable",
                record=svc.id,
                service=name,
                trip=trip.id,
            )
        )
    # events follow the arcs in order: find each one's arc to take its section's factor
    events: list[tuple[int, Event]] = []
    cursor = 0
    crossing = net.crossing[e]
    for n, ev in enumerate(modelled.events):
        if ev.kind == "terminal":  # the handling is paid; its time is the timetable's
            at = -1 if n == 0 else len(e)
            events.append((at, dataclasses.replace(ev, duration_h=0.0, duration_h_range=(0.0, 0.0))))
            continue
        i = _event_arc(ev, net, e, kind, crossing, cursor)
        cursor = i
        d = ev.duration_h
        if ev.kind == "ferry":
            d = max(d - float(ferry_wait[i]), 0.0)
        scaled = d * float(dwell_f[i])
        rng = ev.duration_h_range
        if rng is not None and ev.duration_h > 0:
            k = scaled / ev.duration_h
            rng = (rng[0] * k, rng[1] * k)
        events.append((i, dataclasses.replace(ev, duration_h=scaled, duration_h_range=rng)))
    for i, s in enumerate(stops[1:-1], 1):
        halt = s.planned_departure_h - s.planned_arrival_h
        if s.departure_h is not None and s.arrival_h is not None and halt > 0:
            cc = str(places[i].country or "")
            events.append(
                (
                    ends[i],
                    Event(
                        "stop",
                        s.name,
                        s.lat,
                        s.lon,
                        cc,
                        cc,
                        None,
                        None,
                        halt,
                        0.0,
                        note="a published halt",
                        basis="timetable",
                        record=svc.id,
                    ),
                )
            )
    events.sort(key=lambda x: x[0])
    ride = stops[-1].planned_arrival_h - stops[0].planned_departure_h
    return dataclasses.replace(
        modelled,
        legs=legs,
        events=[ev for _, ev in events],
        duration_h=ride,
        duration_h_range=(ride, ride),
        components={"timetable_h": ride},
    )


def _event_arc(
    ev: Event, net: object, e: np.ndarray, kind: np.ndarray, crossing: np.ndarray, start: int
) -> int:
    """The first arc from ``start`` on that makes the event: its crossing, ferry or port link."""
    if ev.kind in ("border_crossing", "gauge_change") and ev.crossing_id:
        want = [i for i, c in enumerate(net.crossings) if c.id == ev.crossing_id]  # type: ignore[attr-defined]
        hits = np.flatnonzero(np.isin(crossing[start:], want))
    elif ev.kind == "ferry":
        hits = np.flatnonzero(kind[start:] == EdgeKind.FERRY)
    elif ev.kind == "port_transfer":
        hits = np.flatnonzero(kind[start:] == EdgeKind.PORT_LINK)
    else:
        hits = np.flatnonzero(crossing[start:] >= 0)
    return start + int(hits[0]) if len(hits) else start
