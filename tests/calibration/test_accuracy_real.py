"""The calibrated model on the real network: held-out accuracy within honest bounds, and every
answer with ranges and provenance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import silkrail
from silkrail.calibration.fit import Calibration, calibrate, lanes_to_folds
from silkrail.calibration.report import render, summary
from silkrail.errors import DataError
from silkrail.network.model import Network

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def result(real_net: Network) -> Calibration:
    return calibrate(real_net)


def test_held_out_accuracy_within_the_stated_bounds(result: Calibration) -> None:
    s = summary(result.held_out)
    assert s["all time"]["routed"] >= 15
    assert s["all time"]["mdape"] <= 0.25
    assert s["all cost"]["mdape"] <= 0.35
    inside = [h.inside for h in result.held_out if h.inside is not None]
    assert np.mean(inside) >= 0.70


def test_every_case_is_predicted_by_a_fit_without_its_lane(result: Calibration) -> None:
    folds = lanes_to_folds([h.case for h in result.held_out])
    by_lane: dict[frozenset[str], set[int]] = {}
    for h, f in zip(result.held_out, folds, strict=True):
        assert h.fold == f
        by_lane.setdefault(frozenset((h.case.origin, h.case.destination)), set()).add(f)
    assert all(len(v) == 1 for v in by_lane.values())  # both directions of a lane share a fold
    assert len(set(folds)) > 1


def test_fitted_values_stay_within_bounds(result: Calibration) -> None:
    for name, value in result.fitted.values.items():
        lo, hi = result.priors[name].bounds
        assert lo <= value <= hi, name
    text = render(result)
    assert "MdAPE" in text and "chongqing-duisburg-2024" in text


def test_routes_carry_ranges_and_a_basis_everywhere(real_net: Network) -> None:
    r = silkrail.route(real_net, "Kunming", "Vientiane", mode="rail")
    d = r.to_dict()
    for key in ("duration_h", "cost_usd", "co2_kg"):
        lo, hi = d[f"{key}_range"]
        assert lo <= d[key] <= hi
        assert lo < hi
    assert all(leg["basis"] in ("curated", "modelled", "fitted", "default") for leg in d["legs"])
    assert all(e["basis"] in ("curated", "modelled", "fitted", "default") for e in d["events"])
    boten = next(e for e in d["events"] if e.get("crossing_id") == "mohan-boten")
    # freight clearance published at under 5 h, not CAREC's 40.6 h regional average
    assert boten["basis"] == "curated" and boten["record"] == "mohan-boten"
    assert boten["duration_h"] <= 8.0
    assert d["events"][0]["kind"] == "terminal"
    assert r.train_h == pytest.approx(r.duration_h - 2 * r.events[0].duration_h)


def test_a_union_border_is_short_and_an_uncurated_one_is_not_the_regional_average(real_net: Network) -> None:
    r = silkrail.route(real_net, "Almaty", "Moscow", mode="rail")
    kz_ru = [e for e in r.border_crossings if {e.from_country, e.to_country} == {"KZ", "RU"}]
    assert kz_ru and all(e.duration_h <= 2.0 for e in kz_ru)  # Eurasian customs union
    assert all(e.duration_h < 40.6 for e in r.border_crossings)


def test_od_matrix_prices_paths_as_single_routes(real_net: Network) -> None:
    m = silkrail.od_matrix(real_net, ["Xi'an"], ["Duisburg"], mode="rail")
    r = silkrail.route(real_net, "Xi'an", "Duisburg", mode="rail")
    assert m.duration_h[0, 0] == pytest.approx(r.duration_h, rel=1e-6)
    assert m.cost_usd[0, 0] == pytest.approx(r.cost_usd, rel=1e-6)
    lo, hi = m.duration_h_range[0, 0]
    assert lo <= m.duration_h[0, 0] <= hi


def test_many_boxes_cost_less_per_box_than_one(real_net: Network) -> None:
    one = silkrail.route(real_net, "Xi'an", "Duisburg", mode="rail", teu=1)
    train = silkrail.route(real_net, "Xi'an", "Duisburg", mode="rail", teu=82)
    assert train.cost_usd < 82 * one.cost_usd
    assert train.cost_usd > 41 * one.cost_usd


def test_a_case_with_an_unknown_place_names_its_line(real_net: Network, tmp_path: Path) -> None:
    p = tmp_path / "calibration.yaml"
    p.write_text(
        "cases:\n- id: a\n  category: x\n  quantity: time\n  origin: Hanoi\n  destination: Atlantis\n"
        "  published: [10, 20]\n  unit: h\n  source: s, https://example.org\n  as_of: '2024-01'\n"
    )
    with pytest.raises(DataError) as exc:
        calibrate(real_net, cases=p)
    assert (exc.value.file, exc.value.line, exc.value.field) == (
        "calibration.yaml",
        6,
        "cases[0].destination",
    )
    assert "Atlantis" in str(exc.value)
