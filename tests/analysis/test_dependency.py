"""The Herfindahl–Hirschman index and the split of a route's distance, time and cost."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from silkrail.analysis.dependency import MEASURES, OPEN_SEA, Measures, hhi, parse_variant, route_dependency
from silkrail.analysis.operators import UNKNOWN_OPERATOR, OperatorIndex, operator_index
from silkrail.errors import DataError
from silkrail.network.interop import load_interoperability


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ([1.0], 10_000.0),
        ([0.5, 0.5], 5_000.0),
        ([0.25, 0.25, 0.25, 0.25], 2_500.0),
        ([60, 30, 10], 4_600.0),  # amounts, not shares: 3,600 + 900 + 100
        ([3, 1], 6_250.0),
        ([0.0, 0.0], 0.0),
    ],
)
def test_hhi_of_known_shares(parts: list[float], expected: float) -> None:
    """HHI is the sum of squared percentage shares of the parts' total."""
    assert hhi(parts) == pytest.approx(expected)


def test_measures_are_a_mapping_in_the_order_of_the_measures() -> None:
    """A part's distance, time and cost read by name or by attribute; shares of a zero total are 0."""
    part = Measures(distance=300.0, time=20.0, cost=0.0)
    assert list(part) == list(MEASURES) and dict(part) == {"distance": 300.0, "time": 20.0, "cost": 0.0}
    assert part == {"distance": 300.0, "time": 20.0, "cost": 0.0} and part["time"] == part.time == 20.0
    assert part.share_of(Measures(600.0, 80.0, 0.0)) == Measures(0.5, 0.25, 0.0)
    with pytest.raises(KeyError, match="distance, time, cost"):
        part["speed"]


def test_hhi_refuses_negative_parts() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        hhi([0.5, -0.1])


@dataclass
class _Place:
    name: str


@dataclass
class _Leg:
    mode: str
    countries: list[str]
    distance_km: float
    duration_h: float
    edges: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))  # no track: shares by leg
    nodes: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    record: str | None = None


@dataclass
class _Event:
    kind: str
    from_country: str
    to_country: str
    duration_h: float
    cost_usd: float
    record: str | None = None


@dataclass
class _Route:
    legs: list[_Leg]
    events: list[_Event]
    cost_usd: float
    components: dict[str, float]
    teu: float = 1.0
    distance_km: float = 0.0
    duration_h: float = 0.0
    countries: list[str] = field(default_factory=list)
    origin: Any = field(default_factory=lambda: _Place("A"))
    destination: Any = field(default_factory=lambda: _Place("B"))


def test_a_route_is_split_by_country_and_border_events_half_and_half() -> None:
    """1,000 km in CN and 500 km in KZ; the border's 4 h and $100 shared; the tariff by rail km."""
    route = _Route(
        legs=[_Leg("rail", ["CN"], 1000.0, 20.0), _Leg("rail", ["KZ"], 500.0, 10.0)],
        events=[_Event("border_crossing", "CN", "KZ", 4.0, 100.0)],
        cost_usd=1000.0,
        components={"rail_tariff_usd_per_teu": 900.0, "sea_usd_per_teu": 0.0},
    )
    d = route_dependency(None, route)
    by = {s.country: s for s in d.shares}
    assert by["CN"].km == 1000.0 and by["KZ"].km == 500.0
    assert by["CN"].hours == pytest.approx(22.0) and by["KZ"].hours == pytest.approx(12.0)
    assert by["CN"].usd == pytest.approx(650.0) and by["KZ"].usd == pytest.approx(350.0)
    assert d.hhi["distance"] == pytest.approx(100**2 * ((2 / 3) ** 2 + (1 / 3) ** 2))
    assert d.hhi["cost"] == pytest.approx(65**2 + 35**2)
    assert d.top() is not None and d.top().country == "CN"  # type: ignore[union-attr]


def test_open_sea_is_a_share_but_not_a_country_in_the_hhi() -> None:
    """A sea leg's open water counts in the shares and is left out of the HHI."""
    route = _Route(
        legs=[_Leg("rail", ["CN"], 500.0, 10.0), _Leg("sea", [], 1500.0, 100.0)],
        events=[],
        cost_usd=1000.0,
        components={"rail_tariff_usd_per_teu": 400.0, "sea_usd_per_teu": 600.0},
    )
    d = route_dependency(None, route)
    by = {s.country: s for s in d.shares}
    assert by[OPEN_SEA].shares["distance"] == pytest.approx(0.75)
    assert d.hhi["distance"] == pytest.approx(10_000.0)  # the national part is all CN


def test_variants_parse_and_bad_ones_say_what_is_valid() -> None:
    v = parse_variant("via Kyrgyzstan:year=2031;avoid=KZ+RU;mode=rail")
    assert (v.label, v.year, v.avoid, v.mode) == ("via Kyrgyzstan", 2031, ("KZ", "RU"), "rail")
    w = parse_variant("west:via=alashankou-dostyk+brest-terespol;avoid=MN, CN")
    assert (w.via, w.avoid, w.year, w.mode) == (
        ("alashankou-dostyk", "brest-terespol"),
        ("MN", "CN"),
        None,
        None,
    )
    with pytest.raises(DataError, match="avoid=, year=, mode= or via="):
        parse_variant("x:speed=3")
    with pytest.raises(DataError, match="LABEL:"):
        parse_variant("no label")


# --- per operator --------------------------------------------------------------------------

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass(frozen=True)
class _Line:
    id: str


class _Net:
    """Five edges in a row: CN off the line, CN on the cross-border line, LA on it twice, LA off it."""

    km = np.array([100.0, 50.0, 200.0, 150.0, 100.0])
    line = np.array([-1, 0, 0, 0, -1])
    lines = (_Line("cross-line"),)
    _country = ("CN", "CN", "LA", "LA", "LA", "LA")
    u = np.arange(5)
    v = np.arange(1, 6)
    lat = np.full(6, 25.0)  # far from the fixture's riverside section
    lon = np.linspace(101.0, 102.0, 6)

    def country_code(self, node: int) -> str:
        return self._country[node]


@dataclass
class _Router:
    net: Any


@pytest.fixture
def operators() -> OperatorIndex:
    return operator_index(load_interoperability(FIXTURES / "interoperability.yaml"))


def test_a_line_run_by_another_company_is_its_share_and_unknown_is_left_out(operators: OperatorIndex) -> None:
    """The line's record (kept to LA) takes its Lao track, the Chinese railway its own country's
    (the line's Chinese part included), and the Lao track off the line is nobody's known: its own
    bucket, out of the HHI. The border event goes half to each side's railway."""
    edges = np.arange(5, dtype=np.int64)
    route = _Route(
        legs=[_Leg("rail", ["CN", "LA"], 600.0, 60.0, edges, np.arange(6, dtype=np.int64))],
        events=[_Event("border_crossing", "CN", "LA", 4.0, 100.0)],
        cost_usd=1000.0,
        components={"rail_tariff_usd_per_teu": 600.0, "sea_usd_per_teu": 0.0},
    )
    d = route_dependency(_Router(_Net()), route, operators=operators)
    by = {s.operator: s for s in d.operators}
    assert set(by) == {"CN-RAIL", "LINE-CO", UNKNOWN_OPERATOR}
    assert (by["CN-RAIL"].km, by["LINE-CO"].km, by[UNKNOWN_OPERATOR].km) == (150.0, 350.0, 100.0)
    assert by["CN-RAIL"].hours == pytest.approx(17.0)  # 15 h running + half the border
    assert by[UNKNOWN_OPERATOR].hours == pytest.approx(12.0)  # LA has no railway record
    # tariff by rail km (150/350/100), event half and half, the rest (300) by km
    assert by["CN-RAIL"].usd == pytest.approx(150 + 50 + 75)
    assert by["LINE-CO"].usd == pytest.approx(350 + 175)
    assert by["LINE-CO"].shares["distance"] == pytest.approx(350 / 600)
    assert d.operator_hhi["distance"] == pytest.approx(30**2 + 70**2)
    assert d.operator_hhi["cost"] == pytest.approx(hhi([275.0, 525.0]))
    assert by["LINE-CO"].name == "A line company" and by["LINE-CO"].sources == ("fixture source G",)
    # the countries are split as before, whoever runs the track
    assert {s.country: s.km for s in d.shares} == {"LA": 450.0, "CN": 150.0}
    assert d.to_dict()["operator_shares"][-1]["operator"] == UNKNOWN_OPERATOR


def test_a_ferry_is_its_operators_and_the_sea_nobodys(operators: OperatorIndex) -> None:
    """A ferry leg and its event go to the ferry's operator, not to the railways of its ends."""
    route = _Route(
        legs=[
            _Leg("rail", ["CN"], 300.0, 10.0),
            _Leg("ferry", ["CN", "LA"], 100.0, 20.0, record="fx"),
            _Leg("sea", [], 600.0, 40.0),
        ],
        events=[_Event("ferry", "CN", "LA", 10.0, 0.0, "fx")],
        cost_usd=0.0,
        components={},
    )
    d = route_dependency(None, route, operators=operators)
    by = {s.operator: s for s in d.operators}
    assert by["FERRY-CO"].km == pytest.approx(100.0) and by["FERRY-CO"].hours == pytest.approx(30.0)
    assert by["FERRY-CO"].weak
    assert by["CN-RAIL"].km == pytest.approx(300.0)
    assert by[UNKNOWN_OPERATOR].km == pytest.approx(600.0)
    assert d.operator_hhi["distance"] == pytest.approx(75**2 + 25**2)


class _PathNet:
    """Three edges eastwards along 20° N in Laos, on no curated line: two on the riverside
    section's path, the last about 10 km past its end (outside its 5 km buffer)."""

    km = np.array([20.9, 20.9, 20.9])
    line = np.array([-1, -1, -1])
    lines = ()
    u = np.array([0, 1, 2])
    v = np.array([1, 2, 3])
    lat = np.array([20.0, 20.0, 20.0, 20.0])
    lon = np.array([102.0, 102.1, 102.2, 102.3])

    def country_code(self, node: int) -> str:
        return "LA"


def test_a_section_given_by_its_stations_takes_the_track_in_its_buffer(operators: OperatorIndex) -> None:
    edges = np.arange(3, dtype=np.int64)
    route = _Route(
        legs=[_Leg("rail", ["LA"], 62.7, 3.0, edges, np.arange(4, dtype=np.int64))],
        events=[],
        cost_usd=0.0,
        components={},
    )
    d = route_dependency(_Router(_PathNet()), route, operators=operators)
    by = {s.operator: s.km for s in d.operators}
    assert by == pytest.approx({"PATH-CO": 41.8, UNKNOWN_OPERATOR: 20.9})


def test_a_route_no_record_names_has_no_operator_concentration(operators: OperatorIndex) -> None:
    """All unknown: the shares say so, and there is no HHI (0 would read as perfectly spread)."""
    route = _Route(legs=[_Leg("rail", ["LA"], 100.0, 5.0)], events=[], cost_usd=10.0, components={})
    d = route_dependency(None, route, operators=operators)
    assert [(s.operator, s.shares["distance"]) for s in d.operators] == [(UNKNOWN_OPERATOR, 1.0)]
    assert d.operator_hhi == {} and d.hhi["distance"] == pytest.approx(10_000.0)


@dataclass(frozen=True)
class _Ferry:
    id: str


class _FerryNet:
    """One ferry edge (its port index names the ferry, as in the network)."""

    port = np.array([1])
    ferries = (_Ferry("other"), _Ferry("fx"))


def test_a_ferry_leg_is_known_by_its_edge_when_it_carries_no_record(operators: OperatorIndex) -> None:
    leg = _Leg("ferry", ["CN", "LA"], 100.0, 20.0, np.array([0], np.int64), np.array([0, 1], np.int64))
    route = _Route(legs=[leg], events=[], cost_usd=0.0, components={})
    d = route_dependency(_Router(_FerryNet()), route, operators=operators)
    assert [(s.operator, s.km) for s in d.operators] == [("FERRY-CO", 100.0)]


def test_an_operator_record_without_a_source_is_refused_with_its_place() -> None:
    with pytest.raises(DataError) as exc:
        load_interoperability(FIXTURES / "interoperability-unsourced-operator.yaml")
    assert exc.value.file == "interoperability-unsourced-operator.yaml"
    assert exc.value.line == 5
    assert exc.value.field == "operators[0].source"


def test_two_railways_for_one_country_are_refused() -> None:
    with pytest.raises(DataError, match="two operator records") as exc:
        load_interoperability(FIXTURES / "interoperability-two-railways.yaml")
    assert exc.value.field == "operators[1].country"


def test_an_operator_record_names_one_thing() -> None:
    from silkrail.network.interop import OperatorRecord

    with pytest.raises(ValueError, match="exactly one of country, line, section or ferry"):
        OperatorRecord(operator="X", country="CN", ferry="fx", source="s", as_of="2024-01")
    with pytest.raises(ValueError, match="countries limits"):
        OperatorRecord(operator="X", country="CN", countries=["CN"], source="s", as_of="2024-01")
