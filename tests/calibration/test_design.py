"""The fit's design: which parameters a figure's running time and length depend on."""

from __future__ import annotations

from silkrail.calibration.design import compile_design
from silkrail.calibration.features import Features
from silkrail.evidence.schema import Figure
from silkrail.traffic import Traffic


def _features(traffic: Traffic, quantity: str = "time") -> Features:
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
