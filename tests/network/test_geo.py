"""Distances, snapping, and the country of points near every curated crossing."""

from __future__ import annotations

import numpy as np
import pytest

from silkrail.network.curated import load_curated
from silkrail.network.geo import Countries, Snapper, haversine_km
from silkrail.settings import Settings


def test_haversine_known_distance() -> None:
    """Hanoi–Moscow great circle is about 6,730 km."""
    assert float(haversine_km(21.03, 105.85, 55.75, 37.62)) == pytest.approx(6730, rel=0.01)


def test_snapper_returns_the_nearest_node_and_its_distance() -> None:
    """The nearest of three nodes, with the great-circle distance to it."""
    s = Snapper([0.0, 10.0, 20.0], [0.0, 0.0, 0.0])
    node, km = s.nearest(9.0, 0.0)
    assert int(node[0]) == 1
    assert float(km[0]) == pytest.approx(111.2, abs=0.5)


def _border_crossings():  # type: ignore[no-untyped-def]
    cur = load_curated(Settings().data_dir)
    return [c for c in cur.borders.crossings if c.kind == "border"]


@pytest.mark.parametrize("crossing", _border_crossings(), ids=lambda c: c.id)
def test_both_sides_of_each_curated_crossing_are_in_their_country(outlines: Countries, crossing) -> None:  # type: ignore[no-untyped-def]
    """Each side's station, and points 2 km further from the other side, lie in the side's country."""
    a, b = crossing.sides
    lat = np.array([a.lat, b.lat])
    lon = np.array([a.lon, b.lon])
    d = np.array([a.lat - b.lat, a.lon - b.lon])
    step = d / max(float(haversine_km(a.lat, a.lon, b.lat, b.lon)), 0.1) * 2.0
    lat = np.r_[lat, a.lat + step[0], b.lat - step[0]]
    lon = np.r_[lon, a.lon + step[1], b.lon - step[1]]
    got = outlines.locate(lat, lon).tolist()
    assert got == [a.country, b.country, a.country, b.country]
