"""GTFS shapes from the network's track: the line each trip runs along, and how far along it each
stop lies (``shape_dist_traveled``, in kilometres).

A trip's shape follows the network between consecutive stops: the fastest rail route for a
train, the sea route for a ferry, each drawn from the legs' geometry, so the line is the mapped
track (OpenStreetMap) or the maritime network. Each stop is itself a point of the shape and the
track starts at the access point nearest to it, so the validators find every stop on its shape.
Trips calling at the same stops share one shape. Between two stops the network cannot join (no
track, an island) the shape draws a straight line and says so in the log.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from silkrail.errors import SilkrailError
from silkrail.network.geo import haversine_km
from silkrail.routing.query import Mode, RouteQuery
from silkrail.timetable.feed import Feed, Stop, Trip

if TYPE_CHECKING:
    from silkrail.routing.router import Router

logger = logging.getLogger("silkrail.timetable.shapes")


@dataclass(frozen=True)
class Shape:
    """One shape: points (lat, lon), the distance along it at each point, and at each stop of
    the trips that use it (kilometres from the first point)."""

    id: str
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    dist_km: NDArray[np.float64]
    stop_dist_km: tuple[float, ...]
    straight_segments: int = 0  # stop pairs the network could not join

    @property
    def km(self) -> float:
        return float(self.dist_km[-1]) if len(self.dist_km) else 0.0


@dataclass(frozen=True)
class FeedShapes:
    """The shapes of a feed's trips: ``shape_of`` maps a trip id to its shape's id."""

    shapes: tuple[Shape, ...]
    shape_of: dict[str, str]

    @property
    def by_id(self) -> dict[str, Shape]:
        return {s.id: s for s in self.shapes}


def build_shapes(feed: Feed, router: Router, trips: Iterable[Trip] | None = None) -> FeedShapes:
    """The shape of every trip of ``feed`` (or of ``trips``), one per stop pattern and mode."""
    stops = feed.stop_by_id
    patterns: dict[tuple[Mode, tuple[str, ...]], Shape] = {}
    shape_of: dict[str, str] = {}
    segments: dict[tuple[Mode, str, str], NDArray[np.float64]] = {}
    for trip in feed.trips if trips is None else trips:
        mode: Mode = "sea" if feed.service_by_id[trip.service].kind == "ferry" else "rail"
        pattern = tuple(st.stop for st in trip.stop_times)
        key = (mode, pattern)
        if key not in patterns:
            segs: list[NDArray[np.float64]] = []
            for a, b in itertools.pairwise(pattern):
                if (mode, a, b) not in segments:
                    segments[(mode, a, b)] = _segment(router, stops[a], stops[b], mode)
                segs.append(segments[(mode, a, b)])
            n = 1 + sum(1 for other in patterns.values() if other.id.startswith(f"{trip.service}-shape-"))
            patterns[key] = _shape(f"{trip.service}-shape-{n}", segs, stops[pattern[0]])
        shape_of[trip.id] = patterns[key].id
    return FeedShapes(tuple(patterns.values()), shape_of)


def _segment(router: Router, a: Stop, b: Stop, mode: Mode) -> NDArray[np.float64]:
    """(lat, lon) rows from stop ``a`` to stop ``b`` along the network: the stops themselves
    first and last, the route's track between them; only the two stops where no route exists."""
    ends = np.array([[a.lat, a.lon], [b.lat, b.lon]], dtype=np.float64)
    try:
        origin = dataclasses.replace(router.places.nearest(a.lat, a.lon, label=a.name), name=a.name)
        destination = dataclasses.replace(router.places.nearest(b.lat, b.lon, label=b.name), name=b.name)
        route = router.route(RouteQuery(origin, destination, mode=mode, objective="time"))
    except SilkrailError as exc:
        logger.warning("shape %s -> %s: no %s route (%s); a straight line", a.name, b.name, mode, exc)
        return ends
    track = [leg.geometry[:, ::-1] for leg in route.legs if len(leg.geometry)]
    if not track:
        return ends
    return np.vstack([ends[:1], *track, ends[1:]])


def _shape(shape_id: str, segments: Sequence[NDArray[np.float64]], first: Stop) -> Shape:
    """One shape from the segments between consecutive stops (each starts at its stop and ends
    at the next one), with each stop's distance along it."""
    if not segments:  # a trip of one stop
        segments = [np.array([[first.lat, first.lon]], dtype=np.float64)]
    points = np.vstack([segments[0], *(seg[1:] for seg in segments[1:])])
    # the stops: the first point, then the last point of each segment
    if len(segments[0]) > 1:
        stop_at = np.r_[0, np.cumsum([len(seg) - 1 for seg in segments])]
    else:
        stop_at = np.array([0])
    keep = np.r_[True, np.any(np.diff(points, axis=0) != 0.0, axis=1)]  # drop repeated points
    kept_index = np.cumsum(keep) - 1  # where each point went (a repeat: to the point it repeats)
    points = points[keep]
    step = haversine_km(points[:-1, 0], points[:-1, 1], points[1:, 0], points[1:, 1])
    dist = np.r_[0.0, np.cumsum(step)]
    straight = sum(1 for seg in segments if len(seg) == 2)
    stop_dist = tuple(float(dist[kept_index[i]]) for i in stop_at)
    return Shape(shape_id, points[:, 0].copy(), points[:, 1].copy(), dist, stop_dist, straight)
