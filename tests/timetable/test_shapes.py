"""GTFS shapes drawn along the network: every stop on its trip's shape, distances that add up."""

from __future__ import annotations

import csv
import io
import itertools
import zipfile
from pathlib import Path

import numpy as np
import pytest

from silkrail.network.geo import haversine_km
from silkrail.network.model import Network
from silkrail.routing.router import Router
from silkrail.timetable.export import write_gtfs
from silkrail.timetable.services import load_services
from silkrail.timetable.shapes import build_shapes

SMALL = Path(__file__).parent.parent / "fixtures" / "timetable" / "small.yaml"


@pytest.fixture(scope="module")
def router(small_net: Network, tmp_path_factory: pytest.TempPathFactory) -> Router:
    return Router(small_net, home=tmp_path_factory.mktemp("shapes-home"))


def test_every_stop_lies_on_its_shape_at_its_distance(router: Router) -> None:
    """Each stop is a point of its trip's shape; its shape_dist_traveled is the distance along
    the shape to that point: 0 at the first stop, the shape's length at the last, growing."""
    feed = load_services(SMALL)
    shapes = build_shapes(feed, router)
    by_id = shapes.by_id
    assert set(shapes.shape_of) == {t.id for t in feed.trips}
    for trip in feed.trips:
        shape = by_id[shapes.shape_of[trip.id]]
        assert shape.stop_dist_km[0] == 0.0 and shape.stop_dist_km[-1] == pytest.approx(shape.km)
        assert all(b >= a for a, b in zip(shape.stop_dist_km, shape.stop_dist_km[1:], strict=False))
        for st, d in zip(trip.stop_times, shape.stop_dist_km, strict=True):
            stop = feed.stop_by_id[st.stop]
            i = int(np.searchsorted(shape.dist_km, d))
            assert (shape.lat[i], shape.lon[i]) == (stop.lat, stop.lon), (trip.id, st.stop)


def test_a_shape_follows_the_track_not_the_crow(router: Router) -> None:
    """A to C (Nanning to Hanoi) along the track is longer than the great circle between the
    stops, shorter than twice it, and has many points; trips with the same stops share it."""
    feed = load_services(SMALL)
    shapes = build_shapes(feed, router)
    stops = feed.stop_by_id
    for shape in shapes.shapes:
        trips = [t for t in feed.trips if shapes.shape_of[t.id] == shape.id]
        pattern = [st.stop for st in trips[0].stop_times]
        assert all([st.stop for st in t.stop_times] == pattern for t in trips)
        crow = sum(
            float(haversine_km(stops[a].lat, stops[a].lon, stops[b].lat, stops[b].lon))
            for a, b in itertools.pairwise(pattern)
        )
        assert shape.km >= crow - 1e-6
        if shape.straight_segments == 0 and crow > 0:
            assert shape.km < 2 * crow and len(shape.lat) > len(pattern) + 2
    assert len(shapes.shapes) < len(feed.trips)  # shared by the trips of one stop pattern


def test_stops_the_network_cannot_join_get_a_straight_line(router: Router) -> None:
    """D (Moscow) lies outside the small network: its segment is the straight line, counted."""
    feed = load_services(SMALL)
    shapes = build_shapes(feed, router)
    to_d = [t for t in feed.trips if any(st.stop == "d" for st in t.stop_times)]
    assert to_d
    for t in to_d:
        assert shapes.by_id[shapes.shape_of[t.id]].straight_segments >= 1


def test_the_feed_carries_shapes_and_distances(router: Router, tmp_path: Path) -> None:
    """With the router, the zip has shapes.txt; each trip names its shape and each stop time
    its shape_dist_traveled (km), within the shape's own distances; without it, no shapes."""
    feed = load_services(SMALL)
    path = tmp_path / "feed.zip"
    counts = write_gtfs(feed, path, router=router)
    assert counts["shapes.txt"] > 0

    def rows(name: str) -> list[dict[str, str]]:
        with zipfile.ZipFile(path) as z:
            return list(csv.DictReader(io.StringIO(z.read(name).decode())))

    shape_km: dict[str, float] = {}
    last: dict[str, int] = {}
    for r in rows("shapes.txt"):
        assert int(r["shape_pt_sequence"]) > last.get(r["shape_id"], 0)
        last[r["shape_id"]] = int(r["shape_pt_sequence"])
        assert float(r["shape_dist_traveled"]) >= shape_km.get(r["shape_id"], 0.0)
        shape_km[r["shape_id"]] = float(r["shape_dist_traveled"])
    trip_shape = {r["trip_id"]: r["shape_id"] for r in rows("trips.txt")}
    assert set(trip_shape.values()) == set(shape_km)
    for r in rows("stop_times.txt"):
        assert 0.0 <= float(r["shape_dist_traveled"]) <= shape_km[trip_shape[r["trip_id"]]] + 1e-3
    plain = tmp_path / "plain.zip"
    assert "shapes.txt" not in write_gtfs(feed, plain)
