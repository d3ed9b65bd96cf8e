"""Planning a tracked train's route: what the tracker asks of the routing layer, as a protocol,
and the planner that answers it from a network with the rail router.

The tracker needs a route only when a train is created; ingest and every read work from the
stored profile. A process that only ingests (an ingest worker, ``silkrail tracking repair``)
therefore runs a tracker without a planner, and never loads a network.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from silkrail.errors import DataError, UnknownPlaceError
from silkrail.tracking.eta import Profile, build_profile
from silkrail.tracking.values import Doc

if TYPE_CHECKING:
    from silkrail.network.model import Network
    from silkrail.routing.router import Router
    from silkrail.timetable.feed import Feed
    from silkrail.tracking.model import TrainIn


@dataclass(frozen=True, eq=False)
class PlannedRoute:
    """A train's planned route: its ends as the router names them, the route as JSON
    (``Route.to_dict()``, what the service answers), its profile, and the planned hours of the
    train's run (the route without the terminal time before departure and after arrival). A
    train of a timetable trip has the trip's route timed by its timetable, the trip's scheduled
    stops on its profile, and its departure."""

    origin: str
    destination: str
    route: Doc
    profile: Profile
    train_h: float
    departure: datetime | None = None  # a train of a timetable trip: when it leaves, checked
    name: str | None = None  # and its service's name


class RoutePlanner(Protocol):
    """What plans a new train's route (the routing layer, seen from tracking)."""

    def plan(self, train: TrainIn) -> PlannedRoute:
        """The planned rail route of ``train``; an unknown place is a DataError naming the field."""
        ...


TRIP_START_SLACK = timedelta(days=2)
"""A train of a timetable trip leaves this close to the trip's scheduled departure."""


class NetworkPlanner:
    """Plans by rail on ``net`` as of the train's departure year (planned lines open then), with
    ``router`` (by default the network's shared one, built on first use); a train of a timetable
    trip on the trip's own route and times, from ``timetables`` (by default the package's
    services and the feeds imported into ``home``, read on first use)."""

    def __init__(
        self,
        net: Network,
        router: Router | None = None,
        *,
        timetables: Feed | None = None,
        home: Path | None = None,
    ) -> None:
        self.net = net
        self._router = router
        self._timetables = timetables
        self._home = home

    def timetables(self) -> Feed:
        """The timetables whose trips the trains may run."""
        if self._timetables is None:
            from silkrail.timetable.services import load_timetables

            self._timetables = load_timetables(self._home)
        return self._timetables

    @property
    def router(self) -> Router:
        if self._router is None:
            from silkrail.routing.router import router_for

            self._router = router_for(self.net)
        return self._router

    def plan(self, train: TrainIn) -> PlannedRoute:
        if train.trip_id is not None and train.start_date is not None:
            return self._plan_trip(train, train.trip_id, train.start_date)
        from silkrail.routing.query import RouteQuery

        assert train.origin is not None and train.destination is not None and train.departure is not None
        try:
            query = RouteQuery(
                train.origin,
                train.destination,
                mode="rail",
                objective="time",  # a running train's path and ETA: its fastest (through its via)
                traffic=train.traffic,
                teu=train.teu,
                year=self.net.clamp_year(train.departure.year),
            )
            route = self.router.route_through(query, train.via) if train.via else self.router.route(query)
        except UnknownPlaceError as exc:
            field = "origin" if train.origin in str(exc) else "destination"
            raise DataError(str(exc), field=field) from None
        return PlannedRoute(
            origin=route.origin.name,
            destination=route.destination.name,
            route=route.to_dict(),
            profile=build_profile(route, self.net.crossings),
            train_h=route.train_h,
        )

    def _plan_trip(self, train: TrainIn, trip_id: str, day: date) -> PlannedRoute:
        """A train of trip ``trip_id`` on service date ``day``: the trip's timed route and
        scheduled stops (:func:`~silkrail.tracking.eta.trip_profile`), leaving at the trip's
        scheduled departure unless the train says when (within :data:`TRIP_START_SLACK`)."""
        from silkrail.errors import NoRouteError
        from silkrail.timetable.journey import service_traffic
        from silkrail.tracking.eta import trip_profile

        feed = self.timetables()
        try:
            route, profile = trip_profile(self.router.engine, feed, trip_id, day, teu=train.teu)
        except NoRouteError as exc:
            raise DataError(str(exc), field="trip_id") from None
        scheduled = datetime.fromtimestamp(profile.schedule[0].dep, UTC)
        departure = scheduled if train.departure is None else train.departure.astimezone(UTC)
        if abs(departure - scheduled) > TRIP_START_SLACK:
            raise DataError(
                f"trip '{trip_id}' of {day.isoformat()} leaves {scheduled.isoformat()}; a departure "
                f"{departure.isoformat()} is not that trip (give one within {TRIP_START_SLACK.days} "
                "days of it, or leave departure out)",
                field="departure",
            )
        trip = feed.trip_by_id[trip_id]
        svc = feed.service_by_id[trip.service]
        if train.traffic != "any" and service_traffic(train.traffic) != svc.traffic:
            raise DataError(
                f"trip '{trip_id}' is a {svc.traffic} service; a {train.traffic} train cannot run it "
                "(leave traffic out, or name a trip of that traffic)",
                field="traffic",
            )
        return PlannedRoute(
            origin=route.origin.name,
            destination=route.destination.name,
            route=route.to_dict(),
            profile=profile,
            train_h=route.train_h,
            departure=departure,
            name=svc.short_name or trip.id,
        )
