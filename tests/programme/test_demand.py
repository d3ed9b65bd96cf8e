"""The rolling-stock demand model on a programme worked out by hand, and its laws on the
shipped one (earlier retirement never buys fewer units)."""

from __future__ import annotations

import pytest

from silkrail.programme.demand import Assumptions, initial_cohorts, run_demand, sensitivity
from silkrail.programme.schema import FleetCount, ProgrammeFile
from silkrail.timetable.fleet import FleetFile, load_fleet_data


def test_the_small_programme_by_hand(small: ProgrammeFile, fleet15: FleetFile) -> None:
    """Ten locomotives aged 38-39 at the end of 2025 reach 40 in 2026 (five) and 2027 (five) and
    are replaced; Metro 1 opens in 2028 and needs 8 sets of 4 cars (60 min cycle every 10 min is
    6 under way, 8 with 15 % held back), bought in 2027. A locomotive costs US$1 M, a car US$2 M."""
    d = run_demand(small, fleet15)
    got = {y.year: (y.bought["locomotive"], y.bought["metro_car"], round(y.cost_usd)) for y in d.years}
    assert got == {
        2026: (5, 0, 5_000_000),
        2027: (5, 32, 69_000_000),
        2028: (0, 0, 0),
        2029: (0, 0, 0),
        2030: (0, 0, 0),
    }
    assert d.units == 42 and d.years[-1].in_service["metro_car"] == 32


def test_later_retirement_buys_no_more_units(vietnam: ProgrammeFile) -> None:
    """Retiring later never adds units within the horizon (a law of the model)."""
    fleet = load_fleet_data()
    units = [
        run_demand(vietnam, fleet, Assumptions(retirement_shift_years=s)).units for s in (-10, -5, 0, 5, 10)
    ]
    assert units == sorted(units, reverse=True) and units[0] > units[-1]


def test_the_base_case_buys_every_type_and_prices_it(vietnam: ProgrammeFile) -> None:
    d = run_demand(vietnam, load_fleet_data())
    by_type = d.by_type()
    assert all(by_type[t] > 0 for t in ("locomotive", "coach", "wagon", "hsr_car", "metro_car")), by_type
    priced = sum(d.prices_vnd[t] * n for t, n in by_type.items()) / vietnam.exchange_rate.vnd_per_usd
    assert d.cost_usd == pytest.approx(priced)
    assert {c.type for c in d.checks} == {"locomotive", "coach", "wagon"}


def test_a_fleet_without_ages_is_spread_below_the_limit() -> None:
    """4,300 wagons, 1,472 past their life: those at the limit, the other 2,828 spread evenly
    over ages 0-44 (the gap the note names)."""
    count = FleetCount(
        type="wagon",
        year=2025,
        units=4300,
        past_life_by=2025,
        past_life_units=1472,
        gap="no ages",
        source="t",
        as_of="2025-08",
    )
    ages, note = initial_cohorts(count, 45, 2025)
    assert ages[45] == 1472 and ages[:45].sum() == pytest.approx(2828) and ages[0] == pytest.approx(2828 / 45)
    assert "no ages" in note


def test_aged_bands_shift_to_the_base_year_and_drop_the_oldest_first() -> None:
    """Bands counted in 2019 are six years older in 2025; 28 fewer units then are the oldest."""
    count = FleetCount(
        type="coach",
        year=2025,
        units=980,
        ages_year=2019,
        ages={"0-30": 667, "30-35": 75, "35-40": 103, "40+": 163},
        source="t",
        as_of="2025-08",
    )
    ages, _ = initial_cohorts(count, 40, 2025)
    assert ages.sum() == pytest.approx(980)
    assert ages[6] == pytest.approx(667 / 30) and ages[:6].sum() == 0
    assert ages[55] == 0 and ages[46] == pytest.approx(163 / 10)


def test_the_sensitivity_says_which_way_each_assumption_moves_the_gap(vietnam: ProgrammeFile) -> None:
    variants = sensitivity(vietnam, load_fleet_data())
    base = variants[0]
    assert base.label == "base case"
    labels = {v.label for v in variants}
    assert {
        "retirement 10 years earlier",
        "retirement 10 years later",
        "conventional traffic as the sector plan",
    } <= labels
    earlier = next(v for v in variants if v.label == "retirement 10 years earlier")
    assert earlier.units > base.units
    dearer = next(v for v in variants if "CRRC" in v.label)
    assert dearer.units == base.units and dearer.cost_usd > base.cost_usd
    # the gap to a published total: a variant that buys more closes it when the model is short
    assert earlier.change_units(base.units) == earlier.units - base.units
    assert earlier.effect_on_gap(base.units, base.units + 10 * (earlier.units - base.units)) == "closes"
    assert earlier.effect_on_gap(base.units, base.units - 1) == "widens"
    assert (
        base.effect_on_gap(base.units, base.units) == "none" and base.effect_on_gap(base.units, None) is None
    )
    assert "effect_on_gap" not in base.to_dict(base.units, None)


def test_a_km_plan_scales_that_citys_metro_fleet_to_its_km(vietnam: ProgrammeFile) -> None:
    """Ho Chi Minh City's 2026 plan (187 km by 2030, 700 by 2045) against the 2024 project's lines
    open: the scale is the ratio of km, never below 1, and the metro cars grow by it."""
    from silkrail.programme.demand import km_plan_scale
    from silkrail.programme.service import km_open

    scale = km_plan_scale(vietnam, "Ho Chi Minh City metro", range(2026, 2051))
    hcmc = [ln for ln in vietnam.lines if ln.system == "Ho Chi Minh City metro"]
    km_2045 = sum(km_open(ln, 2045) for ln in hcmc)
    assert scale[2045] == pytest.approx(700 / km_2045)
    assert all(v >= 1 for v in scale.values()) and scale[2030] > 1
    fleet = load_fleet_data()
    base = run_demand(vietnam, fleet).by_type()["metro_car"]
    more = run_demand(vietnam, fleet, Assumptions(km_plan="Ho Chi Minh City metro")).by_type()["metro_car"]
    assert more > base
