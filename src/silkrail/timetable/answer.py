"""The default answer to a route question: the scheduled service where one covers the trip, the
network model elsewhere.

A service covers a trip when one of its trips calls within :data:`~silkrail.timetable.journey.NEAR_KM`
of the origin and later within that distance of the destination (the same reach as a timetabled
journey's access to a stop). Its answer is door to door, and says which figure is which:

- ``booking`` and ``consolidation``: the lead times the operator publishes (none where it does not);
- ``boarding``: the timetable's minimum time to board (its minimum transfer for the traffic, as a
  timetabled journey takes it);
- ``wait``: the expected wait for the next departure, from a random moment, at the service's
  weekly pattern (its 10th to 90th percentile as its range);
- the ride: the timetable's time on the service's own route (:mod:`silkrail.timetable.trip_route`),
  with the model's money and CO2 on that route.

The network model's time for the same places stands beside it (``service.modelled_duration_h``).
Of several services that cover a trip, the one with the least expected door-to-door time answers.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from silkrail.errors import NoRouteError, SilkrailError
from silkrail.network.geo import haversine_km
from silkrail.routing.access import Access
from silkrail.routing.places import Place
from silkrail.routing.query import MAX_ALTERNATIVES
from silkrail.routing.results import Event, OdMatrix, Route, ScheduledService
from silkrail.routing.strategies import corridor_key
from silkrail.timetable.feed import Feed, Trip
from silkrail.timetable.journey import NEAR_KM, service_traffic
from silkrail.timetable.services import load_timetables
from silkrail.timetable.trip_route import TripRoute, trip_route

if TYPE_CHECKING:
    from silkrail.routing.query import RouteOptions, RouteQuery
    from silkrail.routing.router import Router

logger = logging.getLogger("silkrail.timetable.answer")



@dataclass(frozen=True)
class Cover:
    """A trip that serves both places: the stop numbers it is boarded and left at, and how far
    each lies from its place."""

    trip: Trip
    board: int
    alight: int
    km_board: float
    km_alight: float


def covering_trips(
    feed: Feed, o: Place, d: Place, traffic: str = "any", train: str | None = None
) -> list[Cover]:
    """The trips of ``feed`` for ``traffic`` (and of the category ``train``, where one is named)
    that call near ``o`` and later near ``d`` (each at its pair of stops closest to the two
    places). A passenger train takes travellers at any of its stops; a freight train takes and
    leaves cargo where its timetable gives times (a block train at its two ends: the stops
    between, such as its border stations, are passed, not served)."""
    chosen = feed.select(service_traffic(traffic), train)
    lat = np.array([s.lat for s in chosen.stops])
    lon = np.array([s.lon for s in chosen.stops])
    if not len(lat):
        return []
    index = {s.id: i for i, s in enumerate(chosen.stops)}
    to_o = haversine_km(o.lat, o.lon, lat, lon)
    to_d = haversine_km(d.lat, d.lon, lat, lon)
    near_o, near_d = to_o <= NEAR_KM, to_d <= NEAR_KM
    if not near_o.any() or not near_d.any():
        return []
    out: list[Cover] = []
    passenger = {s.id for s in chosen.services if s.traffic == "passenger"}
    for trip in chosen.trips:
        rows = np.array([index[st.stop] for st in trip.stop_times])
        if not near_o[rows].any() or not near_d[rows].any():
            continue
        served = np.array(
            [
                trip.service in passenger or st.arrival_s is not None or st.departure_s is not None
                for st in trip.stop_times
            ]
        )
        # the best boarding stop before each stop (the closest to the origin so far), in one pass
        best: tuple[float, int, int] | None = None
        board, board_km = -1, np.inf
        for j, b in enumerate(rows.tolist()):
            if board >= 0 and served[j] and near_d[b] and (best is None or board_km + to_d[b] < best[0]):
                best = (board_km + float(to_d[b]), board, j)
            if served[j] and near_o[b] and to_o[b] < board_km:
                board, board_km = j, float(to_o[b])
        if best is not None:
            _, i, j = best
            out.append(Cover(trip, i, j, float(to_o[rows[i]]), float(to_d[rows[j]])))
    return out


def answer_route(router: Router, query: RouteQuery, *, feed: Feed | None = None) -> Route:
    """The default answer of ``route`` for ``query`` (no departure or arrival time given): the
    answer of the scheduled service that covers the trip, with the network model's route beside
    it, else the network model's route. Alternatives, when asked for, are the model's other
    corridors either way. Where the model finds no route but a service runs, the service
    answers (with no model time beside it)."""
    try:
        modelled = router.route(query)
    except NoRouteError:  # the model finds no way, a service may still run one
        served = served_route(router, query, feed=feed)
        if served is None:
            raise
        return served
    served = served_route(router, query, modelled=modelled, feed=feed)
    if served is None:
        return modelled
    # the model's own best and its other corridors, where they differ from the service's
    want = query.alternatives
    alternatives = _other_corridors(served, modelled, want)
    if len(alternatives) < want and len(modelled.alternatives) >= want:  # one was the service's
        more = router.route(dataclasses.replace(query, alternatives=min(want + 2, MAX_ALTERNATIVES)))
        alternatives = _other_corridors(served, more, want)
    return dataclasses.replace(served, alternatives=alternatives)


def _other_corridors(served: Route, modelled: Route, k: int) -> list[Route]:
    """Up to ``k`` of the model's best route and its alternatives whose corridor (crossings and
    water legs) is not the service's nor one taken already."""
    seen = {corridor_key(served)}
    out: list[Route] = []
    for r in [dataclasses.replace(modelled, alternatives=[]), *modelled.alternatives]:
        if len(out) < k and corridor_key(r) not in seen:
            seen.add(corridor_key(r))
            out.append(r)
    return out


def answer_od(
    router: Router,
    origins: Sequence[str | Place],
    destinations: Sequence[str | Place],
    options: RouteOptions | None = None,
    *,
    feed: Feed | None = None,
) -> OdMatrix:
    """The OD matrix of ``route``'s default answers: each pair a scheduled service covers takes
    that service's door-to-door figures (the network model's elsewhere, from one shortest-path
    tree per origin)."""
    from silkrail.routing.query import RouteOptions

    opts = options if options is not None else RouteOptions()
    o_places = [router.resolve(x) for x in origins]
    d_places = [router.resolve(x) for x in destinations]
    m = router.od_matrix(o_places, d_places, opts)
    if opts.mode not in ("rail", "any"):
        return m
    feed = feed if feed is not None else load_timetables()
    values = {k: getattr(m, k).copy() for k in (*OdMatrix.VALUES, *OdMatrix.RANGES)}
    # a place with no stop of the feed near it has no covering trip: looked at once per place,
    # not once per pair (a matrix of big cities meets a few dozen served places)
    near_o, near_d = (_near_a_stop(feed, places, opts.traffic) for places in (o_places, d_places))
    changed = False
    for i, o in enumerate(o_places):
        if not near_o[i]:
            continue
        for j, d in enumerate(d_places):
            if o == d or not near_d[j] or not covering_trips(feed, o, d, opts.traffic, opts.train):
                continue
            served = served_route(router, opts.between(o, d), feed=feed)
            if served is None:
                continue
            changed = True
            for k in OdMatrix.VALUES:
                values[k][i, j] = getattr(served, k)
            for k in OdMatrix.RANGES:
                values[k][i, j] = getattr(served, k)
    return dataclasses.replace(m, **values) if changed else m


def _near_a_stop(feed: Feed, places: Sequence[Place], traffic: str) -> list[bool]:
    """For each place, whether a stop of ``traffic``'s trips lies within NEAR_KM of it."""
    stops = feed.select(service_traffic(traffic)).stops
    if not stops:
        return [False] * len(places)
    lat = np.array([s.lat for s in stops])
    lon = np.array([s.lon for s in stops])
    return [bool((haversine_km(p.lat, p.lon, lat, lon) <= NEAR_KM).any()) for p in places]


def answer_compare(router: Router, query: RouteQuery, *, feed: Feed | None = None) -> list[Route]:
    """The rail, sea and rail+sea options of ``compare``, the rail option the answer of a
    scheduled service where one covers the trip (with the model's time beside it)."""
    query = router.resolved(query)
    out: list[Route] = []
    for r in router.compare(query):
        if r.label == "rail":
            rail = dataclasses.replace(query, mode="rail", alternatives=0)
            served = served_route(router, rail, modelled=r, feed=feed)
            if served is not None:
                r = dataclasses.replace(served, label="rail")
        out.append(r)
    return out


def served_route(
    router: Router,
    query: RouteQuery,
    *,
    modelled: Route | None = None,
    feed: Feed | None = None,
) -> Route | None:
    """The answer of the scheduled service that covers the trip of ``query`` (None where none
    does, or the query is for the sea alone or for a year the timetables do not describe): door
    to door, with the network model's time for the same places beside it (``modelled``: the
    model's route of the query, computed here when not given)."""
    if query.mode not in ("rail", "any"):
        return None
    query = router.resolved(query)
    o, d = query.origin, query.destination
    assert isinstance(o, Place) and isinstance(d, Place)
    feed = feed if feed is not None else load_timetables()
    year = query.year
    if year is not None and feed.start and feed.end and not feed.start.year <= year <= feed.end.year:
        return None  # the timetables describe other years
    banned = set(query.avoid)
    options: list[tuple[float, TripRoute, Cover]] = []
    for cover in covering_trips(feed, o, d, query.traffic, query.train):
        try:
            tr = trip_route(
                router.engine, feed, cover.trip.id, board=cover.board, alight=cover.alight, teu=query.teu
            )
        except SilkrailError as exc:  # a stop beyond the network's track, a trip it cannot follow
            logger.info("trip %s is not offered: %s", cover.trip.id, exc)
            continue
        if banned & set(tr.route.countries):
            continue
        door = _lead_h(feed, tr, query.traffic) + tr.frequency.expected_wait_h + tr.ride_h
        options.append((door, tr, cover))
    if not options:
        return None
    _, tr, cover = min(options, key=lambda x: x[0])
    if modelled is None or modelled.train != tr.service.train:
        # the model's time beside the service is for a train of the service's own category
        try:
            modelled = router.route(dataclasses.replace(query, alternatives=0, train=tr.service.train))
        except NoRouteError:
            modelled = None
    return _answer(feed, tr, cover, o, d, query.traffic, modelled)


def _lead_h(feed: Feed, tr: TripRoute, traffic: str) -> float:
    """Booking, consolidation and boarding before the departure."""
    return tr.service.booking_h + tr.service.consolidation_h + _boarding_h(feed, service_traffic(traffic))


def _boarding_h(feed: Feed, traffic: str) -> float:
    return feed.min_transfer_s.get(traffic, 0) / 3600.0


def _answer(
    feed: Feed,
    tr: TripRoute,
    cover: Cover,
    o: Place,
    d: Place,
    traffic: str,
    modelled: Route | None,
) -> Route:
    svc, freq, ride = tr.service, tr.frequency, tr.route
    first, last = tr.stops[0], tr.stops[-1]
    cc = ride.countries[0] if ride.countries else ""
    boarding = _boarding_h(feed, service_traffic(traffic))
    lo, hi = freq.wait_quantile(0.1), freq.wait_quantile(0.9)

    def before(
        kind: str, hours: float, note: str, basis: str, rng: tuple[float, float] | None = None
    ) -> Event:
        return Event(
            kind,
            first.name,
            first.lat,
            first.lon,
            cc,
            cc,
            None,
            None,
            hours,
            0.0,
            note=note,
            basis=basis,
            record=svc.id,
            duration_h_range=rng,
        )

    lead: list[Event] = []
    if svc.booking_h:
        lead.append(before("booking", svc.booking_h, "booking lead time before the departure", "published"))
    if svc.consolidation_h:
        lead.append(
            before("consolidation", svc.consolidation_h, "collecting the load before it leaves", "published")
        )
    lead.append(
        before(
            "boarding",
            boarding,
            f"the timetable's minimum time to board a {service_traffic(traffic)} service",
            "timetable",
        )
    )
    lead.append(
        before(
            "wait",
            freq.expected_wait_h,
            f"expected wait for the next departure ({freq.per_week:g} a week"
            + ("" if freq.exact else ", frequency-based: times not published")
            + ")",
            "timetable" if freq.exact else "frequency",
            (lo, hi),
        )
    )
    extra = sum(e.duration_h for e in lead)
    service = ScheduledService(
        id=svc.id,
        name=svc.short_name or svc.id,
        long_name=svc.long_name,
        operator=next((a.name for a in feed.agencies if a.id == svc.agency), svc.agency),
        trip=tr.trip.id,
        board=first.name,
        alight=last.name,
        ride_h=tr.ride_h,
        expected_wait_h=freq.expected_wait_h,
        departures_per_week=freq.per_week,
        boarding_h=boarding,
        booking_h=svc.booking_h,
        consolidation_h=svc.consolidation_h,
        modelled_duration_h=modelled.duration_h if modelled is not None else None,
        modelled_duration_h_range=modelled.duration_h_range if modelled is not None else None,
        source=(*svc.source, *svc.lead_source),
        as_of=svc.as_of,
        published=tr.published,
    )
    fixed = boarding + svc.booking_h + svc.consolidation_h + tr.ride_h
    return dataclasses.replace(
        ride,
        origin=o,
        destination=d,
        events=[*lead, *ride.events],
        duration_h=extra + tr.ride_h,
        duration_h_range=(fixed + lo, fixed + hi),
        origin_access=Access("rail", _end_node(ride, 0), first.name, cover.km_board),
        destination_access=Access("rail", _end_node(ride, -1), last.name, cover.km_alight),
        service=service,
        alternatives=[],
        label=None,
        train=svc.train,  # the service's own category (a query naming one is answered by its own)
    )


def _end_node(route: Route, end: int) -> int:
    """The network node a route starts (``end`` 0) or ends (-1) at."""
    nodes = [leg.nodes for leg in route.legs if len(leg.nodes)]
    return int(nodes[end][end]) if nodes else route.origin.node
