"""Sections and change points on hand-made routes (no network needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from silkrail.analysis.sections import (
    CURATED,
    DEFAULT,
    UNKNOWN,
    Boundary,
    ClassSpeeds,
    Piece,
    change_points,
    class_speeds,
    describe_sections,
)
from silkrail.errors import DataError
from silkrail.network.interop import load_interoperability

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def data():
    return load_interoperability(FIXTURES / "interoperability.yaml")


def _route() -> list[Piece]:
    """Hanoi -> (break of gauge, transshipment) -> China -> (break of gauge) -> Georgia: two
    power systems beyond a diesel start, and two gauge changes."""
    return [
        Piece(Boundary("Hanoi"), "Dong Dang", 160.0, "VN", 1000),
        Piece(Boundary("Dong Dang", "dd", "transshipment"), "Lanzhou", 2000.0, "CN", 1435),
        Piece(Boundary("Lanzhou"), "Khorgos", 1500.0, "CN", 1435, records=("fast-line",)),
        Piece(Boundary("Khorgos", "kh", "bogie_exchange"), "Tbilisi", 3000.0, "GE", 1520),
    ]


def test_attributes_come_from_the_record_then_the_country_then_nowhere(data) -> None:
    """A section record's figure wins over the country's; what neither gives is unknown."""
    s = describe_sections(_route(), data)
    assert s[2].attributes["speed_kmh"].value == 120
    assert s[2].attributes["speed_kmh"].basis == CURATED
    assert s[2].attributes["speed_kmh"].record == "fast-line"
    assert s[2].attributes["electrification"].basis == DEFAULT
    assert s[2].attributes["electrification"].source == ("fixture source C",)
    assert s[1].attributes["speed_kmh"].basis == UNKNOWN
    assert s[1].attributes["speed_kmh"].value is None
    assert s[3].attributes["train_control"].basis == UNKNOWN
    d = s[3].to_dict()
    assert d["electrification"] == "3 kV DC" and d["signalling"] is None
    assert d["basis"]["train_control"] == UNKNOWN


def test_a_speed_comes_from_the_record_then_the_line_classes_then_nowhere(data) -> None:
    """Without a section record's speed, the section's speed is its length over its time at the
    transit model's speed on each line class (a harmonic mean, so the time adds up), with the
    weakest basis of the classes used; a record's speed still wins; no class known: unknown."""
    speeds = ClassSpeeds(
        "container",
        speed=lambda cls, country: {1: 60.0, 2: 30.0}[cls] * (0.5 if country == "GE" else 1.0),
        basis=lambda cls: {1: "fitted", 2: "modelled"}[cls],
        source=("the fixture's model",),
    )
    pieces = [
        Piece(Boundary("Dong Dang"), "Lanzhou", 2000.0, "CN", 1435, classes=((1, 1500.0), (2, 500.0))),
        Piece(
            Boundary("Lanzhou"), "Khorgos", 1500.0, "CN", 1435, records=("fast-line",), classes=((1, 1500.0),)
        ),
        Piece(Boundary("Khorgos"), "Tbilisi", 3000.0, "GE", 1520, classes=((1, 3000.0),)),
        Piece(Boundary("Tbilisi"), "Kars", 100.0, "GE", 1520, classes=((-1, 100.0),)),
    ]
    s = describe_sections(pieces, data, speeds)
    first = s[0].attributes["speed_kmh"]
    assert first.value == pytest.approx(2000.0 / (1500.0 / 60.0 + 500.0 / 30.0), abs=0.05)  # 48, not 52.5
    assert first.basis == "line class (modelled)" and first.source == ("the fixture's model",)
    assert "modern 75%" in (first.note or "") and "conventional 25%" in (first.note or "")
    assert s[1].attributes["speed_kmh"].value == 120 and s[1].attributes["speed_kmh"].basis == CURATED
    assert (
        s[2].attributes["speed_kmh"].value == 30.0
        and s[2].attributes["speed_kmh"].basis == "line class (fitted)"
    )
    assert s[3].attributes["speed_kmh"].basis == UNKNOWN and s[3].attributes["speed_kmh"].value is None
    assert describe_sections(pieces, data)[0].attributes["speed_kmh"].basis == UNKNOWN  # no model: no guess


def test_the_class_speeds_are_the_transit_models(small_net) -> None:  # type: ignore[no-untyped-def]
    """The speeds by line class are the router's cost model's, per traffic type, with the basis
    of the parameter (fitted where the calibration fitted it)."""
    from silkrail.network.classes import LineClass
    from silkrail.routing.router import router_for

    router = router_for(small_net)
    model = router.graph.model
    freight = class_speeds(router, "container")
    assert freight.speed(int(LineClass.CONVENTIONAL), "CN") == model.speed_kmh(
        LineClass.CONVENTIONAL, "container", "CN"
    )
    assert freight.basis(int(LineClass.CONVENTIONAL)) == model.basis_of("container.speed_kmh.conventional")
    assert freight.basis(int(LineClass.HIGH_SPEED)) == model.basis_of("container.speed_kmh.modern")
    people = class_speeds(router, "passenger")
    assert people.speed(int(LineClass.MODERN), "") > freight.speed(int(LineClass.MODERN), "")


def test_change_points_of_two_power_systems_and_two_gauge_changes(data) -> None:
    """Gauge, power, train control and length-limit changes, each at its place with its meaning."""
    changes = change_points(describe_sections(_route(), data))
    got = [(c.at, c.kind, c.from_, c.to) for c in changes]
    assert got == [
        ("Dong Dang", "gauge", "1,000 mm", "1,435 mm"),
        ("Dong Dang", "power", "not electrified (diesel)", "25 kV 50 Hz AC"),
        ("Dong Dang", "length_limit", "23 wagons", "55 wagons"),
        ("Khorgos", "gauge", "1,435 mm", "1,520 mm"),
        ("Khorgos", "power", "25 kV 50 Hz AC", "3 kV DC"),
    ]
    by = {(c.at, c.kind): c for c in changes}
    assert by["Dong Dang", "gauge"].consequence.startswith("transshipment")
    assert by["Khorgos", "gauge"].consequence.startswith("bogie exchange")
    assert "dual-system" in by["Khorgos", "power"].consequence
    assert "diesel to electric" in by["Dong Dang", "power"].consequence
    assert by["Dong Dang", "gauge"].km == 160.0
    assert by["Khorgos", "power"].km == 3660.0
    assert by["Khorgos", "power"].basis == DEFAULT


def test_a_shorter_limit_splits_the_train(data) -> None:
    """Going from 55-wagon China to 23-wagon Vietnam means splitting the train."""
    pieces = [
        Piece(Boundary("Nanning"), "Pingxiang", 200.0, "CN", 1435),
        Piece(Boundary("Pingxiang", "px", "dual_gauge"), "Hanoi", 160.0, "VN", 1435),
    ]
    changes = change_points(describe_sections(pieces, data))
    length = [c for c in changes if c.kind == "length_limit"]
    assert len(length) == 1 and "split" in length[0].consequence and "23 wagons" in length[0].consequence
    assert not [c for c in changes if c.kind == "gauge"]


def test_an_unknown_stretch_is_named_in_the_change_note(data) -> None:
    """A change seen across an unknown country may lie anywhere in it: the note says where."""
    pieces = [
        Piece(Boundary("Lanzhou"), "Khorgos", 1500.0, "CN", 1435),
        Piece(Boundary("Khorgos"), "Aktau", 2500.0, "KZ", 1520),  # KZ is not in the fixture
        Piece(Boundary("Baku"), "Tbilisi", 500.0, "GE", 1520),
    ]
    changes = change_points(describe_sections(pieces, data))
    power = [c for c in changes if c.kind == "power"]
    assert len(power) == 1 and power[0].at == "Baku"
    assert power[0].note is not None and "Khorgos–Aktau (KZ)" in power[0].note


def test_a_sea_leg_starts_a_new_train(data) -> None:
    """After a sea leg nothing is compared with the train before it."""
    pieces = [
        Piece(Boundary("Hanoi"), "Haiphong", 100.0, "VN", 1000),
        Piece(Boundary("Haiphong"), "Poti", 12000.0, "", None, mode="sea"),
        Piece(Boundary("Poti"), "Tbilisi", 300.0, "GE", 1520),
    ]
    assert change_points(describe_sections(pieces, data)) == []


def test_an_unsourced_figure_is_refused_with_its_place() -> None:
    """Every figure needs a source: the loader names the file, line and field."""
    with pytest.raises(DataError) as exc:
        load_interoperability(FIXTURES / "interoperability-unsourced.yaml")
    assert exc.value.file == "interoperability-unsourced.yaml"
    assert exc.value.line == 4  # the record that lacks it
    assert exc.value.field == "countries[0].electrification.source"


def test_the_shipped_data_loads_and_every_figure_has_a_source() -> None:
    """The package's interoperability file is valid; each figure carries source and date."""
    data = load_interoperability()
    assert {"VN", "CN", "MN", "RU", "KZ"} <= set(data.countries)
    for holder in [*data.countries.values(), *data.sections]:
        for name in ("electrification", "train_control", "axle_load_t", "max_train", "tracks", "speed_kmh"):
            a = getattr(holder, name)
            if a is not None:
                assert a.sources and a.as_of


def test_a_few_km_in_a_buffer_is_not_a_section() -> None:
    """A 2 km run of another record between two runs of one record joins them into one section."""
    import numpy as np

    from silkrail.analysis.sections import _smooth

    keys = ["a", "b", "a", "a"]
    assert _smooth([(0, 1), (1, 2), (2, 4)], np.array([100.0, 2.0, 50.0, 50.0]), keys) == [(0, 4)]
    assert _smooth([(0, 1), (1, 2)], np.array([100.0, 50.0]), ["a", "b"]) == [(0, 1), (1, 2)]


def test_the_corridor_report_is_offline_and_lists_its_sources(data) -> None:
    """The HTML page holds the tables, the basis of each figure and its sources; nothing is fetched."""
    from silkrail.analysis.report import corridor_html
    from silkrail.analysis.sections import Corridor

    sections = describe_sections(_route(), data)
    page = corridor_html(Corridor(sections, change_points(sections)), title="fixture", outlines=[])
    assert "<table>" in page and "Change points" in page and "fixture source C" in page
    assert "country default" in page and 'class="unknown"' in page
    assert "<script src" not in page and "http" not in _offline(page)


def _offline(page: str) -> str:
    """The page without its embedded images and the SVG namespace: what could make a request."""
    import re

    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page).replace(
        "http://www.w3.org/2000/svg", ""
    )
