"""Service plans to fleets: the published fleets of the open lines against the model, counts
worked out by hand, and the one cycle formula shared with ``silkrail fleet``."""

from __future__ import annotations

import math

import pytest

from silkrail.programme.schema import Demand, Pattern, ProgrammeFile, ServicePhase
from silkrail.programme.service import (
    fleet_checks,
    km_open,
    line_fleet,
    pattern_fleet,
    reconcile,
    trains_per_day,
)
from silkrail.timetable.fleet import FleetFile, PlanLine, fleet_for_line, load_fleet_data


def _line(p: ProgrammeFile, line_id: str):  # type: ignore[no-untyped-def]
    return next(ln for ln in p.lines if ln.id == line_id)


def test_line_2a_stays_within_one_set_of_the_published_13(vietnam: ProgrammeFile) -> None:
    """23.5 min each way and 5 min to turn: a set is back after 57 min; one every 6 min needs 10
    under way, 12 with 15 % held back, against 13 published."""
    lf = line_fleet(_line(vietnam, "hanoi-line-2a"), 2026, load_fleet_data())
    assert lf is not None
    (p,) = lf.patterns
    assert (p.cycle_h * 60, p.in_service, p.trainsets) == pytest.approx((57.0, 10, 12))
    assert abs(lf.trainsets - 13) <= 1 and lf.vehicles == {"metro_car": 48}


def test_line_3_against_its_published_ten(vietnam: ProgrammeFile) -> None:
    """At the published 35 km/h and 6 min peak: the 8.5 km elevated section needs 9 of the 10
    sets (14.6 min a way, a 39 min cycle: 7 under way); the whole 12.5 km line from 2027 needs 11
    (21.4 min a way: 9 under way), one over: the published 10 run it every 6.6 min with the reserve."""
    checks = {
        (c.line_id, c.year): c for c in fleet_checks(list(vietnam.lines), load_fleet_data(), last_year=2050)
    }
    elevated = checks[("hanoi-line-3-1", 2024)]
    assert (elevated.km, elevated.modelled, elevated.published) == (8.5, 9, 10)
    whole = checks[("hanoi-line-3-1", 2027)]
    assert (whole.km, whole.modelled, whole.within_one) == (12.5, 11, True)
    assert whole.implied_headway_min == pytest.approx(6.6, abs=0.05)


def test_the_hcmc_line_1_schedule_runs_nine_trains(vietnam: ProgrammeFile) -> None:
    """The published schedule (72 min cycle, 8 min at peak) runs nine trains, as published; with
    the reserve 11 of the 17 bought."""
    lf = line_fleet(_line(vietnam, "hcmc-line-1"), 2025, load_fleet_data())
    assert lf is not None and lf.patterns[0].in_service == 9 and lf.trainsets == 11


def test_a_line_opening_in_sections_grows_its_fleet(vietnam: ProgrammeFile) -> None:
    """km open and the fleet follow the sections: Ho Chi Minh City line 2 runs 11.3 km from
    2030, 20.22 km from 2035, 62.8 km from 2045."""
    line = _line(vietnam, "hcmc-line-2")
    fleet = load_fleet_data()
    assert [km_open(line, y) for y in (2029, 2030, 2035, 2045)] == [0.0, 11.3, 20.22, 62.8]
    sets = [line_fleet(line, y, fleet).trainsets for y in (2030, 2035, 2045)]  # type: ignore[union-attr]
    assert sets == sorted(sets) and sets[0] < sets[-1]


def test_demand_becomes_trains_by_hand() -> None:
    """12.77 Mt a year, 60 % in the busier direction, 1,000 t a train: 21 trains a day each way."""
    p = Pattern(
        name="f",
        traffic="freight",
        speed_kmh=60,
        service_hours=24,
        locomotives_per_train=1,
        wagons_per_train=32,
        demand=Demand(per_year=12.77e6, unit="tonnes", load_per_train=1000, peak_direction_share=0.6),
    )
    assert trains_per_day(p) == math.ceil(12.77e6 * 0.6 / 365 / 1000) == 21


def test_a_freight_pattern_counts_locomotives_and_wagons(fleet15: FleetFile) -> None:
    """391 km at 60 km/h and a day to turn: a train is back after 2 x 6.52 + 48 = 61.0 h; 21 a day
    (one every 68.6 min) needs 54 under way, 64 with the reserve: 64 locomotives, 2,048 wagons."""
    p = Pattern(
        name="f",
        traffic="freight",
        km=390.9,
        speed_kmh=60,
        trains_per_day=21,
        service_hours=24,
        locomotives_per_train=1,
        wagons_per_train=32,
    )
    phase = ServicePhase(
        from_year=2030, basis="assumed", patterns=[p], assumed="test", source="test", as_of="2026-12"
    )
    pf = pattern_fleet("standard_gauge", p, 390.9, phase, fleet15)
    assert pf.cycle_h == pytest.approx(2 * 390.9 / 60 + 48)
    assert (pf.in_service, pf.trainsets) == (54, 64)
    assert pf.vehicles == {"locomotive": 64, "wagon": 64 * 32}


def test_a_pattern_is_sized_exactly_as_silkrail_fleet_sizes_a_plan(fleet15: FleetFile) -> None:
    """One formula: the programme's pattern and timetable/fleet.py's planned line agree."""
    p = Pattern(
        name="x",
        run_min=47,
        headway_min=7.5,
        service_hours=17,
        turnaround_min=6,
        cars_per_unit=6,
        units_per_train=2,
    )
    phase = ServicePhase(
        from_year=2030, basis="assumed", patterns=[p], assumed="t", source="t", as_of="2026-12"
    )
    pf = pattern_fleet("urban_metro", p, 20, phase, fleet15)
    row = fleet_for_line(
        PlanLine(
            id="x",
            name="x",
            phase=2030,
            length_km=20,
            run_min=47,
            headway_min=7.5,
            service_hours=17,
            units_per_train=2,
            turnaround_min=6,
            source="t",
            as_of="2026-12",
        ),
        turnaround_min=6,
        reserve_share=0.15,
    )
    assert (pf.in_service, pf.trainsets) == (row.in_service, row.total)
    assert pf.vehicles == {"metro_car": row.total * 6}


def test_the_hsr_reconciliation_names_the_plan_and_headway(vietnam: ProgrammeFile) -> None:
    """The 125 EMUs against each high-speed plan: the opening plan needs far fewer; the note says
    which plan comes closest and how often 125 sets would run the two published train types."""
    fleet = load_fleet_data()
    hsr = next(ln for ln in vietnam.lines if ln.kind == "high_speed")
    r = reconcile(hsr, 125, "EMUs", fleet)
    sets = [p.trainsets for p in r.plans]
    assert sets == sorted(sets) and sets[0] < 125
    assert r.headway_for_published_min is not None and 5 <= r.headway_for_published_min < 60
    assert "125" in r.note and "closest" in r.note
    assert r.demand_share_for_published is not None and 0.3 < r.demand_share_for_published < 1
