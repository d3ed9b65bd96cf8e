"""Schedule-aware routes: the timetable where a service runs, the calibrated network model where
none does.

A journey starts at a place and ends at a place. A stop within ``NEAR_KM`` of a place serves it
(boarding there takes the stop's minimum transfer time). Between a place and a stop that no
service links, and between the two places, the network model gives a leg (its mean duration,
terminal time included): a "modelled" link. Where a scheduled service runs from near one end of
such a link to near the other, the link is left out: the shipment or traveller takes the
service, waiting for its departure, rather than an unscheduled train. The connection scan then
finds the earliest arrival (or, for an arrival time, the latest departure)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import numpy as np

from silkrail.errors import DataError, NoRouteError, SilkrailError
from silkrail.network.geo import haversine_km
from silkrail.routing.json_types import JsonObject
from silkrail.routing.places import Place
from silkrail.routing.query import RouteQuery
from silkrail.timetable.crossings import CrossingStop, crossing_stops, crossing_transfer_s, model_hours
from silkrail.timetable.feed import Connections, Feed, StopTime, Trip
from silkrail.timetable.search import Link, Step, earliest_arrival, latest_departure

if TYPE_CHECKING:
    from silkrail.routing.results import Route
    from silkrail.routing.router import Router

logger = logging.getLogger("silkrail.timetable.journey")

NEAR_KM = 40.0
"""A stop this close to a place serves it: a city's passenger stations and freight terminals lie
within this distance of its centre (Silikatnaya is 31 km from central Moscow, Yen Vien 9 km from
Hanoi's)."""
HORIZON_DAYS = 60
"""How far ahead (or back, for an arrival time) the timetable is searched: beyond the longest
scheduled trip (35 days) plus a week's wait for a weekly departure."""
SEARCH_DAYS = (2, 8, HORIZON_DAYS)
"""Windows tried in turn, each only when the answer of the one before lies beyond it."""
MODELLED_CANDIDATES = 8
"""Stops on each side that get a modelled leg to or from the place (the closest to the straight
line between origin and destination)."""
MAX_DETOUR = 1.6
"""A stop is a candidate only if passing it lengthens the straight line by at most this factor."""
MAX_MODELLED_SHARE = 0.5
"""A modelled leg to or from a stop covers at most this share of the straight line between the
places: the timetable carries the main haul, the model brings the shipment to it and from it (a
longer modelled leg would make a short ride a pretext for an unscheduled main haul)."""


def transfer_times(feed: Feed, traffic: str, crossings: Iterable[CrossingStop] = ()) -> np.ndarray:
    """The minimum time to change trains at each stop: an explicit transfer at the stop, else the
    feed's minimum for the traffic (the smaller one for any traffic); at a stop on a border
    crossing or break of gauge, plus what the crossing adds (customs and gauge change for
    freight, border formalities for passengers: see :mod:`silkrail.timetable.crossings`)."""
    values = feed.min_transfer_s
    default = values.get(traffic, min(values.values(), default=0))
    out = np.full(len(feed.stops), float(default))
    index = {s.id: i for i, s in enumerate(feed.stops)}
    for x in feed.transfers:
        if x.from_stop == x.to_stop and x.from_stop in index:
            out[index[x.from_stop]] = x.min_s
    return out + crossing_transfer_s(feed, traffic, crossings)


def feed_links(feed: Feed, transfer_s: np.ndarray) -> list[Link]:
    """Links that the feed itself implies: transfers between two stops, and frequency-based trips
    (a wait of half a headway on average, then the ride)."""
    index = {s.id: i for i, s in enumerate(feed.stops)}
    links = [
        Link(index[x.from_stop], index[x.to_stop], float(x.min_s), "transfer")
        for x in feed.transfers
        if x.from_stop != x.to_stop and x.from_stop in index and x.to_stop in index
    ]
    for t in feed.trips:
        if not t.headway_s:
            continue
        timed = t.timed
        for a, b in pairwise(timed):
            ride = _t(b, arrival=True) - _t(a, arrival=False)
            i = index[a.stop]
            links.append(
                Link(i, index[b.stop], float(transfer_s[i] + t.headway_s / 2 + ride), "frequency", t)
            )
    return links


def _t(st: StopTime, *, arrival: bool) -> int:
    first, second = (st.arrival_s, st.departure_s) if arrival else (st.departure_s, st.arrival_s)
    t = first if first is not None else second
    if t is None:
        raise DataError(f"stop '{st.stop}' has neither an arrival nor a departure time", field="stop_times")
    return t


def check_window(feed: Feed, when: dt.datetime, option: str) -> None:
    if feed.start and feed.end and not feed.start <= when.astimezone(dt.UTC).date() <= feed.end:
        raise DataError(
            f"{when.isoformat()} is outside the timetable's calendar ({feed.start} to {feed.end}); "
            "give a time within it",
            field=option,
        )


@dataclass(frozen=True)
class JourneyLeg:
    mode: str
    from_: str
    to: str
    departure: dt.datetime
    arrival: dt.datetime
    basis: str  # timetable | modelled
    service: str | None = None
    trip: str | None = None
    distance_km: float = 0.0
    gauge_mm: int | None = None
    countries: tuple[str, ...] = ()
    wait_h: float = 0.0  # waiting for this leg's departure

    def to_dict(self) -> JsonObject:
        return {
            "mode": self.mode,
            "from": self.from_,
            "to": self.to,
            "departure": self.departure.isoformat(),
            "arrival": self.arrival.isoformat(),
            "duration_h": round((self.arrival - self.departure).total_seconds() / 3600, 2),
            "wait_h": round(self.wait_h, 2),
            "distance_km": round(self.distance_km, 1),
            "gauge_mm": self.gauge_mm,
            "countries": list(self.countries),
            "service": self.service,
            "trip": self.trip,
            "basis": self.basis,
        }


@dataclass(frozen=True)
class Journey:
    """A route in time: when it leaves and arrives, and each leg's service and trip."""

    origin: JsonObject  # name, lat, lon
    destination: JsonObject
    departure: dt.datetime
    arrival: dt.datetime
    legs: tuple[JourneyLeg, ...]
    teu: float = 1.0
    cost_usd: float = 0.0
    co2_kg: float = 0.0
    # spreads (10th and 90th percentile less the mean) of the modelled parts: a scheduled ride's
    # time is fixed, a modelled leg's is not; money and CO2 come from the cost model throughout
    duration_spread_h: tuple[float, float] = (0.0, 0.0)
    cost_usd_range: tuple[float, float] = (0.0, 0.0)
    co2_kg_range: tuple[float, float] = (0.0, 0.0)
    events: tuple[JsonObject, ...] = field(default=())  # the modelled parts' events, as JSON
    traffic: str = "freight"  # the services it rides: freight (cargo) or passenger

    @property
    def duration_h(self) -> float:
        return (self.arrival - self.departure).total_seconds() / 3600

    @property
    def countries(self) -> list[str]:
        out: list[str] = []
        for leg in self.legs:
            for c in leg.countries:
                if not out or out[-1] != c:
                    out.append(c)
        return out

    def to_dict(self) -> JsonObject:
        return {
            "origin": self.origin,
            "destination": self.destination,
            "objective": "time",
            "traffic": self.traffic,
            "teu": self.teu,
            "departure": self.departure.isoformat(),
            "arrival": self.arrival.isoformat(),
            "distance_km": round(sum(leg.distance_km for leg in self.legs), 1),
            "duration_h": round(self.duration_h, 2),
            "duration_h_range": [
                round(self.duration_h + self.duration_spread_h[0], 2),
                round(self.duration_h + self.duration_spread_h[1], 2),
            ],
            "cost_usd": round(self.cost_usd, 2),
            "cost_usd_range": [round(x, 2) for x in self.cost_usd_range],
            "co2_kg": round(self.co2_kg, 1),
            "co2_kg_range": [round(x, 1) for x in self.co2_kg_range],
            "countries": self.countries,
            "legs": [leg.to_dict() for leg in self.legs],
            "events": list(self.events),
            "alternatives": [],
        }


# -- the timetable alone ----------------------------------------------------------------------


def search_feed(
    feed: Feed,
    from_stop: str,
    to_stop: str,
    *,
    depart: dt.datetime | None = None,
    arrive: dt.datetime | None = None,
    traffic: str = "any",
    extra_links: Iterable[Link] = (),
    crossings: Iterable[CrossingStop] = (),
) -> tuple[list[Step], Connections] | None:
    """The earliest arrival (``depart``) or latest departure (``arrive``) between two stops of a
    feed, on its trips, transfers and frequency-based services only; a change of train at one of
    ``crossings`` takes the crossing's time on top of the minimum transfer."""
    feed = feed.select(traffic)
    index = {s.id: i for i, s in enumerate(feed.stops)}
    for sid, opt in ((from_stop, "from"), (to_stop, "to")):
        if sid not in index:
            raise DataError(f"unknown stop '{sid}'", field=opt)
    return _search(
        feed,
        index[from_stop],
        index[to_stop],
        len(feed.stops),
        depart,
        arrive,
        traffic,
        list(extra_links),
        list(crossings),
    )


def _search(
    feed: Feed,
    source: int,
    target: int,
    n_nodes: int,
    depart: dt.datetime | None,
    arrive: dt.datetime | None,
    traffic: str,
    extra: list[Link],
    crossings: list[CrossingStop],
) -> tuple[list[Step], Connections] | None:
    if (depart is None) == (arrive is None):
        raise DataError("give a departure time or an arrival time (one of them)", field="depart")
    # links (frequency-based boats, access) board with the flat minimum; a change from one
    # scheduled train to another at a crossing pays the crossing's time as well
    links = feed_links(feed, transfer_times(feed, traffic)) + extra
    tr = transfer_times(feed, traffic, crossings)
    if not _reachable(feed.hops, links, source, target):
        return None
    steps: list[Step] | None = None
    for days in SEARCH_DAYS:
        # a short window first: an answer inside it cannot be beaten by a later (earlier) connection
        h = days * 86400
        if depart is not None:
            t0 = depart.timestamp()
            conns = feed.connections(t0, t0 + h)
            steps = earliest_arrival(conns, n_nodes, source, target, t0, links=links, transfer_s=tr)
            if steps is not None and (not steps or steps[-1].arr <= t0 + h):
                break
        else:
            assert arrive is not None
            t1 = arrive.timestamp()
            conns = feed.connections(t1 - h, t1)
            steps = latest_departure(conns, n_nodes, source, target, t1, links=links, transfer_s=tr)
            if steps is not None and (not steps or steps[0].dep >= t1 - h):
                break
    return None if steps is None else (steps, conns)


def profile_feed(
    feed: Feed, from_stop: str, to_stop: str, day: dt.date, *, tz: dt.tzinfo, traffic: str = "any"
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Every useful journey of a day (a profile query): (departure, arrival) for each departure
    from ``from_stop`` on ``day`` (midnight to midnight in ``tz``) that no later departure beats,
    in order. Each is an earliest-arrival scan from that departure."""
    start = dt.datetime(day.year, day.month, day.day, tzinfo=tz)
    t0, t1 = start.timestamp(), (start + dt.timedelta(days=1)).timestamp()
    selected = feed.select(traffic)
    index = {s.id: i for i, s in enumerate(selected.stops)}
    if from_stop not in index:
        raise DataError(f"unknown stop '{from_stop}'", field="from")
    conns = selected.connections(t0, t1)
    src = index[from_stop]
    departures = sorted(
        {float(d) for d, s in zip(conns.dep, conns.dep_stop, strict=True) if s == src and t0 <= d < t1}
    )
    out: list[tuple[dt.datetime, dt.datetime]] = []
    for d in departures:
        when = dt.datetime.fromtimestamp(d, tz)
        found = search_feed(selected, from_stop, to_stop, depart=when, traffic="any")
        if found is None or not found[0]:
            continue
        steps = found[0]
        dep, arr = steps[0].dep, steps[-1].arr
        while out and out[-1][1].timestamp() >= arr:  # a later departure arriving no later wins
            out.pop()
        if not out or out[-1][0].timestamp() < dep:
            out.append((dt.datetime.fromtimestamp(dep, tz), dt.datetime.fromtimestamp(arr, tz)))
    return out


def _reachable(hops: dict[int, set[int]], links: list[Link], source: int, target: int) -> bool:
    """Whether any sequence of trips and links leads from source to target, at any time."""
    out: dict[int, set[int]] = {}
    for x in links:
        out.setdefault(x.from_node, set()).add(x.to_node)
    seen, todo = {source}, [source]
    while todo:
        v = todo.pop()
        if v == target:
            return True
        for w in (*hops.get(v, ()), *out.get(v, ())):
            if w not in seen:
                seen.add(w)
                todo.append(w)
    return False


# -- with the network --------------------------------------------------------------------------


def service_traffic(traffic: str) -> str:
    """The services a journey may ride for a query's traffic: a traveller (``passenger``) the
    passenger services; a shipment (``freight``, and ``any``: a route carries cargo unless
    passengers are asked for) the freight services. A TEU never rides a passenger train, and a
    journey never mixes the two."""
    return "passenger" if traffic == "passenger" else "freight"


def plan(router: Router, query: RouteQuery, *, feed: Feed | None = None) -> Journey:
    """The schedule-aware route of ``query`` (its ``depart`` or ``arrive`` time, its
    ``traffic``: see :func:`service_traffic`): the timetable where services run, the network
    model where none does."""
    from silkrail.routing.costs import CostModel
    from silkrail.timetable.services import load_timetables

    if not query.scheduled:
        raise DataError("give a departure or an arrival time (one of them)", field="depart")
    t_dep, t_arr = query.depart, query.arrive
    when = t_dep or t_arr
    assert when is not None
    if feed is None:
        feed = load_timetables()
    traffic = service_traffic(query.traffic)
    feed = feed.select(traffic, query.train)  # a named category rides its own services only
    check_window(feed, when, "depart" if t_dep else "arrive")
    query = router.resolved(query)
    o, d = query.origin, query.destination
    assert isinstance(o, Place) and isinstance(d, Place)
    n = len(feed.stops)
    src, dst = n, n + 1  # the two places' nodes
    tr = transfer_times(feed, traffic)
    net = _NetworkLinks(router, feed, query, tr)
    at = crossing_stops(feed, router.net.crossings, model_hours(CostModel.from_network(router.net)))
    found = _search(feed, src, dst, n + 2, t_dep, t_arr, traffic, net.links(src, dst), at)
    if found is None:
        raise NoRouteError(
            f"no scheduled service and no modelled route reaches {d.name} from {o.name} within "
            f"{HORIZON_DAYS} days of {when.isoformat()}"
        )
    steps, conns = found
    return net.journey(steps, conns, when)


class _NetworkLinks:
    """The links between the two places and the feed's stops, from the network model."""

    def __init__(self, router: Router, feed: Feed, query: RouteQuery, tr: np.ndarray) -> None:
        o, d = query.origin, query.destination
        assert isinstance(o, Place) and isinstance(d, Place)
        self.router, self.feed, self.o, self.d, self.tr = router, feed, o, d, tr
        # the network model's legs: by time, at the query's options, without a schedule
        self.query = dataclasses.replace(query, objective="time", alternatives=0, depart=None, arrive=None)
        lat = np.array([s.lat for s in feed.stops])
        lon = np.array([s.lon for s in feed.stops])
        self.km_o = haversine_km(o.lat, o.lon, lat, lon)
        self.km_d = haversine_km(d.lat, d.lon, lat, lon)
        self.index = {s.id: i for i, s in enumerate(feed.stops)}

    def _near(self, lat: float, lon: float) -> set[int]:
        km = haversine_km(
            lat, lon, np.array([s.lat for s in self.feed.stops]), np.array([s.lon for s in self.feed.stops])
        )
        return {int(i) for i in np.flatnonzero(km <= NEAR_KM)}

    def service_runs(self, a: tuple[float, float], b: tuple[float, float]) -> bool:
        """Whether some trip calls near ``a`` and later near ``b``."""
        near_a, near_b = self._near(*a), self._near(*b)
        if not near_a or not near_b:
            return False
        for t in self.feed.trips:
            seen_a = False
            for st in t.stop_times:
                i = self.index[st.stop]
                if seen_a and i in near_b:
                    return True
                seen_a = seen_a or i in near_a
        return False

    def _stop_place(self, i: int) -> Place:
        s = self.feed.stops[i]
        p = self.router.places.nearest(s.lat, s.lon, label=s.name)
        return dataclasses.replace(p, name=s.name)

    def _route(self, a: Place, b: Place) -> Route | None:
        try:
            return self.router.route(dataclasses.replace(self.query, origin=a, destination=b))
        except SilkrailError as exc:
            logger.info("no modelled leg %s -> %s: %s", getattr(a, "name", a), getattr(b, "name", b), exc)
            return None

    def links(self, src: int, dst: int) -> list[Link]:
        o, d = self.o, self.d
        out: list[Link] = []
        for i in np.flatnonzero(self.km_o <= NEAR_KM).tolist():
            out.append(Link(src, i, float(self.tr[i]), "access"))
        for i in np.flatnonzero(self.km_d <= NEAR_KM).tolist():
            out.append(Link(i, dst, 0.0, "egress"))
        if not self.service_runs((o.lat, o.lon), (d.lat, d.lon)):
            r = self._route(o, d)
            if r is not None:
                out.append(Link(src, dst, r.duration_h * 3600, "modelled", r))
        straight = max(float(haversine_km(o.lat, o.lon, d.lat, d.lon)), 1.0)
        detour = (self.km_o + self.km_d) / straight
        served = self._served()
        far = (self.km_o > NEAR_KM) & (self.km_d > NEAR_KM)
        for side, km in (("from", self.km_o), ("to", self.km_d)):
            ok = np.flatnonzero(far & (detour <= MAX_DETOUR) & served & (km <= MAX_MODELLED_SHARE * straight))
            for i in ok[np.argsort(detour[ok], kind="stable")][:MODELLED_CANDIDATES].tolist():
                s = self.feed.stops[i]
                if side == "from" and not self.service_runs((o.lat, o.lon), (s.lat, s.lon)):
                    r = self._route(o, self._stop_place(i))
                    if r is not None:
                        out.append(Link(src, i, r.duration_h * 3600 + float(self.tr[i]), "modelled", r))
                if side == "to" and not self.service_runs((s.lat, s.lon), (d.lat, d.lon)):
                    r = self._route(self._stop_place(i), d)
                    if r is not None:
                        out.append(Link(i, dst, r.duration_h * 3600, "modelled", r))
        return out

    def _served(self) -> np.ndarray:
        used = np.zeros(len(self.feed.stops), bool)
        for t in self.feed.trips:
            for st in t.timed:
                used[self.index[st.stop]] = True
        return used

    # -- the answer --

    def _zone(self, node: int) -> ZoneInfo | None:
        n = len(self.feed.stops)
        if 0 <= node < n:
            return ZoneInfo(self.feed.stops[node].timezone)
        if node not in (n, n + 1):
            return None
        km = self.km_o if node == len(self.feed.stops) else self.km_d
        i = int(np.argmin(km)) if len(km) else -1
        return ZoneInfo(self.feed.stops[i].timezone) if i >= 0 and km[i] <= NEAR_KM else None

    def _at(self, t: float, node: int, fallback: dt.tzinfo) -> dt.datetime:
        return dt.datetime.fromtimestamp(round(t), self._zone(node) or fallback)

    def _name(self, node: int) -> str:
        n = len(self.feed.stops)
        if node == n:
            return str(self.o.name)
        if node == n + 1:
            return str(self.d.name)
        return self.feed.stops[node].name

    def journey(self, steps: list[Step], conns: Connections, when: dt.datetime) -> Journey:
        """The journey of ``steps``: its departure (the time asked for, or for an arrival time the
        latest one can leave), its real arrival, and each leg's wait since the one before arrived
        (access and transfer times included), so that waits and legs add up to the duration."""
        tz = when.tzinfo or dt.UTC
        steps = after_the_last_ride(steps)
        legs: list[JourneyLeg] = []
        events: list[JsonObject] = []
        cost = co2 = 0.0
        priced: list[Route] = []  # the network routes that price each part
        modelled: list[Route] = []
        ready = steps[0].dep  # when the traveller or the cargo is ready for the next leg
        for s in steps:
            wait = 0.0
            if reported(s):
                wait = max(0.0, s.dep - ready) / 3600
                ready = s.arr
            if s.trip is not None:
                trip_id, day = conns.trip_keys[s.trip]
                t = self.feed.trip_by_id[trip_id]
                svc = self.feed.service_by_id[t.service]
                r = self._route(self._stop_place(s.from_node), self._stop_place(s.to_node))
                if r is not None:
                    cost += r.cost_usd
                    co2 += r.co2_kg
                    priced.append(r)
                gauges = {leg.gauge_mm for leg in r.legs} if r is not None else set()
                legs.append(
                    JourneyLeg(
                        "ferry" if svc.kind == "ferry" else "rail",
                        self._name(s.from_node),
                        self._name(s.to_node),
                        self._at(s.dep, s.from_node, tz),
                        self._at(s.arr, s.to_node, tz),
                        "timetable",
                        service=svc.short_name or svc.id,
                        trip=f"{trip_id}@{day.isoformat()}",
                        distance_km=r.distance_km if r is not None else 0.0,
                        gauge_mm=gauges.pop() if len(gauges) == 1 else None,
                        countries=tuple(r.countries) if r is not None else (),
                        wait_h=wait,
                    )
                )
                continue
            link = s.link
            assert link is not None
            if link.kind == "modelled":
                m: Route = link.ref  # type: ignore[assignment]
                cost += m.cost_usd
                co2 += m.co2_kg
                priced.append(m)
                modelled.append(m)
                events.extend(e.to_dict() for e in m.events)
                legs.extend(self._modelled_legs(m, s, tz, wait))
            elif link.kind == "frequency":
                trip: Trip = link.ref  # type: ignore[assignment]
                svc = self.feed.service_by_id[trip.service]
                # boarding and the mean wait of half a headway come before the (expected) sailing
                before = (
                    float(self.tr[s.from_node]) + (trip.headway_s or 0) / 2
                    if s.from_node < len(self.tr)
                    else 0.0
                )
                legs.append(
                    JourneyLeg(
                        "ferry" if svc.kind == "ferry" else "rail",
                        self._name(s.from_node),
                        self._name(s.to_node),
                        self._at(s.dep + before, s.from_node, tz),
                        self._at(s.arr, s.to_node, tz),
                        "timetable (frequency: the departure is expected after half a headway)",
                        service=svc.short_name or svc.id,
                        trip=trip.id,
                        wait_h=wait + before / 3600,
                    )
                )
        dep_t, arr_t = steps[0].dep, steps[-1].arr
        n = len(self.feed.stops)
        return Journey(
            origin=_end(self.o),
            destination=_end(self.d),
            departure=self._at(dep_t, n, tz),
            arrival=self._at(arr_t, n + 1, tz),
            legs=tuple(legs),
            teu=self.query.teu,
            cost_usd=cost,
            duration_spread_h=(
                sum(r.duration_h_range[0] - r.duration_h for r in modelled),
                sum(r.duration_h_range[1] - r.duration_h for r in modelled),
            ),
            cost_usd_range=(
                sum(r.cost_usd_range[0] for r in priced),
                sum(r.cost_usd_range[1] for r in priced),
            ),
            co2_kg_range=(sum(r.co2_kg_range[0] for r in priced), sum(r.co2_kg_range[1] for r in priced)),
            co2_kg=co2,
            events=tuple(events),
            traffic=service_traffic(self.query.traffic),
        )

    def _modelled_legs(self, r: Route, s: Step, tz: dt.tzinfo, wait: float) -> list[JourneyLeg]:
        """A modelled route's legs, timed in order: the route's fixed times (terminals, borders,
        gauge changes) spread over its legs in proportion to their running time."""
        total_run = sum(leg.duration_h for leg in r.legs) or 1.0
        span = s.arr - s.dep
        t = s.dep
        out = []
        for k, leg in enumerate(r.legs):
            share = leg.duration_h / total_run * span
            out.append(
                JourneyLeg(
                    leg.mode,
                    leg.from_,
                    leg.to,
                    self._at(t, s.from_node if k == 0 else -1, tz),
                    self._at(t + share, s.to_node if k == len(r.legs) - 1 else -1, tz),
                    "modelled",
                    distance_km=leg.distance_km,
                    gauge_mm=leg.gauge_mm,
                    countries=tuple(leg.countries),
                    wait_h=wait if k == 0 else 0.0,
                )
            )
            t += share
        return out


def reported(step: Step) -> bool:
    """Whether a step is a leg of the journey (a ride, a frequency service or a modelled route);
    access, egress and transfer links are part of the wait for the next leg."""
    return step.trip is not None or (step.link is not None and step.link.kind in ("frequency", "modelled"))


def after_the_last_ride(steps: list[Step]) -> list[Step]:
    """``steps`` with the links after the last ride moved to start as soon as the ride arrives.
    A search back from an arrival time places them against the deadline; the traveller arrives
    when the ride and its egress do, not at the deadline."""
    rides = [i for i, s in enumerate(steps) if s.trip is not None or (s.link and s.link.kind == "frequency")]
    if not rides:
        return steps
    out = steps[: rides[-1] + 1]
    t = out[-1].arr
    for s in steps[rides[-1] + 1 :]:
        out.append(dataclasses.replace(s, dep=t, arr=t + (s.arr - s.dep)))
        t = out[-1].arr
    return out


def _end(p: Place) -> JsonObject:
    return {"name": p.name, "lat": round(p.lat, 4), "lon": round(p.lon, 4)}
