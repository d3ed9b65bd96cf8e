"""The routing layers on the small fixture network: the state graph and its gauge-change arcs,
the engine's search, the one ranking rule, typed results and their exports, and the import
structure of the package (no cycle, no private name crossing a module, nothing importing the
facade)."""

from __future__ import annotations

import ast
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from silkrail.errors import DataError, MissingExtraError
from silkrail.network.model import GAUGES_MM, Network, NodeKind, gauges_of
from silkrail.routing import strategies
from silkrail.routing.engine import Engine
from silkrail.routing.graph import MODE_RAIL, NO_GAUGE, Constraints
from silkrail.routing.query import Query, RouteOptions, check_query
from silkrail.routing.results import Leg, Route

SRC = Path(__file__).resolve().parents[2] / "src" / "silkrail"


@pytest.fixture(scope="module")
def engine(small_net: Network) -> Engine:
    return Engine(small_net, home=None)


def _rail_query(net: Network, teu: float = 1.0) -> Query:
    return check_query(net, RouteOptions(mode="rail", teu=teu))


# --- the state graph ------------------------------------------------------------------------


def test_one_state_per_gauge_of_a_rail_node_and_one_for_other_nodes(engine: Engine) -> None:
    g, net = engine.graph, engine.net
    for node in range(net.n_nodes):
        slots = sorted(g.state_slot[g.states_of_node(node)].tolist())
        if net.node_kind[node] == NodeKind.RAIL and net.gauge[node]:
            assert slots == [GAUGES_MM.index(mm) for mm in gauges_of(int(net.gauge[node]))], node
        else:
            assert slots == [NO_GAUGE], node
        assert (g.state_node[g.states_of_node(node)] == node).all()


def test_trains_keep_their_gauge_except_on_gauge_change_arcs(engine: Engine) -> None:
    g, net = engine.graph, engine.net
    rail = g.mode == MODE_RAIL
    keep = rail & ~g.change
    assert (g.state_slot[g.src[keep]] == g.state_slot[g.dst[keep]]).all()
    assert (g.state_slot[g.src[keep]] < NO_GAUGE).all()
    chg = np.flatnonzero(g.change)
    assert len(chg) > 0
    assert net.change[g.edge[chg]].all()  # only where the network marks a change
    assert (g.state_slot[g.src[chg]] != g.state_slot[g.dst[chg]]).all()
    # symmetric: every arc has its reverse on the same edge
    fwd = set(zip(g.src.tolist(), g.dst.tolist(), g.edge.tolist(), strict=True))
    assert fwd == {(b, a, e) for a, b, e in fwd}


def test_the_border_gauge_change_joins_1435_to_1520_and_carries_its_time_and_cost(engine: Engine) -> None:
    g, net, costs = engine.graph, engine.net, engine.graph.costs
    assert costs is not None
    cid = next(i for i, c in enumerate(net.crossings) if c.id == "erenhot-zamyn-uud")
    arcs = np.flatnonzero(g.crossing == cid)
    pairs = {(GAUGES_MM[g.state_slot[g.src[a]]], GAUGES_MM[g.state_slot[g.dst[a]]]) for a in arcs.tolist()}
    assert pairs == {(1435, 1520), (1520, 1435)}
    assert g.change[arcs].all()
    e = g.edge[arcs]
    np.testing.assert_allclose(g.weights[0, arcs], costs.time_h[e] + costs.change_time_h[e])
    np.testing.assert_allclose(g.weights[1, arcs], costs.cost_usd[e] + costs.change_cost_usd[e])
    assert (g.weights[0, arcs] > 0).all()


# --- the engine -----------------------------------------------------------------------------


def test_a_rail_route_across_the_break_of_gauge(engine: Engine) -> None:
    o, d = engine.places.resolve("Erenhot"), engine.places.resolve("Zamyn-Uud")
    q = _rail_query(engine.net)
    path = engine.shortest_path(o, d, q.constraints, q.coef, mode="rail")
    assert path is not None
    r = engine.assemble(path, o, d, objective=q.objective, teu=q.teu)
    assert r.countries == ["CN", "MN"]
    assert [(e.from_gauge_mm, e.to_gauge_mm) for e in r.gauge_changes] == [(1435, 1520)]
    assert [leg.gauge_mm for leg in r.legs] == [1435, 1520]
    np.testing.assert_array_equal(r.arcs, path.arcs)
    for leg in r.legs:  # legs hold their own track, end to end
        assert leg.geometry.shape[1] == 2 and len(leg.geometry) >= 2
        assert len(leg.nodes) == len(leg.edges) + 1
    assert r.legs[0].nodes[-1] == r.legs[1].nodes[0]
    assert tuple(r.legs[0].geometry[-1]) == pytest.approx(tuple(r.legs[1].geometry[0]), abs=1e-4)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.label = "x"  # type: ignore[misc]
    # the only crossing banned: no rail route
    ban = dataclasses.replace(q.constraints, avoid_crossings=frozenset(r.crossing_ids))
    assert engine.shortest_path(o, d, ban, q.coef, mode="rail") is None


def test_shortest_path_equals_dijkstra_on_the_same_weights(engine: Engine) -> None:
    g = engine.graph
    o, d = engine.places.resolve("Hanoi"), engine.places.resolve("Erenhot")
    c = Constraints(year=engine.net.current_year())
    for coef in ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.5, 0.01, 2.0)):
        path = engine.shortest_path(o, d, c, coef)
        indptr, indices, _ = g.csr(c)
        w = engine.weights_for(c, coef)
        m = sp.csr_matrix((np.maximum(w, 1e-12), indices, indptr), shape=(g.n_states, g.n_states))
        dist = dijkstra(m, directed=True, indices=engine.end_states(o))
        best = float(dist[:, engine.end_states(d)].min())
        if path is None:
            assert not np.isfinite(best)
            continue
        assert path.value == pytest.approx(best, rel=1e-9, abs=1e-6)
        assert float((np.asarray(coef) @ g.weights[:, path.arcs]).sum()) == pytest.approx(path.value)


def test_od_matrix_cells_equal_single_routes_and_come_as_tables(engine: Engine) -> None:
    places = engine.places
    origins = [places.resolve("Erenhot"), places.resolve("Hanoi")]
    dests = [places.resolve("Zamyn-Uud"), places.resolve("Erenhot")]
    q = _rail_query(engine.net)
    m = engine.od_matrix(origins, dests, q)
    assert m.shape == (2, 2)
    path = engine.shortest_path(origins[0], dests[0], q.constraints, q.coef, mode="rail")
    assert path is not None
    r = engine.assemble(path, origins[0], dests[0])
    assert m.duration_h[0, 0] == pytest.approx(r.duration_h)
    assert m.distance_km[0, 0] == pytest.approx(r.distance_km)
    assert np.isnan(m.duration_h[1, 0])  # Hanoi's network does not reach Mongolia by rail
    long = m.to_long()
    assert list(long.columns[:2]) == ["from", "to"]
    assert len(long) == 4
    assert long.loc[0, "duration_h"] == pytest.approx(m.duration_h[0, 0])
    assert long.loc[0, "duration_h_low"] <= long.loc[0, "duration_h"] <= long.loc[0, "duration_h_high"]
    wide = m.to_frame("cost_usd")
    assert wide.loc["Erenhot", "Zamyn-Uud"] == pytest.approx(m.cost_usd[0, 0])
    assert json.loads(json.dumps(m.to_dict()))["duration_h"][1][0] is None
    with pytest.raises(DataError, match="not a value"):
        m.to_frame("speed")
    pytest.importorskip("geopandas")  # the geo extra: the last check only
    gdf = m.to_gdf()
    assert gdf.crs.to_epsg() == 4326 and set(gdf.geometry.geom_type) == {"LineString"}


# --- one ranking rule -----------------------------------------------------------------------


def _mixed(template: Route, duration_h: float, cost_per_teu: float, teu: float) -> Route:
    legs = [
        Leg("rail", "a", "b", 600.0, duration_h / 2, 1435, ["CN"]),
        Leg("sea", "b", "c", 400.0, duration_h / 2, None, []),
    ]
    return dataclasses.replace(
        template,
        teu=teu,
        distance_km=1000.0,
        duration_h=duration_h,
        cost_usd=cost_per_teu * teu,
        co2_kg=0.0,
        legs=legs,
        alternatives=[template],
    )


def test_alternatives_and_rail_and_sea_rank_by_the_objective_per_teu(engine: Engine) -> None:
    """Per TEU, A (100 h + US$50) beats B (140 h + US$20) under time+cost weights; on the
    totals for 10 TEU the order would flip. Both strategies use the per-TEU rule."""
    o, d = engine.places.resolve("Erenhot"), engine.places.resolve("Zamyn-Uud")
    q = check_query(engine.net, RouteOptions(objective={"time": 1, "cost": 1}, teu=10))
    path = engine.shortest_path(o, d, q.constraints, q.coef)
    assert path is not None
    base = engine.assemble(path, o, d, teu=10)
    a, b = _mixed(base, 100.0, 50.0, 10), _mixed(base, 140.0, 20.0, 10)
    assert strategies.rank_value(a, q.coef) == pytest.approx(150.0)
    assert strategies.rank_value(b, q.coef) == pytest.approx(160.0)
    choice = strategies.rail_and_sea([b, a], q)
    assert choice is not None and choice.duration_h == 100.0 and choice.alternatives == []
    assert strategies.rail_and_sea([base], q) is None  # rail only: no split haul


# --- exports --------------------------------------------------------------------------------


def test_a_route_exports_to_geopackage_geoparquet_and_geojson(engine: Engine, tmp_path: Path) -> None:
    pytest.importorskip("geopandas")
    import geopandas
    import pyogrio

    o, d = engine.places.resolve("Erenhot"), engine.places.resolve("Zamyn-Uud")
    q = _rail_query(engine.net)
    path = engine.shortest_path(o, d, q.constraints, q.coef, mode="rail")
    assert path is not None
    r = engine.assemble(path, o, d)
    gpkg = r.to_file(tmp_path / "route.gpkg")
    assert {name for name, _ in pyogrio.list_layers(gpkg)} == {"legs", "events"}
    legs = geopandas.read_file(gpkg, layer="legs")
    assert list(legs["gauge_mm"]) == [1435, 1520]
    assert legs.geometry.iloc[0].coords[0] == pytest.approx(tuple(r.legs[0].geometry[0]), abs=1e-6)
    events = geopandas.read_file(gpkg, layer="events")
    assert "gauge_change" in set(events["kind"])
    back = geopandas.read_parquet(r.to_file(tmp_path / "route.parquet"))
    assert len(back) == len(r.legs) and back.crs.to_epsg() == 4326
    assert json.loads(r.to_file(tmp_path / "route.geojson").read_text()) == json.loads(
        json.dumps(r.to_geojson())
    )
    with pytest.raises(DataError, match=r"\.gpkg"):
        r.to_file(tmp_path / "route.shp")


def test_geodata_without_the_geo_extra_names_the_extra(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    o, d = engine.places.resolve("Erenhot"), engine.places.resolve("Zamyn-Uud")
    path = engine.shortest_path(o, d, Constraints(modes="rail"), mode="rail")
    assert path is not None
    r = engine.assemble(path, o, d)
    monkeypatch.setitem(sys.modules, "geopandas", None)  # as if not installed
    with pytest.raises(MissingExtraError, match=r"Route.to_gdf needs geopandas.*silkrail\[geo\]"):
        r.to_gdf()
    m = engine.od_matrix([o], [d], _rail_query(engine.net))
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(MissingExtraError, match=r"OdMatrix.to_frame needs pandas.*silkrail\[frames\]"):
        m.to_frame()


# --- structure ------------------------------------------------------------------------------


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of every import in a file, at any depth (lazy and TYPE_CHECKING too)."""
    out: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out.extend((a.name, []) for a in node.names)
    return out


def test_routing_layers_have_no_cycle_and_share_nothing_private() -> None:
    pkg = "silkrail.routing"
    files = {f"{pkg}.{p.stem}": p for p in (SRC / "routing").glob("*.py") if p.stem != "__init__"}
    deps: dict[str, set[str]] = {m: set() for m in files}
    for mod, path in files.items():
        for target, names in _imports(path):
            targets = [f"{target}.{n}" for n in names if f"{target}.{n}" in files] or [target]
            for t in targets:
                if t in files:
                    deps[mod].add(t)
            if target.startswith("silkrail") and target != mod:
                assert not [n for n in names if n.startswith("_")], (mod, target, names)
    assert not any(f"{pkg}.router" in d for d in deps.values())  # the facade is the top
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(m: str, stack: tuple[str, ...]) -> None:
        if state.get(m) == 2:
            return
        assert state.get(m) != 1, f"import cycle: {' -> '.join((*stack, m))}"
        state[m] = 1
        for t in sorted(deps[m]):
            visit(t, (*stack, m))
        state[m] = 2
        order.append(m)

    for m in sorted(deps):
        visit(m, ())
    assert order.index(f"{pkg}.kernels") < order.index(f"{pkg}.engine") < order.index(f"{pkg}.strategies")


def test_the_simulation_uses_only_the_public_routing_api() -> None:
    for path in (SRC / "simulation").glob("*.py"):
        for target, names in _imports(path):
            if target.startswith("silkrail.routing"):
                assert target != "silkrail.routing.router", path.name
                assert not [n for n in names if n.startswith("_")], (path.name, names)
        assert "._arcs" not in path.read_text() and ".searcher" not in path.read_text(), path.name
