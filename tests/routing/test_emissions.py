"""CO2e per leg by traction (ISO 14083 / GLEC): well-to-wheel and tank-to-wheel, the factors
each leg used, the documented default where traction is unknown, and the electrification what-if."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from silkrail.errors import DataError
from silkrail.network.interop import load_interoperability
from silkrail.network.model import EdgeKind, Network
from silkrail.routing import emissions
from silkrail.routing.query import RouteOptions, RouteQuery
from silkrail.routing.results import Route
from silkrail.routing.router import Router
from silkrail.traffic import Traffic

PACKAGE_INTEROP = Path(emissions.__file__).parent.parent / "data" / "interoperability.yaml"


@pytest.fixture(scope="module")
def router(small_net: Network, tmp_path_factory: pytest.TempPathFactory) -> Router:
    return Router(small_net, home=tmp_path_factory.mktemp("emissions-home"))


@pytest.fixture(scope="module")
def route(router: Router) -> Route:
    """Erenhot (CN) to Zamyn-Uud (MN) by rail, across the border."""
    return router.route(RouteQuery("Erenhot", "Zamyn-Uud", mode="rail", teu=2))


def _interop(tmp_path: Path, body: str) -> object:
    path = tmp_path / "interoperability.yaml"
    path.write_text(body)
    return load_interoperability(path)


def test_the_factors_per_teu_km() -> None:
    """10 t per TEU: diesel 17.9 g/tkm tank-to-wheel and 1.25 times that well-to-wheel; electric
    32.3 Wh/tkm times the grid (China 582 g/kWh); a country without a figure takes the default."""
    f = emissions.load_factors()
    assert f.diesel_ttw_per_teu_km == pytest.approx(0.179)
    assert f.diesel_wtw_per_teu_km == pytest.approx(0.179 * 1.25)
    assert f.electric_per_teu_km("CN") == (pytest.approx(0.0323 * 10 * 582 / 1000), "grid:CN")
    assert f.electric_per_teu_km("XX")[1] == "grid:default"
    assert f.sources["grid:default"].startswith("Ember")


def test_every_leg_carries_both_bases_and_adds_up(route: Route) -> None:
    """Each leg has CO2e well-to-wheel and tank-to-wheel for the route's TEU, its basis and the
    factors it used; the route's figures are the legs' sums; the JSON carries them both ways."""
    assert route.legs and all(leg.co2e_wtw_kg is not None and leg.co2e_ttw_kg is not None for leg in route.legs)
    for leg in route.legs:
        assert leg.co2e_wtw_kg is not None and leg.co2e_ttw_kg is not None
        assert 0 <= leg.co2e_ttw_kg <= leg.co2e_wtw_kg
        assert leg.co2e_factors and leg.co2e_basis in ("curated", "default")
    assert route.co2e_wtw_kg == pytest.approx(sum(leg.co2e_wtw_kg or 0 for leg in route.legs))
    doc = route.to_dict()
    assert doc["co2e_wtw_kg"] == pytest.approx(route.co2e_wtw_kg, abs=0.1)
    assert {"co2e_wtw_kg", "co2e_ttw_kg", "co2e_basis", "co2e_factors"} <= doc["legs"][0].keys()
    back = Route.from_dict(doc)
    assert back.legs[0].co2e_factors == route.legs[0].co2e_factors


def test_a_diesel_country_burns_fuel_on_every_km(router: Router, route: Route) -> None:
    """Mongolia is not electrified (its record says so): its leg's tank-to-wheel CO2e is its km
    (the track's length, as the leg reports it) times the diesel factor, curated, naming the
    country record."""
    f = emissions.load_factors()
    mn = next(leg for leg in route.legs if leg.countries == ["MN"])
    km = mn.distance_km
    assert km > float(router.net.km[mn.edges].sum())  # the track factor lengthens the extract's km
    assert mn.co2e_ttw_kg == pytest.approx(km * 2 * f.diesel_ttw_per_teu_km)
    assert mn.co2e_wtw_kg == pytest.approx(km * 2 * f.diesel_wtw_per_teu_km)
    assert mn.co2e_basis == "curated" and "country:MN" in mn.co2e_factors and mn.electric_km == 0


def test_electric_track_has_no_tank_to_wheel_emissions(router: Router, route: Route, tmp_path: Path) -> None:
    """With Mongolia's record saying electric, the same track emits nothing tank-to-wheel and its
    energy times Mongolia's grid (690 g/kWh) well-to-wheel."""
    data = _interop(tmp_path, PACKAGE_INTEROP.read_text().replace(
        "  - country: MN\n    electrification:\n      system: none", "  - country: MN\n    electrification:\n      system: ac-25kv-50hz"
    ))
    mn = next(leg for leg in route.legs if leg.countries == ["MN"])
    em = emissions.leg_emissions(router.net, mn.edges, "rail", 1.0, data=data, factors=emissions.load_factors())  # type: ignore[arg-type]
    km = float(router.net.km[mn.edges].sum())
    assert em.ttw_kg == 0.0 and em.electric_km == pytest.approx(km)
    assert em.wtw_kg == pytest.approx(km * 0.0323 * 10 * 690 / 1000)
    assert "grid:MN" in em.factors


def test_unknown_traction_takes_the_documented_default(router: Router, route: Route) -> None:
    """China is partly electrified with no share in the records: its km take the default (half
    electric), and the leg is marked default."""
    cn = next(leg for leg in route.legs if leg.mode == "rail" and leg.countries[0] == "CN")
    assert cn.co2e_basis == "default" and "traction:default" in cn.co2e_factors
    assert cn.electric_km == pytest.approx(cn.distance_km * 0.5)


def test_a_section_path_and_the_electrification_what_if(router: Router, route: Route, tmp_path: Path) -> None:
    """A section drawn along the Mongolian track takes its edges; naming it in ``electrify`` counts
    them electric, which the saving reports per year at the flow."""
    net = router.net
    mn = next(leg for leg in route.legs if leg.countries == ["MN"])
    nodes = mn.nodes[[0, -1]]
    pts = "\n".join(
        f"      - {{name: P{i}, lat: {net.lat[n]:.4f}, lon: {net.lon[n]:.4f}, country: MN}}" for i, n in enumerate(nodes)
    )
    body = PACKAGE_INTEROP.read_text().replace(
        "sections:\n",
        "sections:\n  - id: test-mn-line\n    name: Test MN line\n    path:\n" + pts + "\n    buffer_km: 20\n"
        "    electrification:\n      system: none\n      source: test\n      as_of: '2026-12'\n",
        1,
    )
    data = _interop(tmp_path, body)
    tr = emissions.edge_traction(net, mn.edges, data)  # type: ignore[arg-type]
    assert tr.record.count("section:test-mn-line") >= len(mn.edges) // 2
    on = emissions.edge_traction(net, mn.edges, data, electrify=["test-mn-line"])  # type: ignore[arg-type]
    inside = np.array([r == "section:test-mn-line" for r in on.record])
    assert (on.electric_share[inside] == 1.0).all() and (tr.electric_share[inside] == 0.0).all()


def test_every_route_reads_one_set_of_edge_factors_and_a_what_if_its_own(router: Router, route: Route) -> None:
    """The per-edge factors are computed once per model and traffic type and shared read-only by
    every route; an electrification what-if gets its own, and the shared ones stay as they were
    (a route asked again has the same CO2e)."""
    net, m = router.net, router.engine.graph.model
    shared = emissions.edge_emissions(net, m, Traffic.CONTAINER)
    assert emissions.edge_emissions(net, m, Traffic.CONTAINER) is shared
    passenger = emissions.edge_emissions(net, m, Traffic.PASSENGER)
    assert passenger is not shared and passenger.factor_sets != shared.factor_sets
    with pytest.raises(ValueError, match="read-only"):
        shared.wtw[0] = 0.0
    before = shared.wtw.copy()
    what_if = emissions.edge_emissions(net, m, Traffic.CONTAINER, electrify=["moyynty-aktogay"])
    assert what_if is not shared and what_if.wtw.flags.writeable
    np.testing.assert_array_equal(emissions.edge_emissions(net, m, Traffic.CONTAINER).wtw, before)
    changed = m.with_basis("tank-to-wheel")
    assert emissions.edge_emissions(net, changed, Traffic.CONTAINER) is not shared  # a copy computes its own
    again = router.route(RouteQuery("Erenhot", "Zamyn-Uud", mode="rail", teu=2))
    assert [leg.co2e_wtw_kg for leg in again.legs] == [leg.co2e_wtw_kg for leg in route.legs]


def test_the_what_if_refuses_what_it_cannot_answer(router: Router, route: Route) -> None:
    """An unknown section lists the known ones; a section off the route says so; a flow out of
    bounds is refused."""
    with pytest.raises(DataError, match=r"'no-such-line' is not a section of interoperability\.yaml; give one of: .*moyynty-aktogay"):
        emissions.electrification_saving(router.net, route, "no-such-line", 1000)
    with pytest.raises(DataError, match="does not run on section 'moyynty-aktogay'"):
        emissions.electrification_saving(router.net, route, "moyynty-aktogay", 1000)
    with pytest.raises(DataError, match="at most 100 million"):
        emissions.electrification_saving(router.net, route, "moyynty-aktogay", 1e12)


def test_a_bad_factor_names_file_line_and_field(tmp_path: Path) -> None:
    src = (Path(emissions.__file__).parent.parent / "data" / "emissions.yaml").read_text()
    bad = tmp_path / "emissions.yaml"
    bad.write_text(src.replace("kwh_per_tkm: 0.0323", "kwh_per_tkm: -1"))
    with pytest.raises(DataError) as err:
        emissions.load_factors(bad)
    assert "emissions.yaml" in str(err.value) and "kwh_per_tkm" in str(err.value)


def test_sea_legs_take_the_transit_models_factors(router: Router) -> None:
    """A sea leg's CO2e is its km times the transit model's sea factors, on both bases."""
    net = router.net
    sea = np.flatnonzero(net.edge_kind == EdgeKind.SEA)[:3]
    model = router.graph.model
    em = emissions.leg_emissions(
        net, sea, "sea", 1.0, data=load_interoperability(PACKAGE_INTEROP), factors=emissions.load_factors(), model=model
    )
    wtw, ttw = model.co2["sea"]
    assert em.wtw_kg == pytest.approx(float(net.km[sea].sum()) * wtw)
    assert em.ttw_kg == pytest.approx(float(net.km[sea].sum()) * ttw)


def test_the_cli_shows_the_basis_asked_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """route --emissions ttw|wtw prints the legs' CO2e on that basis (tank-to-wheel is less);
    compare's column says which; another value is refused with the choices."""
    import re

    from typer.testing import CliRunner

    from silkrail.cli import app
    from tests.conftest import COUNTRIES_FILE, FIXTURES

    monkeypatch.setenv("SILKRAIL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SILKRAIL_DATA_DIR", str(FIXTURES / "data"))
    monkeypatch.setenv("SILKRAIL_RAIL_FILE", str(FIXTURES / "rail_small.py"))
    monkeypatch.setenv("SILKRAIL_SEA_FILE", str(FIXTURES / "sea_small.geojson"))
    monkeypatch.setenv("SILKRAIL_PORTS_FILE", str(FIXTURES / "ports_small.geojson"))
    monkeypatch.setenv("SILKRAIL_COUNTRIES_FILE", str(COUNTRIES_FILE))
    runner = CliRunner()
    shown = {}
    for basis in ("wtw", "ttw"):
        args = ["route", "Erenhot", "Zamyn-Uud", "--mode", "rail", "--teu", "1000", "--emissions", basis]
        out = runner.invoke(app, args)
        assert out.exit_code == 0, out.output
        m = re.search(rf"([\d.,]+) t CO2e \({basis.upper()}\)", " ".join(out.output.split()))
        assert m, out.output
        shown[basis] = float(m.group(1).replace(",", ""))
    assert 0 < shown["ttw"] < shown["wtw"]
    bad = runner.invoke(app, ["route", "Erenhot", "Zamyn-Uud", "--emissions", "co2"])
    assert bad.exit_code == 2 and "wtw" in bad.output and "ttw" in bad.output


def test_one_co2_figure_per_trip(router: Router, route: Route) -> None:
    """The route's co2_kg is the well-to-wheel CO2e its legs report (the same per-edge factors by
    traction), the legs' co2_kg are their co2e_wtw_kg, and the co2 objective sums the same
    figures: the OD matrix and the route agree."""
    assert route.co2_kg == pytest.approx(route.co2e_wtw_kg)
    assert route.co2_basis == "well-to-wheel"
    for leg in route.legs:
        assert leg.co2_kg == pytest.approx(leg.co2e_wtw_kg)
        lo, hi = leg.co2_kg_range
        assert lo <= leg.co2_kg <= hi
    assert route.co2e_ttw_kg is not None and 0 < route.co2e_ttw_kg < route.co2_kg
    doc = route.to_dict()
    assert doc["co2_kg"] == pytest.approx(doc["co2e_wtw_kg"], abs=0.2)
    od = router.od_matrix(["Erenhot"], ["Zamyn-Uud"], RouteOptions(mode="rail", teu=2))
    assert od.co2_kg[0, 0] == pytest.approx(route.co2_kg, rel=1e-9)
    g = router.graph
    costs = g.costs_of(Traffic.CONTAINER)
    arcs = np.asarray(route.arcs)
    assert float(g.weights[2, arcs].sum()) * 2 == pytest.approx(route.co2_kg, rel=1e-9)
    assert np.array_equal(costs.co2_kg, costs.co2_wtw_kg)


def test_tank_to_wheel_model_reports_tank_to_wheel(small_net: Network, tmp_path: Path) -> None:
    """A model asked for tank-to-wheel prices every edge's CO2 tank-to-wheel: the route's co2_kg is
    then its legs' co2e_ttw_kg (the legs keep both bases)."""
    from silkrail.routing.costs import CostModel

    model = CostModel.from_network(small_net).with_basis("tank-to-wheel")
    r = Router(small_net, home=tmp_path, model=model).route(RouteQuery("Erenhot", "Zamyn-Uud", mode="rail", teu=2))
    assert r.co2_basis == "tank-to-wheel"
    assert r.co2_kg == pytest.approx(r.co2e_ttw_kg)
    assert r.co2e_wtw_kg is not None and r.co2e_wtw_kg > r.co2_kg


def test_a_passenger_is_counted_per_passenger_km(router: Router) -> None:
    """A passenger route's CO2e is per passenger (the transit model's passenger factor, a
    documented default), whatever TEU the query echoes."""
    r = router.route(RouteQuery("Erenhot", "Zamyn-Uud", mode="rail", traffic="passenger", teu=40))
    wtw, _ = router.graph.model.co2["rail_passenger"]
    rail = [leg for leg in r.legs if leg.mode == "rail"]
    assert sum(leg.co2e_wtw_kg or 0 for leg in rail) == pytest.approx(sum(leg.distance_km for leg in rail) * wtw)
    assert r.co2_kg == pytest.approx(r.co2e_wtw_kg)
    assert all(leg.co2e_basis == "default" for leg in rail)
    assert all("transit.yaml:co2:rail_passenger" in leg.co2e_factors for leg in rail)


def test_the_what_if_starts_from_the_routes_own_figures(router: Router, route: Route) -> None:
    """Electrifying a section compares against the route's own CO2e (before = the route's)."""
    net = router.net
    model = router.graph.model
    legs = emissions.with_emissions(net, route.legs, route.teu, model=model)
    assert sum(leg.co2e_wtw_kg or 0 for leg in legs) == pytest.approx(route.co2e_wtw_kg)
    assert sum(leg.co2e_ttw_kg or 0 for leg in legs) == pytest.approx(route.co2e_ttw_kg)


def test_the_traction_of_every_edge_is_kept_by_content(small_net: Network, tmp_path: Path) -> None:
    """The traction of every edge is computed once and read back from the home, keyed by the
    network and the records' content: the same shares and records."""
    net = small_net
    net.caches.pop(emissions.TRACTION_CACHE, None)
    first = emissions.network_traction(net, home=tmp_path)
    assert list(tmp_path.glob("traction-*.npz"))
    net.caches.pop(emissions.TRACTION_CACHE, None)
    again = emissions.network_traction(net, home=tmp_path)
    assert again.record == first.record
    assert np.array_equal(np.nan_to_num(again.electric_share, nan=-1), np.nan_to_num(first.electric_share, nan=-1))
    assert len(first.record) == net.n_edges
