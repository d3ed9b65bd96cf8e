"""Routes and matrices as a user meets them: short reprs, notebook tables, and JSON that reads
back into the same records (what the HTTP client returns)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import silkrail
from silkrail.network.model import Network
from silkrail.routing.results import OdMatrix, Route


@pytest.fixture(scope="module")
def route(small_net: Network) -> Route:
    return silkrail.route(small_net, "Erenhot", "Zamyn-Uud", mode="rail", teu=2)


def test_a_route_reads_back_from_its_json_with_its_tracks(route: Route) -> None:
    """to_dict(geometry=True) -> JSON -> from_dict gives the same JSON and the same tracks (to the
    5 decimals of the JSON, about 1 m)."""
    doc = json.loads(json.dumps(route.to_dict(geometry=True)))
    back = Route.from_dict(doc)
    assert back.to_dict(geometry=True) == doc
    assert back.to_dict() == route.to_dict()  # without tracks: the CLI's JSON
    for a, b in zip(back.legs, route.legs, strict=True):
        np.testing.assert_allclose(a.geometry, b.geometry, atol=1e-5)
        assert doc["legs"][0]["geometry"]["type"] == "LineString"
    assert back.origin.name == route.origin.name and back.origin.country == route.countries[0]
    assert [e.kind for e in back.events] == [e.kind for e in route.events]
    assert "geometry" not in route.to_dict()["legs"][0]


def test_a_route_has_a_short_repr_and_a_notebook_table(route: Route) -> None:
    text = repr(route)
    assert text.startswith("<Route Erenhot → Zamyn-Uud") and "\n" not in text and len(text) < 250
    assert f"{route.distance_km:,.0f} km" in text and f"{len(route.legs)} legs" in text
    html = route._repr_html_()
    assert html.count("<table>") == 2 and "Erenhot" in html and "gauge_change" not in html
    assert "gauge change" in html


def test_a_matrix_reads_back_from_its_json_and_reads_short(small_net: Network) -> None:
    m = silkrail.od_matrix(small_net, ["Erenhot", "Hanoi"], ["Zamyn-Uud"], mode="rail")
    back = OdMatrix.from_dict(json.loads(json.dumps(m.to_dict())))
    assert back.origins == m.origins and back.shape == m.shape
    np.testing.assert_array_equal(np.isnan(back.duration_h), np.isnan(m.duration_h))
    np.testing.assert_allclose(back.cost_usd_range, m.cost_usd_range)
    assert repr(m) == "<OdMatrix 2 × 1 (1 pairs with a route), objective time, 1 TEU>"
    html = m._repr_html_()
    assert "<table>" in html and "–" in html  # Hanoi has no rail route to Mongolia here
