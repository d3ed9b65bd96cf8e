"""The accuracy report's figures, on hand-made held-out predictions."""

from __future__ import annotations

import json
import math

import pytest

from silkrail.calibration.features import Features
from silkrail.calibration.fit import HeldOut
from silkrail.calibration.report import TARGETS, Comparison, by, stats
from silkrail.evidence.schema import Figure
from silkrail.traffic import Traffic


def _held(fid: str, quantity: str, published: tuple[float, float], predicted: float | None) -> HeldOut:
    fig = Figure.model_validate(
        {
            "id": fid,
            "corridor": "china-europe",
            "quantity": quantity,
            "origin": "Xi'an",
            "destination": "Duisburg",
            "published": list(published),
            "unit": "h" if quantity == "time" else "km",
            "source": "a published figure, https://example.org",
            "as_of": "2024-01",
        }
    )
    feat = Features(figure=fig, traffic=Traffic.CONTAINER)
    if predicted is None:
        return HeldOut(feat, None, None, None, fig.corridor, error="no route")
    return HeldOut(feat, predicted, predicted * 0.8, predicted * 1.25, fig.corridor)


def test_stats_take_the_median_error_and_the_share_of_ranges_that_meet_the_figure() -> None:
    """Three routed times 10 %, 20 % and 50 % off (median 20 %), one distance 2 % off, one figure
    not routed: counts, MdAPEs and the time ranges' coverage follow."""
    held = [
        _held("a", "time", (100, 100), 110),  # 10 % off, range 88-137.5 meets 100
        _held("b", "time", (100, 100), 120),  # 20 % off, range 96-150 meets 100
        _held("c", "time", (100, 100), 150),  # 50 % off, range 120-187.5 misses 100
        _held("d", "distance", (1000, 1000), 1020),
        _held("e", "time", (100, 100), None),
    ]
    s = stats(held)
    assert (s.figures, s.routed) == (5, 4)
    assert s.time_mdape == pytest.approx(0.2)
    assert s.distance_mdape == pytest.approx(0.02)
    assert s.cost_mdape is None
    assert s.coverage == pytest.approx(2 / 3)
    assert s.coverage_all == pytest.approx(3 / 4)
    assert s.log_width == pytest.approx(math.log(1.25 / 0.8))
    assert list(by(held, "quantity")) == ["distance", "time"]
    assert s.time_mdape_no_category is None  # no prediction as a standard train was made


def test_the_error_had_no_query_named_the_category_is_the_median_of_the_standard_predictions() -> None:
    """Each held-out time also predicted as a standard train: 30 %, 20 % and 5 % off (median 20 %),
    beside the predictions for the named category (10 %, 20 %, 50 %)."""
    held = [_held("a", "time", (100, 100), 110), _held("b", "time", (100, 100), 120), _held("c", "time", (100, 100), 150)]
    for h, plain in zip(held, (130.0, 80.0, 105.0), strict=True):
        h.as_standard = plain
    s = stats(held)
    assert s.time_mdape == pytest.approx(0.2) and s.time_mdape_no_category == pytest.approx(0.2)
    held[1].as_standard = 100.0
    assert stats(held).time_mdape_no_category == pytest.approx(0.05)


def test_the_json_form_keeps_its_keys_in_order() -> None:
    """``calibrate --json`` readers see the same keys, in the same order, as before the records
    (a key added since comes last)."""
    both = Comparison(model=stats([_held("a", "time", (10, 20), 15)]), round2=stats([]))
    doc = json.loads(json.dumps(both.to_dict()))
    assert list(doc) == ["model", "round2"]
    assert list(doc["model"]) == [
        "figures",
        "routed",
        "time_mdape",
        "distance_mdape",
        "cost_mdape",
        "coverage",
        "coverage_all",
        "interval_score",
        "log_width",
        "time_mdape_no_category",
    ]
    assert doc["round2"]["routed"] == 0 and doc["round2"]["time_mdape"] is None
    assert TARGETS.to_dict() == {"time_mdape": 0.15, "distance_mdape": 0.03, "coverage": 0.80}
