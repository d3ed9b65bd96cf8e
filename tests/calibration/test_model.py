"""The cost model's parts against hand-computed values, its laws, and its data files' errors."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from silkrail.errors import DataError
from silkrail.evidence.load import load_evidence, published_count
from silkrail.evidence.schema import CrossingsFile, FiguresFile, TransitFile, check_crossing_ids, load_yaml
from silkrail.network.records import Crossing
from silkrail.routing.costs import CostModel
from silkrail.routing.distributions import Z90, lognormal_range, lognormal_variance
from silkrail.traffic import Traffic

DATA = Path(__file__).resolve().parents[2] / "src/silkrail/data"


@pytest.fixture(scope="module")
def prior() -> CostModel:
    """The model with its priors only (no fitted values), so the hand computations stay fixed."""
    return CostModel.from_network(None, fitted=False)


def _crossing(**kw: Any) -> Crossing:
    base = Crossing(
        id="auto-1",
        name="KZ–RU border",
        kind="border",
        method="none",
        countries=("KZ", "RU"),
        gauges_mm=((1520,), (1520,)),
        sides=(),
        lat=51.0,
        lon=61.0,
        status="open",
        opening_year=None,
        curated=False,
        dwell_range_h=None,
        gauge_change_h=None,
        source=("CAREC",),
        as_of="2026-11-01",
        nodes=(),
        edges=1,
        dwell_h=40.6,
        dwell_from="default",
        cost_usd_per_teu=215.0,
        capacity_trains_per_day=12.0,
    )
    return replace(base, **kw)


def test_a_crossing_inside_a_customs_union_takes_the_union_dwell(prior: CostModel) -> None:
    dwell, _ = prior.crossing_dwell(_crossing(dwell_from="customs union", dwell_h=1.0))
    assert dwell.value == prior.params.container.union_border_dwell_h == 1.0
    assert dwell.basis == "modelled"
    assert dwell.param == "container.union_border_dwell_h"
    assert not prior.uses_border_param(_crossing(dwell_from="customs union", dwell_h=1.0))


def test_a_border_without_a_published_figure_takes_the_fitted_border_dwell(prior: CostModel) -> None:
    dwell, _ = prior.crossing_dwell(_crossing(countries=("CN", "VN")))
    assert dwell.value == prior.params.container.border_dwell_h == 8.0  # the prior, not CAREC's 40.6 h
    assert dwell.param == "container.border_dwell_h"
    assert prior.uses_border_param(_crossing(countries=("CN", "VN")))
    # a passenger train's formalities are its own
    p_dwell, _ = prior.crossing_dwell(_crossing(countries=("CN", "VN")), Traffic.PASSENGER)
    assert p_dwell.value == prior.params.passenger.border_dwell_h == 2.0


def test_a_published_clearance_time_replaces_the_default(prior: CostModel) -> None:
    # borders.yaml gives Mohan–Boten no dwell; the evidence base publishes "under 5 h" (2024)
    c = _crossing(id="mohan-boten", countries=("CN", "LA"), curated=True, dwell_from="default")
    dwell, _ = prior.crossing_dwell(c)
    queue = prior.params.container.border_queue_h
    assert queue == 12.0  # the prior
    # a per-train clearance time: the fitted queue before it comes on top
    assert (dwell.value, dwell.basis, dwell.record) == (5.0 + queue, "curated", "mohan-boten")
    assert dwell.param == "container.border_queue_h" and prior.queue_of(dwell) == queue
    # its published range [3, 8] h is the clearance's spread: ln(8/3) / (2 * z90), the queue's on top
    clearance = math.log(8 / 3) / (2 * Z90)
    var = lognormal_variance(5.0, clearance) + lognormal_variance(queue, 1.0)
    assert dwell.sigma_log == pytest.approx(math.sqrt(math.log1p(var / (5.0 + queue) ** 2)))
    # passengers do not queue: their own published stop (exit and entry of the Kunming-Vientiane
    # trains, 2 h since 2024), with no queue on top
    p_dwell, _ = prior.crossing_dwell(c, Traffic.PASSENGER)
    assert (p_dwell.value, p_dwell.basis, p_dwell.record, p_dwell.param) == (2.0, "curated", "mohan-boten", None)


def test_a_measured_average_stop_takes_no_queue(prior: CostModel) -> None:
    # Erenhot's CAREC figure (20 h) is an average of whole stops, queues included
    c = _crossing(id="erenhot-zamyn-uud", countries=("CN", "MN"), curated=True, dwell_from="default")
    dwell, _ = prior.crossing_dwell(c)
    assert dwell.param is None and prior.queue_of(dwell) == 0.0


def test_the_newer_of_two_published_dwells_wins(prior: CostModel) -> None:
    # the evidence base dates Erenhot's 20 h 2025-09; a borders.yaml figure dated later wins
    older = _crossing(
        id="erenhot-zamyn-uud",
        countries=("CN", "MN"),
        curated=True,
        dwell_from="curated",
        dwell_h=9.1,
        as_of="2021-01-11",
    )
    newer = replace(older, as_of="2026-01-01")
    assert prior.crossing_dwell(older)[0].value == 20.0
    # borders.yaml's dwell is a processing time: the queue comes on top
    assert prior.crossing_dwell(newer)[0].value == 9.1 + prior.params.container.border_queue_h


def test_a_gauge_change_by_bogie_exchange_takes_the_method_time(prior: CostModel) -> None:
    c = _crossing(kind="gauge_change", method="bogie_exchange", countries=("IR", "IR"))
    dwell, change = prior.crossing_dwell(c)
    assert dwell.value == 0.0  # no border inside one country
    assert change is not None
    assert (change.value, change.basis) == (4.0, "default")  # bogie exchange, an estimate
    assert change.param == "container.bogie_exchange_h"
    own = prior.crossing_dwell(replace(c, gauge_change_h=1.5, curated=True, id="x"))[1]
    assert own is not None and (own.value, own.basis) == (1.5, "curated")


def test_a_published_dwell_at_a_changing_crossing_is_split_into_border_and_one_change(
    prior: CostModel,
) -> None:
    """The evidence's 20 h at Erenhot covers the whole stop: the change of gauge (the method's
    2.2 h, nothing published of its own) is taken out of it, so the change is one figure."""
    c = _crossing(
        id="erenhot-zamyn-uud", method="transshipment", curated=True, dwell_from="curated", as_of="2021-01-11"
    )
    dwell, change = prior.crossing_dwell(c)
    assert change is not None and change.value == pytest.approx(2.2)
    assert dwell.value == pytest.approx(20.0 - 2.2)
    assert dwell.value + change.value == pytest.approx(20.0)


def test_a_change_of_gauge_costs_one_fee_its_record_or_the_default(prior: CostModel) -> None:
    """Erenhot's charge (US$335) holds its published change fee (US$120, CAREC 2020): the
    border keeps the rest; a crossing with no published fee takes the documented default."""
    eren = _crossing(id="erenhot-zamyn-uud", method="transshipment", curated=True, cost_usd_per_teu=335.0)
    assert prior.crossing_fees(eren) == (pytest.approx(215.0), pytest.approx(120.0))
    other = _crossing(id="x-y", method="transshipment", curated=True, cost_usd_per_teu=440.0)
    assert prior.crossing_fees(other) == (pytest.approx(215.0), pytest.approx(prior.gauge_change_fee_usd))
    assert prior.crossing_fees(other, Traffic.PASSENGER) == (0.0, 0.0)
    plain = _crossing(countries=("CN", "VN"), cost_usd_per_teu=215.0)
    assert prior.crossing_fees(plain) == (215.0, 0.0)


def test_the_tariff_tapers_hand_computed(prior: CostModel) -> None:
    m = prior.with_params({"tariff.rate_500_usd_per_teu_km": 1.61, "tariff.rate_long_usd_per_teu_km": 0.4})
    # fixed charge = (1.61 - 0.4) * 500 = 605; 500 km: 605 + 200 = 805 = 1.61 * 500
    assert float(m.rail_tariff(500.0)) == pytest.approx(805.0)
    # 5,000 km: 605 + 2,000 = 2,605, i.e. US$0.521 per TEU-km instead of 1.61
    assert float(m.rail_tariff(5000.0)) == pytest.approx(2605.0)
    assert float(m.rail_tariff(5000.0)) / 5000 < float(m.rail_tariff(500.0)) / 500
    assert float(m.rail_tariff(0.0)) == 0.0


@given(
    r500=st.floats(0.5, 4.0),
    long=st.floats(0.08, 1.6),
    d1=st.floats(0.0, 20000.0),
    extra=st.floats(0.0, 20000.0),
)
def test_more_distance_never_costs_less_on_one_railway(
    r500: float, long: float, d1: float, extra: float
) -> None:
    m = CostModel.from_network(None, fitted=False).with_params(
        {"tariff.rate_500_usd_per_teu_km": r500, "tariff.rate_long_usd_per_teu_km": long}
    )
    assert float(m.rail_tariff(d1 + extra)) >= float(m.rail_tariff(d1))


@given(teu=st.floats(1.0, 400.0), more=st.floats(0.0, 400.0))
def test_a_block_train_costs_less_per_box_but_never_less_in_total(teu: float, more: float) -> None:
    m = CostModel.from_network(None, fitted=False)
    assert m.block_factor(teu + more) <= m.block_factor(teu)
    assert (teu + more) * m.block_factor(teu + more) >= teu * m.block_factor(teu) - 1e-9


def test_a_full_block_train_gets_the_discount(prior: CostModel) -> None:
    assert prior.block_factor(prior.params.tariff.block_train_teu) == pytest.approx(1 - 0.15)
    assert prior.block_factor(1.0) == pytest.approx(1 - 0.15 / 82)


def test_ranges_of_a_lognormal() -> None:
    assert lognormal_range(10.0, 0.0) == pytest.approx((10.0, 10.0))
    # mean 10, sigma 0.5: median 10 * exp(-0.125); p90 = median * exp(z90 * 0.5)
    var = 100 * math.expm1(0.25)
    lo, hi = lognormal_range(10.0, var)
    median = 10 * math.exp(-0.125)
    assert hi == pytest.approx(median * math.exp(Z90 * 0.5))
    assert lo == pytest.approx(median * math.exp(-Z90 * 0.5))
    assert lo < 10.0 < hi


def test_sea_rates_as_of_a_date(prior: CostModel) -> None:
    assert prior.sea_rate_entry("2025-12-31").usd_per_feu == 2046
    assert prior.sea_rate_entry("2026-02-01").usd_per_feu == 2840
    assert prior.sea_usd_per_teu_km("2026-02-01") == pytest.approx(2840 / 2 / 19600)
    first = min(r.as_of for r in prior.sea_rates)
    with pytest.raises(DataError, match=f"start on {first}"):
        prior.sea_rate_entry("1990-01-01")


def test_co2_on_one_basis_at_a_time(prior: CostModel) -> None:
    wtw, ttw = prior.co2["sea"]
    assert prior.co2_factor("sea") == wtw
    assert prior.with_basis("tank-to-wheel").co2_factor("sea") == ttw < wtw
    with pytest.raises(DataError, match="well-to-wheel or tank-to-wheel"):
        prior.with_basis("both")


def test_the_shipped_files_load_and_hold_enough_sourced_figures() -> None:
    transit = load_yaml(DATA / "transit.yaml", TransitFile)
    assert {p.name for p in transit.parameters if p.fit} >= {
        "container.terminal_h",
        "container.border_dwell_h",
        "passenger.speed_kmh.conventional",
    }
    ev = load_evidence()
    assert published_count(ev) >= 150
    assert all(f.source and f.as_of for f in (*ev.figures, *ev.crossings, *ev.sea_index))
    corridors = {f.corridor for f in ev.figures}
    assert len(corridors) >= 10
    traffics = {f.traffic for f in ev.figures if f.quantity == "time"}
    assert traffics >= {"container", "passenger"}
    assert min(r.as_of for r in ev.sea_index) <= "2019-12-31"  # dated sea rates since 2019


CASE = """figures:
- id: a
  corridor: vietnam-china
  quantity: time
  origin: Hanoi
  destination: Moscow
  published: [100, 200]
  unit: h
  source: somewhere, https://example.org
  as_of: '2024-01'
"""


@pytest.mark.parametrize(
    ("edit", "line", "field", "says"),
    [
        (("  source: somewhere, https://example.org\n", ""), 2, "figures[0].source", "Field required"),
        (("[100, 200]", "[-5, 200]"), 7, "figures[0].published[0]", "greater than or equal to 0"),
        (("[100, 200]", "[300, 200]"), 2, "figures[0]", "low <= high"),
        (("unit: h", "unit: days"), 8, "figures[0].unit", "'h'"),
        (("unit: h", "unit: km"), 2, "figures[0]", "a time is given in h"),
        (("corridor: vietnam-china", "corridor: atlantis"), 3, "figures[0].corridor", "'china-europe'"),
        (("[100, 200]", "[.inf, .inf]"), 7, "figures[0].published[0]", "finite number"),
        (("[100, 200]", "[100, 1e300]"), 2, "figures[0]", "beyond any trip"),
        (("'2024-01'", "'0001-01'"), 10, "figures[0].as_of", "plausible date"),
    ],
)
def test_a_bad_evidence_file_names_file_line_and_field(
    tmp_path: Path, edit: tuple[str, str], line: int, field: str, says: str
) -> None:
    p = tmp_path / "times.yaml"
    p.write_text(CASE.replace(*edit))
    with pytest.raises(DataError) as exc:
        load_yaml(p, FiguresFile)
    assert exc.value.file == "times.yaml"
    assert exc.value.line == line
    assert exc.value.field == field
    assert says in str(exc.value)


def test_an_evidence_file_nested_without_end_is_refused_with_its_line(tmp_path: Path) -> None:
    p = tmp_path / "times.yaml"
    p.write_text("figures:\n  - " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(DataError, match="nests deeper than 32 levels") as exc:
        load_yaml(p, FiguresFile)
    assert exc.value.file == "times.yaml" and exc.value.line is not None


def test_a_figure_id_used_twice_names_the_second_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "times.yaml").write_text(CASE)
    (tmp_path / "timetables.yaml").write_text(
        CASE.replace("quantity: time", "traffic: passenger\n  quantity: time")
    )
    with pytest.raises(DataError, match="duplicate figure id 'a'") as exc:
        load_evidence(tmp_path)
    assert (exc.value.file, exc.value.line) == ("timetables.yaml", 2)


def test_an_unknown_crossing_is_named_with_its_line(tmp_path: Path) -> None:
    p = tmp_path / "crossings.yaml"
    p.write_text(
        "crossings:\n- crossing: mohan-boten\n  dwell_h: 3\n  source: s, https://example.org\n  as_of: '2024-01'\n"
        "- crossing: nowhere-border\n  dwell_h: 3\n  source: s, https://example.org\n  as_of: '2024-01'\n"
    )
    cal = load_yaml(p, CrossingsFile)
    with pytest.raises(DataError) as exc:
        check_crossing_ids(p, cal, {"mohan-boten", "erenhot-zamyn-uud"})
    assert (exc.value.line, exc.value.field) == (6, "crossings[1].crossing")
    assert "'nowhere-border' is not a crossing" in str(exc.value)


def test_a_passenger_train_at_a_border_inside_one_customs_area_stops_for_its_crew_only(
    prior: CostModel,
) -> None:
    """A KZ-RU border without a record of its own: freight takes the fitted border dwell of a
    customs border only where the pair is no customs union; a passenger train inside one takes
    the union stop (crew, locomotive, passports), not a freight clearance."""
    c = _crossing(countries=("KZ", "RU"), dwell_from="default")
    assert not prior.new_tariff_area(c)
    p_dwell, _ = prior.crossing_dwell(c, Traffic.PASSENGER)
    assert p_dwell.param == "passenger.union_border_dwell_h"
    assert p_dwell.value == prior.params.passenger.union_border_dwell_h
    # across a customs border the passenger train keeps its own border stop
    cn_vn, _ = prior.crossing_dwell(_crossing(countries=("CN", "VN"), dwell_from="default"), Traffic.PASSENGER)
    assert cn_vn.param == "passenger.border_dwell_h"
    assert cn_vn.value > p_dwell.value


def test_a_published_passenger_stop_without_a_change_of_gauge_keeps_its_whole_time(prior: CostModel) -> None:
    """Pingxiang-Dong Dang transships freight, but the passenger train runs through on standard
    gauge: its published 80 min stop is not cut by the change of gauge a freight train makes."""
    c = _crossing(
        id="pingxiang-dong-dang", countries=("CN", "VN"), method="transshipment", curated=True, dwell_from="default"
    )
    dwell, _ = prior.crossing_dwell(c, Traffic.PASSENGER)
    assert (dwell.value, dwell.basis, dwell.record) == (1.33, "curated", "pingxiang-dong-dang")


def test_a_high_speed_line_takes_no_railways_track_factor() -> None:
    """A railway's track factor describes its older lines; a new high-speed line is mapped at
    about its own length and keeps its class's factor alone."""
    from silkrail.network.classes import LineClass

    m = CostModel.from_network(None, fitted=False, overrides={"railway_track.CN": 1.2})
    base = m.params.track_factor
    assert m.track_factor(LineClass.MODERN, "CN") == pytest.approx(base.of(LineClass.MODERN) * 1.2)
    assert m.track_factor(LineClass.HIGH_SPEED, "CN") == pytest.approx(base.of(LineClass.HIGH_SPEED))


def test_a_curated_lines_passenger_trains_run_at_its_own_factor_not_the_railways() -> None:
    """The Trans-Siberian's long-distance trains at the line's factor; the railway's factor for
    its other track; freight never reads a line's passenger factor."""
    from silkrail.network.classes import LineClass

    m = CostModel.from_network(
        None,
        fitted=False,
        overrides={"line_speed_passenger.trans-siberian": 0.7, "railway_speed_passenger.RU": 1.1},
    )
    v = m.params.passenger.speed_kmh.of(LineClass.MODERN)
    assert m.speed_kmh(LineClass.MODERN, Traffic.PASSENGER, "RU", line="trans-siberian") == pytest.approx(0.7 * v)
    assert m.speed_kmh(LineClass.MODERN, Traffic.PASSENGER, "RU") == pytest.approx(1.1 * v)
    freight = m.params.container.speed_kmh.of(LineClass.MODERN) * m.params.railway_speed.of("RU")
    assert m.speed_kmh(LineClass.MODERN, Traffic.CONTAINER, "RU", line="trans-siberian") == pytest.approx(freight)
