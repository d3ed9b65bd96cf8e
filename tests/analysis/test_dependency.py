"""The Herfindahl–Hirschman index and the split of a route's distance, time and cost."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from silkrail.analysis.dependency import OPEN_SEA, hhi, parse_variant, route_dependency
from silkrail.errors import DataError


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


@dataclass
class _Event:
    kind: str
    from_country: str
    to_country: str
    duration_h: float
    cost_usd: float


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
    with pytest.raises(DataError, match="avoid=, year=, mode= or via="):
        parse_variant("x:speed=3")
    with pytest.raises(DataError, match="LABEL:"):
        parse_variant("no label")
