"""Fleet sizing on timetables and planned lines whose answers can be worked out by hand."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from silkrail.timetable.fleet import (
    PlanLine,
    by_phase,
    fleet_for_feed,
    fleet_for_line,
    fleet_report,
    load_fleet_data,
    plan_timetable,
    with_reserve,
)
from silkrail.timetable.services import load_services

SMALL = Path(__file__).parent.parent / "fixtures" / "timetable" / "small.yaml"


def _line(**kw: object) -> PlanLine:
    base = {
        "id": "t",
        "name": "T",
        "phase": 2030,
        "length_km": 25.0,
        "run_min": 50.0,
        "headway_min": 30.0,
        "service_hours": 16.0,
        "turnaround_min": 10.0,
        "source": "test",
        "as_of": "2026-12",
    }
    return PlanLine(**(base | kw))


def test_a_shuttle_needs_its_cycle_over_its_headway() -> None:
    """50 min each way and 10 min to turn: a train is back after 120 min; one every 30 min needs 4,
    and with 15 % of the fleet held back, 5."""
    row = fleet_for_line(_line(), turnaround_min=0, reserve_share=0.15)
    assert (row.cycle_h, row.in_service, row.total) == (2.0, 4, 5)
    assert fleet_for_line(_line(units_per_train=2), turnaround_min=0, reserve_share=0.15).in_service == 8


@pytest.mark.parametrize(("run", "headway", "turn"), [(50, 30, 10), (23.5, 6, 5), (320, 60, 30), (95, 20, 0)])
def test_the_timetable_count_equals_the_cycle_formula(run: float, headway: float, turn: float) -> None:
    """The deficit count over the line's own timetable agrees with ceil(cycle / headway)."""
    line = _line(run_min=run, headway_min=headway, turnaround_min=turn)
    feed = plan_timetable(line, start=dt.date(2026, 1, 5), end=dt.date(2026, 3, 1))
    (row,) = fleet_for_feed(feed, turnaround_s={"passenger": turn * 60}, reserve_share=0.0)
    assert row.in_service == fleet_for_line(line, turnaround_min=0, reserve_share=0.0).in_service


def test_a_weekly_one_way_freight_train() -> None:
    """F1 runs 10 days one way, weekly; with a day to turn and an empty return of 10 days, each
    departure holds a train 22 days: ceil(22 / 7) = 4 trains."""
    feed = load_services(SMALL).select("freight")
    (row,) = fleet_for_feed(feed, turnaround_s={"freight": 86400}, reserve_share=0.0)
    assert row.in_service == 4 and "empty return" in row.note


def test_the_nanning_hanoi_pair_needs_two_trainsets() -> None:
    """T8701 and T8702 each run overnight once a day: one trainset in each direction."""
    rows = fleet_for_feed(
        load_services(), turnaround_s={"passenger": 1800, "freight": 86400}, reserve_share=0.0
    )
    t87 = next(r for r in rows if set(r.services) == {"t8701", "t8702"})
    assert t87.in_service == 2 and t87.trips_per_week == 14


def test_the_reserve_is_a_share_of_the_whole_fleet() -> None:
    assert with_reserve(85, 0.15) == 100 and with_reserve(12, 0.0) == 12


def test_phases_add_up() -> None:
    data = load_fleet_data()
    plan = next(p for p in data.plans if p.id == "hanoi-urban-rail")
    report = fleet_report("hanoi-urban-rail")
    phases = by_phase(report.rows)
    assert [y for y, _, _ in phases] == sorted({line.phase for line in plan.lines})
    assert phases[-1][2] == sum(r.total for r in report.rows)
    assert sum(line.lines for line in plan.lines) == 15  # the programme's 15 lines


def test_fleet_cli(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from silkrail.cli import app

    run = CliRunner().invoke(app, ["fleet", "vn-north-south-hsr", "--json"])
    assert run.exit_code == 0, run.output
    out = json.loads(run.output)
    assert out["rows"][0]["in_service"] == 12 and any("125" in n for n in out["notes"])
    chart = tmp_path / "phases.png"
    run = CliRunner().invoke(app, ["fleet", "hanoi-urban-rail", "--chart", str(chart)])
    assert run.exit_code == 0 and chart.read_bytes()[:4] == b"\x89PNG"
    bad = CliRunner().invoke(app, ["fleet", "nowhere"])
    assert bad.exit_code == 2 and "hanoi-urban-rail" in bad.output


def test_two_operators_never_share_a_circulation_unless_a_source_pools_their_sets() -> None:
    """China Railway's 24505 and the FESCO shuttle both end at Yen Vien: they were one
    circulation of 14 sets; each is its operator's own. T8701 (China Railway) and T8702
    (Vietnam Railways) stay one pair of sets, because services.yaml gives the source that says
    the Chinese sets run through to Gia Lam."""
    feed = load_services()
    rows = fleet_for_feed(feed, turnaround_s={"passenger": 1800, "freight": 86400}, reserve_share=0.0)
    by = {r.services: r for r in rows}
    assert ("fesco-vietnam-shuttle",) in by and ("nanning-yen-vien-24505",) in by
    for r in rows:
        agencies = {feed.service_by_id[s].agency for s in r.services}
        pools = {feed.service_by_id[s].trainsets for s in r.services}
        assert len(agencies) == 1 or (len(pools) == 1 and None not in pools), r.services
    assert by[("t8701", "t8702")].in_service == 2


def test_a_shared_trainset_pool_needs_its_source(tmp_path: Path) -> None:
    from silkrail.errors import DataError

    text = SMALL.read_text(encoding="utf-8")
    marker = "    agency: "
    at = text.index(marker)
    bad = text[:at] + "    trainsets: shared-pool\n" + text[at:]
    path = tmp_path / "small.yaml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(DataError, match="trainsets_source"):
        load_services(path)


def test_a_service_names_a_category_its_traffic_has(tmp_path: Path) -> None:
    """``train:`` is checked against the service's traffic: a freight service is never a stopping
    train; a passenger service may be an express."""
    from silkrail.errors import DataError

    text = SMALL.read_text(encoding="utf-8")
    freight = text.index("    traffic: freight")
    passenger = text.index("    traffic: passenger")
    path = tmp_path / "small.yaml"
    path.write_text(text[:freight] + "    train: stopping\n" + text[freight:], encoding="utf-8")
    with pytest.raises(DataError, match="a freight service is standard or express, not 'stopping'"):
        load_services(path)
    path.write_text(text[:passenger] + "    train: express\n" + text[passenger:], encoding="utf-8")
    assert sorted(s.train for s in load_services(path).services).count("express") == 1
