"""The fit's design: which parameters a figure's running time and length depend on."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from silkrail.calibration.design import compile_design
from silkrail.calibration.features import Features
from silkrail.evidence.schema import Figure
from silkrail.traffic import Traffic


def _features(traffic: Traffic, quantity: str = "time", train: str = "standard") -> Features:
    fig = Figure(
        id="f",
        corridor="trans-siberian",
        traffic=traffic.value,
        quantity=quantity,
        origin="Moscow",
        destination="Vladivostok",
        published=(100.0, 100.0) if quantity == "time" else (9288.0, 9288.0),
        unit="h" if quantity == "time" else "km",
        source="s, https://example.org",
        as_of="2024-01",
        train=train,
    )
    return Features(
        fig,
        traffic,
        run={("modern", "RU"): 1000.0, ("high_speed", "RU"): 500.0},
        run_time={("modern", "RU", "trans-siberian"): 1000.0, ("high_speed", "RU", ""): 500.0},
    )


def _terms(f: Features) -> list[tuple[float, set[str], set[str]]]:
    d = compile_design([f])
    names = d.names.names
    return [
        (
            float(d.coef[j]),
            {names[q] for q in d.up[j] if q >= 0},
            {names[q] for q in d.down[j] if q >= 0},
        )
        for j in range(len(d.coef))
    ]


def test_a_passengers_run_on_a_curated_line_reads_the_lines_factor() -> None:
    terms = _terms(_features(Traffic.PASSENGER))
    line = next(t for t in terms if t[0] == 1000.0)
    assert line[2] == {"passenger.speed_kmh.modern", "line_speed_passenger.trans-siberian"}
    assert line[1] == {"track_factor.modern", "railway_track.RU"}
    # on a high-speed line: no railway factor for speed or for track length
    hs = next(t for t in terms if t[0] == 500.0)
    assert hs[2] == {"passenger.speed_kmh.high_speed"}
    assert hs[1] == {"track_factor.high_speed"}


def test_freight_reads_the_railways_factor_on_every_line() -> None:
    terms = _terms(_features(Traffic.CONTAINER))
    line = next(t for t in terms if t[0] == 1000.0)
    assert line[2] == {"container.speed_kmh.modern", "railway_speed.RU"}
    hs = next(t for t in terms if t[0] == 500.0)  # freight keeps the modern speed there
    assert hs[2] == {"container.speed_kmh.modern", "railway_speed.RU"}
    assert hs[1] == {"track_factor.high_speed"}


def test_a_length_on_a_high_speed_line_takes_no_railway_track_factor() -> None:
    terms = _terms(_features(Traffic.CONTAINER, "distance"))
    assert {frozenset(t[1]) for t in terms} == {
        frozenset({"track_factor.modern", "railway_track.RU"}),
        frozenset({"track_factor.high_speed"}),
    }


def test_an_express_passenger_train_takes_its_factor_on_all_but_high_speed_lines() -> None:
    terms = _terms(_features(Traffic.PASSENGER, train="express"))
    line = next(t for t in terms if t[0] == 1000.0)
    assert line[1] == {"track_factor.modern", "railway_track.RU", "passenger.express_run"}
    hs = next(t for t in terms if t[0] == 500.0)  # the high-speed line's speed is its trains'
    assert hs[1] == {"track_factor.high_speed"}
    stopping = next(t for t in _terms(_features(Traffic.PASSENGER, train="stopping")) if t[0] == 1000.0)
    assert "passenger.stopping_run" in stopping[1]


def test_a_container_express_takes_its_factor_on_every_line_and_scales_the_prediction() -> None:
    f = _features(Traffic.CONTAINER, train="express")
    assert all("container.express_run" in t[1] for t in _terms(f) if t[0] in (1000.0, 500.0))
    d = compile_design([f])
    theta = np.ones(len(d.names.names))
    base = d.predict(theta, [f], lambda *_: 0.0)[0]
    theta[d.names.index["container.express_run"]] = 0.5
    assert d.predict(theta, [f], lambda *_: 0.0)[0] == pytest.approx(base * 0.5)


@pytest.mark.parametrize(("traffic", "train"), [("container", "stopping"), ("wagonload", "express")])
def test_a_figure_names_only_a_category_its_traffic_has(traffic: str, train: str) -> None:
    with pytest.raises(ValidationError, match=f"a {traffic} train is .*not '{train}'"):
        _features(Traffic(traffic), train=train)
