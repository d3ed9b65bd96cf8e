"""The transit model on the small fixture network: traffic types, the typed parameter record,
line classes, and per-leg figures that add up to the route's totals."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest

from silkrail.errors import DataError
from silkrail.network.classes import CACHE_KEY, LineClass, class_of_line, classify, load_classes_file
from silkrail.network.geo import haversine_km
from silkrail.network.model import EdgeKind, Network
from silkrail.network.records import Line
from silkrail.routing.costs import CostModel
from silkrail.routing.edge_costs import compute_edge_costs, lane_usd_per_teu_km, sea_lane_edges
from silkrail.routing.engine import Engine
from silkrail.routing.parameters import build_params, flatten, parameter_names
from silkrail.routing.query import RouteOptions, check_query
from silkrail.routing.results import Route
from silkrail.routing.tables import read_tables
from silkrail.traffic import Traffic, traffic_of

DATA = Path(__file__).resolve().parents[2] / "src/silkrail/data"


@pytest.fixture(scope="module")
def engine(small_net: Network) -> Engine:
    return Engine(small_net, home=None)


def _route(engine: Engine, o: str, d: str, traffic: str, mode: str = "rail", teu: float = 1.0) -> Route:
    q = check_query(engine.net, RouteOptions(mode=mode, teu=teu, traffic=traffic))  # type: ignore[arg-type]
    a, b = engine.places.resolve(o), engine.places.resolve(d)
    path = engine.shortest_path(a, b, q.constraints, q.coef, mode=mode)
    assert path is not None
    return engine.assemble(path, a, b, objective="time", teu=teu, traffic=q.traffic_type)


# --- traffic types ----------------------------------------------------------------------------


def test_surface_names_mean_one_traffic_type() -> None:
    assert traffic_of("freight") is traffic_of("any") is traffic_of(None) is Traffic.CONTAINER
    assert traffic_of("Passenger") is Traffic.PASSENGER
    assert traffic_of("wagonload") is Traffic.WAGONLOAD
    with pytest.raises(DataError, match="'ship' is not a traffic type; use passenger") as exc:
        traffic_of("ship")
    assert exc.value.field == "traffic"


def test_passengers_are_never_sent_to_sea(small_net: Network) -> None:
    with pytest.raises(DataError, match="passengers travel by rail") as exc:
        check_query(small_net, RouteOptions(mode="sea", traffic="passenger"))
    assert exc.value.field == "mode"


# --- the typed parameter record ------------------------------------------------------------


def test_the_record_reads_by_attribute_and_round_trips_by_name() -> None:
    m = CostModel.from_network(None, fitted=False)
    flat = flatten(m.params)
    assert set(parameter_names()) <= set(flat)
    assert m.params.container.speed_kmh.modern == flat["container.speed_kmh.modern"]
    again = build_params(flat)
    assert again == m.params
    moved = m.params.with_values({"passenger.terminal_h": 1.5, "railway_speed.KZ": 0.9})
    assert moved.passenger.terminal_h == 1.5 and moved.container == m.params.container
    assert moved.railway_speed.of("KZ") == 0.9 and moved.railway_speed.of("CN") == 1.0
    with pytest.raises(DataError, match=r"'container\.speed_kmh\.warp' is not a parameter"):
        m.params.with_values({"container.speed_kmh.warp": 1.0})
    short = dict(flat)
    del short["tariff.feu_factor"]
    with pytest.raises(DataError, match=r"needs a value for tariff\.feu_factor"):
        build_params(short)


def test_an_unknown_parameter_in_transit_yaml_names_its_line(tmp_path: Path) -> None:
    shutil.copytree(DATA / "evidence", tmp_path / "evidence")
    text = (DATA / "transit.yaml").read_text(encoding="utf-8")
    text = text.replace("- name: container.speed_kmh.secondary", "- name: container.speed_kmh.tertiary", 1)
    (tmp_path / "transit.yaml").write_text(text, encoding="utf-8")
    line = 1 + text[: text.index("container.speed_kmh.tertiary")].count("\n")
    with pytest.raises(DataError) as exc:
        read_tables(tmp_path, None)
    assert (exc.value.file, exc.value.line) == ("transit.yaml", line)
    assert "container.speed_kmh.tertiary" in str(exc.value)


def test_each_traffic_type_has_its_own_speeds_and_waits() -> None:
    p = CostModel.from_network(None, fitted=False).params
    for cls in (LineClass.MODERN, LineClass.CONVENTIONAL, LineClass.SECONDARY):
        assert p.passenger.speed_kmh.of(cls) > p.container.speed_kmh.of(cls) > p.wagonload.speed_kmh.of(cls)
    assert p.wagonload.terminal_h > p.container.terminal_h > p.passenger.terminal_h
    assert p.passenger.border_dwell_h < p.container.border_dwell_h < p.wagonload.border_dwell_h


# --- line classes ----------------------------------------------------------------------------


def _line(**kw: object) -> Line:
    base = Line(
        id="x",
        name="x",
        gauge_mm=1435,
        status="open",
        opening_year=2020,
        in_osm=True,
        traffic="mixed",
        electrified=True,
        freight_speed_kmh=None,
        design_speed_kmh=160.0,
        length_km=100.0,
        stations=(),
        nodes=(),
        source=("s",),
        as_of="2024-01",
    )
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


def test_a_curated_line_is_classed_from_its_own_record() -> None:
    assert class_of_line(_line()) is LineClass.MODERN  # electrified, 160 km/h (China-Laos)
    assert class_of_line(_line(traffic="passenger", design_speed_kmh=350.0)) is LineClass.HIGH_SPEED
    assert (
        class_of_line(_line(gauge_mm=1000, design_speed_kmh=50.0, electrified=False)) is LineClass.SECONDARY
    )
    assert class_of_line(_line(electrified=False, design_speed_kmh=80.0)) is LineClass.CONVENTIONAL


def test_track_no_record_describes_takes_the_fallback_by_gauge(small_net: Network) -> None:
    c = classify(small_net, load_classes_file())
    rail = (small_net.edge_kind == EdgeKind.RAIL) | (small_net.edge_kind == EdgeKind.BORDER)
    assert (c.line_class[rail] >= 0).all() and (c.line_class[~rail] == -1).all()
    metre_only = rail & (small_net.edge_gauge == 1 << 0) & (c.record < 0)
    assert metre_only.any() and (c.line_class[metre_only] == LineClass.SECONDARY).all()
    standard = rail & (small_net.edge_gauge == 1 << 3) & (c.record < 0)
    assert standard.any() and (c.line_class[standard] == LineClass.CONVENTIONAL).all()


def test_a_section_is_laid_on_the_track_through_its_points(small_net: Network) -> None:
    """A section's points snap to the track, and the shortest mapped path between them takes the
    section's class; a point far from any track is reported, not guessed."""
    f = load_classes_file()
    section = f.sections[0].model_copy(
        update={
            "id": "test-line",
            "line_class": "modern",
            "via": [
                f.sections[0].via[0].model_copy(update={"name": "Hanoi", "lat": 21.0245, "lon": 105.8412}),
                f.sections[0]
                .via[0]
                .model_copy(update={"name": "Lang Son side", "lat": 21.85, "lon": 106.76}),
                f.sections[0].via[0].model_copy(update={"name": "Pacific", "lat": 0.0, "lon": -150.0}),
            ],
        }
    )
    c = classify(small_net, f.model_copy(update={"sections": [section]}))
    laid = c.record == c.records.index("line_classes.yaml: test-line")
    assert laid.any() and (c.line_class[laid] == LineClass.MODERN).all()
    # the laid track is a chain from Hanoi to the Lang Son side, at least as long as the straight line
    straight = float(haversine_km(21.0245, 105.8412, 21.85, 106.76))
    assert straight <= float(small_net.km[laid].sum()) <= 1.5 * straight
    ends = np.bincount(np.r_[small_net.u[laid], small_net.v[laid]])
    assert (ends == 1).sum() == 2  # one chain: two ends, every other node twice
    assert any("test-line" in u and "farther than" in u for u in c.unplaced)


def test_a_dedicated_passenger_line_speeds_passengers_and_leaves_freight_at_the_track_class(
    small_net: Network,
) -> None:
    """A high-speed section with ``freight: false`` is high speed for passengers; freight keeps
    the class the track had before it (conventional standard gauge here), not a modern line's
    speed, and a mixed high-speed section gives freight the modern speed."""
    f = load_classes_file()
    base = f.sections[0]
    points = [
        base.via[0].model_copy(update={"name": "Hanoi", "lat": 21.0245, "lon": 105.8412}),
        base.via[0].model_copy(update={"name": "Lang Son side", "lat": 21.85, "lon": 106.76}),
    ]

    def laid_with(freight: bool) -> tuple[np.ndarray, dict[Traffic, np.ndarray]]:
        section = base.model_copy(
            update={
                "id": "test-hsr",
                "line_class": "high_speed",
                "max_speed_kmh": 250.0,
                "freight": freight,
                "via": points,
            }
        )
        c = classify(small_net, f.model_copy(update={"sections": [section]}))
        net = dataclasses.replace(small_net)
        net.caches.clear()
        net.caches[CACHE_KEY] = c
        model = CostModel.from_network(net)
        laid = c.record == c.records.index("line_classes.yaml: test-hsr")
        before = classify(small_net, f.model_copy(update={"sections": []})).line_class
        assert laid.any() and (c.line_class[laid] == LineClass.HIGH_SPEED).all()
        if freight:
            assert (c.freight_class[laid] == LineClass.HIGH_SPEED).all()
        else:
            assert np.array_equal(c.freight_class[laid], before[laid])
        speeds = {t: (small_net.km[laid] / compute_edge_costs(net, model, t).run_h[laid]) for t in Traffic}
        return laid, speeds

    _, dedicated = laid_with(False)
    _, mixed = laid_with(True)
    p = CostModel.from_network(small_net).params
    # passengers run at high speed on both; freight at the track's own class on the dedicated line
    assert np.allclose(dedicated[Traffic.PASSENGER], mixed[Traffic.PASSENGER])
    assert (dedicated[Traffic.CONTAINER] < mixed[Traffic.CONTAINER]).all()
    assert p.container.speed_kmh.conventional < p.container.speed_kmh.modern


# --- per-leg figures -------------------------------------------------------------------------


@pytest.mark.parametrize("traffic", ["container", "wagonload", "passenger"])
@pytest.mark.parametrize(("o", "d"), [("Erenhot", "Zamyn-Uud"), ("Hanoi", "Haiphong")])
def test_legs_and_events_add_up_to_the_totals(engine: Engine, traffic: str, o: str, d: str) -> None:
    r = _route(engine, o, d, traffic, teu=3.0)
    assert r.traffic == traffic_of(traffic).value
    legs_h = sum(leg.duration_h for leg in r.legs)
    events_h = sum(e.duration_h for e in r.events)
    assert legs_h + events_h == pytest.approx(r.duration_h, rel=1e-9)
    assert sum(leg.cost_usd for leg in r.legs) + sum(e.cost_usd for e in r.events) == pytest.approx(
        r.cost_usd, rel=1e-9
    )
    assert sum(leg.co2_kg for leg in r.legs) == pytest.approx(r.co2_kg, rel=1e-9)
    assert sum(leg.distance_km for leg in r.legs) == pytest.approx(r.distance_km, rel=1e-9)
    for leg in r.legs:
        lo, hi = leg.duration_h_range
        assert lo <= leg.duration_h <= hi
        assert leg.cost_usd_range[0] <= leg.cost_usd <= leg.cost_usd_range[1]
        assert leg.basis in ("timetable", "curated", "fitted", "modelled", "default")
        assert leg.line_class in ("high_speed", "modern", "conventional", "secondary")
    d_ = r.to_dict()
    assert {"cost_usd", "cost_usd_range", "co2_kg", "co2_kg_range", "duration_h_range"} <= set(d_["legs"][0])


def test_a_passenger_pays_a_fare_not_a_tariff_per_teu(engine: Engine) -> None:
    """A passenger journey runs station to station (no terminal time), pays no crossing fees
    and is priced per passenger whatever the TEU count."""
    one = _route(engine, "Erenhot", "Zamyn-Uud", "passenger", teu=1.0)
    many = _route(engine, "Erenhot", "Zamyn-Uud", "passenger", teu=40.0)
    assert one.cost_usd == pytest.approx(many.cost_usd)
    assert not [e for e in one.events if e.kind == "terminal"]
    assert all(e.cost_usd == 0 for e in one.events)
    freight = _route(engine, "Erenhot", "Zamyn-Uud", "container", teu=1.0)
    assert freight.events[0].kind == "terminal"
    assert freight.cost_usd > one.cost_usd


def test_the_same_track_is_faster_for_passengers_and_slower_for_wagons(engine: Engine) -> None:
    run = {t: sum(leg.duration_h for leg in _route(engine, "Hanoi", "Haiphong", t).legs) for t in Traffic}
    assert run[Traffic.PASSENGER] < run[Traffic.CONTAINER] < run[Traffic.WAGONLOAD]


def test_a_change_of_gauge_is_one_figure_on_every_route(engine: Engine) -> None:
    """The gauge change at Erenhot has the same time and fee whichever route crosses it, and
    they are the model's single figure for that crossing."""
    r = _route(engine, "Erenhot", "Zamyn-Uud", "container")
    back = _route(engine, "Zamyn-Uud", "Erenhot", "container")
    (a,) = r.gauge_changes
    (b,) = back.gauge_changes
    assert (a.duration_h, a.cost_usd) == pytest.approx((b.duration_h, b.cost_usd))
    c = next(x for x in engine.net.crossings if x.id == a.crossing_id)
    m = engine.graph.model
    assert a.duration_h == pytest.approx(m.gauge_change(c).value)
    assert a.cost_usd == pytest.approx(m.crossing_fees(c)[1])
    (border,) = r.border_crossings
    assert border.cost_usd == pytest.approx(m.crossing_fees(c)[0])


def test_a_sea_lane_is_priced_at_its_ferries_tariff(small_net: Network) -> None:
    """Sea edges with both ends inside a lane's box are priced per km at the rail ferries'
    tariff (the Caspian has no container index); with no ferry to price it (the fixture has
    none), the lane keeps the deep-sea rate. Here a box around the Gulf of Tonkin approach."""
    m = CostModel.from_network(small_net, fitted=False)
    lane = m.sea_lanes[0].model_copy(update={"box": (19.0, 105.0, 22.5, 109.0)})
    boxed = dataclasses.replace(m, sea_lanes=(lane,))
    inside = sea_lane_edges(small_net, boxed)
    sea = (small_net.edge_kind == EdgeKind.SEA) | (small_net.edge_kind == EdgeKind.SEA_ACCESS)
    assert inside.any() and (sea[inside]).all() and (sea & ~inside).any()
    lat, lon = small_net.lat, small_net.lon
    for ends in (small_net.u[inside], small_net.v[inside]):
        assert ((lat[ends] >= 19.0) & (lat[ends] <= 22.5) & (lon[ends] >= 105.0) & (lon[ends] <= 109.0)).all()
    assert lane_usd_per_teu_km(small_net, boxed) == pytest.approx(m.sea_usd_per_teu_km())
    costs = compute_edge_costs(small_net, boxed)
    np.testing.assert_allclose(costs.line_cost_usd[inside], costs.km[inside] * m.sea_usd_per_teu_km())


def test_a_crossing_takes_its_newest_figure_in_this_direction_or_both(small_net: Network) -> None:
    """An older figure of one direction does not outrank a newer one for both directions; a
    direction's own figure wins where it is the newest (or as new)."""
    from silkrail.evidence.schema import CrossingFigure

    model = CostModel.from_network(small_net)
    c = next(x for x in small_net.crossings if x.curated and x.kind == "border")

    def fig(dwell: float, as_of: str, frm: str | None = None) -> CrossingFigure:
        return CrossingFigure(crossing=c.id, from_country=frm, dwell_h=dwell, source="test", as_of=as_of)

    a, b = c.countries[0], c.countries[1]
    both_new, a_old, b_new = fig(20.0, "2025-09"), fig(22.4, "2023-12", a), fig(6.0, "2026-01", b)
    m = dataclasses.replace(model, crossing_figures=(both_new, a_old, b_new), _figures={})
    assert m.crossing_figure(c, Traffic.CONTAINER, a) == both_new
    assert m.crossing_figure(c, Traffic.CONTAINER, b) == b_new
    assert m.crossing_figure(c, Traffic.CONTAINER, None) == both_new
    same_day = fig(9.0, "2025-09", a)
    m = dataclasses.replace(model, crossing_figures=(both_new, same_day), _figures={})
    assert m.crossing_figure(c, Traffic.CONTAINER, a) == same_day
