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
    assert repr(m) == "<OdMatrix 2 × 1 (1 pairs with a route), objective generalised, 1 TEU>"
    html = m._repr_html_()
    assert "<table>" in html and "–" in html  # Hanoi has no rail route to Mongolia here


def test_a_gauge_change_at_a_border_whose_dwell_includes_it_takes_no_time_of_its_own(small_net: Network) -> None:
    """The one rule of gauge_change_event: its own time where known; at a border whose published
    dwell includes the change, 0 h with a note; inside a country, the crossing's time."""
    from types import SimpleNamespace

    from silkrail.routing.assemble import gauge_change_event

    c = next(x for x in small_net.crossings if x.id == "erenhot-zamyn-uud")
    dwell = SimpleNamespace(basis="curated", record="erenhot-zamyn-uud")
    common = {"at": c.name, "from_country": "CN", "to_country": "MN", "from_gauge": 1435, "to_gauge": 1520}
    common |= {"change_var_h2": 4.0, "fixed_h": 9.0, "cost_usd": 0.0, "dwell": dwell, "change": None}
    own = gauge_change_event(c, **common, change_h=5.0, at_border=True)  # type: ignore[arg-type]
    assert (own.duration_h, own.note, own.crossing_id) == (5.0, None, "erenhot-zamyn-uud")
    assert own.duration_h_range is not None and own.duration_h_range[0] < 5.0 < own.duration_h_range[1]
    included = gauge_change_event(c, **common, change_h=0.0, at_border=True)  # type: ignore[arg-type]
    assert included.duration_h == 0.0 and "included in the border crossing" in (included.note or "")
    inland = gauge_change_event(c, **common, change_h=0.0, at_border=False)  # type: ignore[arg-type]
    assert inland.duration_h == 9.0 and inland.note is None and inland.duration_h_range is None
