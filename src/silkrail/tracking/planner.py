"""Planning a tracked train's route: what the tracker asks of the routing layer, as a protocol,
and the planner that answers it from a network with the rail router.

The tracker needs a route only when a train is created; ingest and every read work from the
stored profile. A process that only ingests (an ingest worker, ``silkrail tracking repair``)
therefore runs a tracker without a planner, and never loads a network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from silkrail.errors import DataError, UnknownPlaceError
from silkrail.tracking.eta import Profile, build_profile

if TYPE_CHECKING:
    from silkrail.network.model import Network
    from silkrail.routing.router import Router
    from silkrail.tracking.model import TrainIn


@dataclass(frozen=True, eq=False)
class PlannedRoute:
    """A train's planned route: its ends as the router names them, the route as JSON
    (``Route.to_dict()``, what the service answers), its profile, and the planned hours of the
    train's run (the route without the terminal time before departure and after arrival)."""

    origin: str
    destination: str
    route: dict[str, Any]
    profile: Profile
    train_h: float


class RoutePlanner(Protocol):
    """What plans a new train's route (the routing layer, seen from tracking)."""

    def plan(self, train: TrainIn) -> PlannedRoute:
        """The planned rail route of ``train``; an unknown place is a DataError naming the field."""
        ...


class NetworkPlanner:
    """Plans by rail on ``net`` as of the train's departure year (planned lines open then), with
    ``router`` (by default the network's shared one, built on first use)."""

    def __init__(self, net: Network, router: Router | None = None) -> None:
        self.net = net
        self._router = router

    @property
    def router(self) -> Router:
        if self._router is None:
            from silkrail.routing.router import router_for

            self._router = router_for(self.net)
        return self._router

    def plan(self, train: TrainIn) -> PlannedRoute:
        from silkrail.routing.query import RouteQuery

        try:
            route = self.router.route(
                RouteQuery(
                    train.origin,
                    train.destination,
                    mode="rail",
                    teu=train.teu,
                    year=self.net.clamp_year(train.departure.year),
                )
            )
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
