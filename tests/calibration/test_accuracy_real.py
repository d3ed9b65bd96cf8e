"""The calibrated model on the real network: held-out accuracy (whole corridors held out)
within stated bounds and better than the round-2 structure on the same folds, per-leg figures
that add up, and every answer with ranges and provenance."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import silkrail
from silkrail.calibration.fit import Calibration, calibrate
from silkrail.calibration.report import render, summary
from silkrail.errors import DataError
from silkrail.evidence.schema import DATA_DIR
from silkrail.network.model import Network
from silkrail.routing.costs import CostModel

pytestmark = pytest.mark.integration

# The bounds the held-out accuracy is held to. Distance (2.8 %) and coverage (80.6 %) meet the
# issue's targets and are held at them; time (19.0 % over 201 time figures, 21.5 % had no query
# named its train's category) is held at today's level with a little room, so that a change for the
# worse fails here, and at its target by the strict xfail below: it fails the day the target is
# met, to move this bound (see the README's "How accurate is it?").
TIME_MDAPE = 0.21
TIME_MDAPE_NO_CATEGORY = 0.23
DISTANCE_MDAPE = 0.03
COVERAGE = 0.80
TARGETS = {"time_mdape": 0.15}


@pytest.fixture(scope="module")
def result(real_net: Network) -> Calibration:
    return calibrate(real_net)


def test_held_out_accuracy_within_the_stated_bounds_and_better_than_round_2(result: Calibration) -> None:
    s = summary(result)
    m, r2 = s.overall.model, s.overall.round2
    assert s.published_figures >= 250
    assert m.routed >= 240
    assert m.time_mdape is not None and m.time_mdape <= TIME_MDAPE
    assert m.time_mdape_no_category is not None and m.time_mdape <= m.time_mdape_no_category
    assert m.time_mdape_no_category <= TIME_MDAPE_NO_CATEGORY
    assert m.distance_mdape is not None and m.distance_mdape <= DISTANCE_MDAPE
    assert m.coverage is not None and m.coverage >= COVERAGE
    # narrower ranges that still cover score better: the interval score beats round 2's
    assert m.interval_score is not None and r2.interval_score is not None
    assert m.interval_score < r2.interval_score
    assert r2.time_mdape is not None and m.time_mdape < r2.time_mdape
    assert s.width_ratio is not None and s.width_ratio < 0.6  # ranges narrower than round 2's


@pytest.mark.xfail(
    strict=True,
    reason="held-out time target not met: MdAPE 19.0 % (target 15 %); distance and coverage are met; "
    "see the README's 'How accurate is it?'",
)
def test_held_out_time_meets_the_issue_target(result: Calibration) -> None:
    m = summary(result).overall.model
    assert m.time_mdape is not None and m.time_mdape <= TARGETS["time_mdape"]


def test_every_figure_is_predicted_by_a_fit_that_never_saw_its_corridor(result: Calibration) -> None:
    assert all(h.fold == h.figure.corridor for h in result.held_out)
    assert all(h.fold == h.figure.corridor for h in result.baseline)
    assert len({h.fold for h in result.held_out}) >= 10
    # intervals depend on traffic type and corridor: not one global spread
    widths = {(h.figure.traffic, h.figure.corridor): h.log_width for h in result.held_out if h.log_width}
    assert len({round(w, 2) for w in widths.values()}) > 5


def test_train_categories_are_fitted_on_their_side_of_a_standard_train(result: Calibration) -> None:
    """Express trains run faster than standard ones and stopping trains slower, as fitted to the
    timetables and transit times the evidence base classes so (not set by hand)."""
    fitted = result.fitted
    assert fitted["passenger.express_run"] < 0.9 < 1.1 < fitted["passenger.stopping_run"]
    assert fitted["container.express_run"] < 0.95
    classed = [
        h
        for h in result.held_out
        if h.figure.train != "standard" and h.figure.quantity == "time" and h.ape is not None
    ]
    assert len(classed) >= 25
    # held out, naming the category brings those figures closer than asking for a standard train
    better = sum(h.ape < (h.ape_standard or 0.0) for h in classed)  # type: ignore[operator]
    assert better > 0.6 * len(classed)


def test_fitted_values_stay_within_bounds(result: Calibration) -> None:
    for name, value in result.fitted.items():
        p = result.priors.get(name) or result.priors[name.rsplit(".", 1)[0]]
        lo, hi = p.bounds
        assert lo <= value <= hi, name
    text = render(result)
    assert "MdAPE" in text and "k3-beijing-ulaanbaatar" in text and "round-2" in text


def test_routes_carry_ranges_and_a_basis_everywhere(real_net: Network) -> None:
    r = silkrail.route(real_net, "Kunming", "Vientiane", mode="rail")
    d = r.to_dict()
    for key in ("duration_h", "cost_usd", "co2_kg"):
        lo, hi = d[f"{key}_range"]
        assert lo <= d[key] <= hi
        assert lo < hi
    assert all(leg["basis"] in ("curated", "modelled", "fitted", "default") for leg in d["legs"])
    assert all(e["basis"] in ("curated", "modelled", "fitted", "default") for e in d["events"])
    boten = next(e for e in d["events"] if e.get("crossing_id") == "mohan-boten")
    # freight clearance published at under 5 h (plus the fitted queue before it), not CAREC's
    # 40.6 h regional average
    assert boten["basis"] == "curated" and boten["record"] == "mohan-boten"
    queue = CostModel.from_network(real_net).params.container.border_queue_h
    assert 0 < queue < 24
    assert boten["duration_h"] == pytest.approx(5.0 + queue, abs=0.01)
    assert d["events"][0]["kind"] == "terminal"
    assert r.train_h == pytest.approx(r.duration_h - 2 * r.events[0].duration_h)


def test_a_union_border_is_short_and_an_uncurated_one_is_not_the_regional_average(real_net: Network) -> None:
    r = silkrail.route(real_net, "Almaty", "Moscow", mode="rail")
    kz_ru = [e for e in r.border_crossings if {e.from_country, e.to_country} == {"KZ", "RU"}]
    assert kz_ru and all(e.duration_h <= 2.0 for e in kz_ru)  # Eurasian customs union
    assert all(e.duration_h < 40.6 for e in r.border_crossings)


def test_od_matrix_prices_paths_as_single_routes(real_net: Network) -> None:
    m = silkrail.od_matrix(real_net, ["Xi'an"], ["Duisburg"], mode="rail")
    r = silkrail.route(real_net, "Xi'an", "Duisburg", mode="rail")
    assert m.duration_h[0, 0] == pytest.approx(r.duration_h, rel=1e-6)
    assert m.cost_usd[0, 0] == pytest.approx(r.cost_usd, rel=1e-6)
    lo, hi = m.duration_h_range[0, 0]
    assert lo <= m.duration_h[0, 0] <= hi


def test_many_boxes_cost_less_per_box_than_one(real_net: Network) -> None:
    one = silkrail.route(real_net, "Xi'an", "Duisburg", mode="rail", teu=1)
    train = silkrail.route(real_net, "Xi'an", "Duisburg", mode="rail", teu=82)
    assert train.cost_usd < 82 * one.cost_usd
    assert train.cost_usd > 41 * one.cost_usd


def test_a_figure_with_an_unknown_place_names_its_file_and_line(real_net: Network, tmp_path: Path) -> None:
    shutil.copy(DATA_DIR / "evidence" / "crossings.yaml", tmp_path / "crossings.yaml")
    (tmp_path / "times.yaml").write_text(
        "figures:\n- id: a\n  corridor: vietnam-china\n  quantity: time\n  origin: Hanoi\n"
        "  destination: Atlantis\n  published: [10, 20]\n  unit: h\n  source: s, https://example.org\n"
        "  as_of: '2024-01'\n"
    )
    with pytest.raises(DataError) as exc:
        calibrate(real_net, evidence=tmp_path)
    assert (exc.value.file, exc.value.line, exc.value.field) == ("times.yaml", 6, "figures[0].destination")
    assert "Atlantis" in str(exc.value)


@pytest.mark.parametrize(
    ("origin", "destination", "options"),
    [
        ("Hanoi", "Moscow", {"mode": "rail"}),
        ("Beijing", "Ulaanbaatar", {"mode": "rail", "traffic": "passenger"}),
        ("Almaty", "Baku", {"mode": "any", "avoid": ["RU"]}),
        ("Shanghai", "Rotterdam", {"mode": "any", "teu": 40, "as_of": "2024-10-19"}),
    ],
)
def test_legs_and_events_add_up_to_the_totals_on_real_routes(
    real_net: Network, origin: str, destination: str, options: dict[str, object]
) -> None:
    r = silkrail.route(real_net, origin, destination, **options)  # type: ignore[arg-type]
    assert sum(x.duration_h for x in r.legs) + sum(e.duration_h for e in r.events) == pytest.approx(
        r.duration_h
    )
    assert sum(x.cost_usd for x in r.legs) + sum(e.cost_usd for e in r.events) == pytest.approx(r.cost_usd)
    assert sum(x.co2_kg for x in r.legs) == pytest.approx(r.co2_kg)


def test_the_caspian_in_any_mode_pays_the_ferry_tariff(real_net: Network) -> None:
    """A container ship across the Caspian is priced per km at the rail ferries' tariff, not at
    the Shanghai-Rotterdam index (US$36 a TEU in round 2 against US$800 on the ferry)."""
    r = silkrail.route(real_net, "Aktau", "Baku", mode="sea")
    sea = [x for x in r.legs if x.mode == "sea"]
    assert sea
    ferries = real_net.ferries
    per_km = sum(f.cost_usd_per_teu / f.km for f in ferries) / len(ferries)
    for leg in sea:
        assert leg.cost_usd == pytest.approx(leg.distance_km * per_km, rel=1e-6)
    assert sum(x.cost_usd for x in sea) > 300


def test_rates_as_of_a_date_since_2019(real_net: Network) -> None:
    then = silkrail.route(real_net, "Shanghai", "Rotterdam", mode="sea", as_of="2024-10-19")
    peak = silkrail.route(real_net, "Shanghai", "Rotterdam", mode="sea", as_of="2021-07-30")
    before = silkrail.route(real_net, "Shanghai", "Rotterdam", mode="sea", as_of="2019-07-01")
    assert before.cost_usd < then.cost_usd < peak.cost_usd


def test_a_passenger_takes_the_high_speed_line(real_net: Network) -> None:
    """Beijing-Shanghai by passenger train runs on the high-speed line (G trains: 4.5 h)."""
    r = silkrail.route(real_net, "Beijing", "Shanghai", mode="rail", traffic="passenger")
    assert r.duration_h < 8.0
    assert any(x.line_class == "high_speed" for x in r.legs)
    freight = silkrail.route(real_net, "Beijing", "Shanghai", mode="rail")
    assert freight.duration_h > 3 * r.duration_h
