"""Pricing a whole shortest-path tree at once gives each path the price of its single route."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from silkrail.network.model import Network
from silkrail.routing import kernels_py
from silkrail.routing.engine import Engine
from silkrail.routing.pricing import TreePricer, path_figures, price_route, tariff_sections
from silkrail.routing.query import RouteOptions, check_query
from silkrail.traffic import Traffic, TrainClass

FIELDS = ("duration_h", "cost_usd", "co2_kg", "duration_h_range", "cost_usd_range", "co2_kg_range")


@pytest.mark.parametrize(
    ("traffic", "teu", "mode", "train"),
    [
        (Traffic.CONTAINER, 40.0, "any", "standard"),
        (Traffic.WAGONLOAD, 3.0, "rail", "standard"),
        (Traffic.PASSENGER, 1.0, "rail", "standard"),
        (Traffic.CONTAINER, 40.0, "any", "express"),
        (Traffic.PASSENGER, 1.0, "rail", "stopping"),
    ],
)
def test_every_path_of_a_small_tree_is_priced_as_its_single_route(
    small_net: Network, tmp_path: Path, traffic: Traffic, teu: float, mode: str, train: TrainClass
) -> None:
    """Every state a tree reaches from each of the fixture network's places: the
    tree's prices equal ``price_route`` of the unwound path, including the parts that depend on
    the path's context (tariff areas that start again after a border or a sea leg, rail ends,
    gauge changes); unreached targets are NaN."""
    engine = Engine(small_net, home=tmp_path)
    q = check_query(small_net, RouteOptions(mode=mode, traffic=traffic.value, teu=teu))  # type: ignore[arg-type]
    g = engine.graph
    indptr, indices, arcs = g.csr(q.constraints)
    w = engine.weights_for(q.constraints, q.coef)
    pricer = TreePricer(g, arcs, teu, traffic=traffic, totals=kernels_py.tree_totals, train=train)
    seen = {"sea": 0, "restarts": 0, "changes": 0, "both_ends": 0}
    priced = 0
    for place in small_net.places:
        sources = engine.end_states(engine.places.resolve(place.name), q.mode)
        dist, pred = kernels_py.shortest_tree(indptr, indices, w, sources)
        targets = np.flatnonzero(np.isfinite(dist))
        targets = np.r_[targets, -1]  # and one that is not reached
        got = pricer.price(pred, targets)
        for j, s in enumerate(targets[:-1].tolist()):
            path = kernels_py.unwind(pred, arcs, g.src, s)
            want = price_route(g, path, teu, traffic=traffic, train=train)
            for f in FIELDS:
                np.testing.assert_allclose(
                    getattr(got, f)[j], getattr(want, f), rtol=1e-9, atol=1e-9, err_msg=f
                )
            f = path_figures(g, path, teu, traffic=traffic)
            seen["sea"] += bool((f.run_class == 4).any())
            seen["changes"] += bool(f.change_h.any())
            seen["both_ends"] += want.rail_ends == 2
            seen["restarts"] += len(tariff_sections(g.costs_of(traffic), g.edge[path], f.is_rail)) > 1
            priced += 1
        assert np.isnan(got.duration_h[-1]) and np.isnan(got.cost_usd_range[-1]).all()
    assert priced >= 20
    # the paths reach the context-dependent parts the test is about
    assert seen["both_ends"] > 0 and seen["changes"] > 0
    if traffic is not Traffic.PASSENGER:
        assert seen["restarts"] > 0  # a rail tariff area starting again after a border
    if mode == "any":
        assert seen["sea"] > 0


@pytest.mark.parametrize(
    ("traffic", "train"),
    [(Traffic.PASSENGER, "express"), (Traffic.PASSENGER, "stopping"), (Traffic.CONTAINER, "express")],
)
def test_a_train_category_scales_the_running_time_on_lines_other_than_high_speed(
    small_net: Network, tmp_path: Path, traffic: Traffic, train: TrainClass
) -> None:
    """An express or a stopping train runs each rail arc in its category's fitted share of a
    standard train's time (a passenger's high-speed arcs excepted); waits, money and CO2 stay."""
    engine = Engine(small_net, home=tmp_path)
    g = engine.graph
    k = g.model.params.traffic(traffic).run_factor(train)
    assert k != 1.0 and 0.3 < k < 3.0
    q = check_query(small_net, RouteOptions(mode="rail", traffic=traffic.value))  # type: ignore[arg-type]
    indptr, indices, arcs = g.csr(q.constraints)
    w = engine.weights_for(q.constraints, q.coef)
    checked = 0
    for place in small_net.places:
        sources = engine.end_states(engine.places.resolve(place.name), q.mode)
        dist, pred = kernels_py.shortest_tree(indptr, indices, w, sources)
        for s in np.flatnonzero(np.isfinite(dist)).tolist():
            path = kernels_py.unwind(pred, arcs, g.src, s)
            std = path_figures(g, path, 1.0, traffic=traffic)
            got = path_figures(g, path, 1.0, traffic=traffic, train=train)
            if not std.is_rail.any():
                continue
            scaled = std.is_rail & ((std.run_class != 0) | (traffic is not Traffic.PASSENGER))
            np.testing.assert_allclose(got.run_h[scaled], std.run_h[scaled] * k, rtol=1e-12)
            np.testing.assert_array_equal(got.run_h[~scaled], std.run_h[~scaled])
            for same in ("fixed_h", "line_usd", "fee_usd", "co2_kg", "km"):
                np.testing.assert_array_equal(getattr(got, same), getattr(std, same), err_msg=same)
            a, b = price_route(g, path, 1.0, traffic=traffic), price_route(g, path, 1.0, traffic=traffic, train=train)
            run = float(std.run_h[scaled].sum())
            assert b.duration_h == pytest.approx(a.duration_h + (k - 1.0) * run, rel=1e-9)
            checked += 1
    assert checked >= 5


@pytest.mark.integration
def test_tree_prices_equal_single_routes_on_the_real_network(real_net: Network) -> None:
    """From Hanoi, Almaty and Moscow by rail and by any mode (sea legs at a date's rate), 300
    states the tree reaches (drawn with a fixed seed) and six big cities, summed as the OD matrix
    sums them: each priced as its single route, to 1e-9."""
    from silkrail.routing.router import router_for

    router = router_for(real_net)
    engine, g = router.engine, router.engine.graph
    rng = np.random.default_rng(7)
    cities = [router.resolve(n) for n in ("Beijing", "Duisburg", "Tashkent", "Baku", "Vientiane", "Istanbul")]
    checked = 0
    from silkrail import jit
    from silkrail.routing import kernels

    totals = kernels.tree_totals if jit.available() else kernels_py.tree_totals  # as od_matrix sums
    for mode, traffic, teu, as_of in (
        ("rail", Traffic.CONTAINER, 40.0, None),
        ("any", Traffic.CONTAINER, 2.0, "2025-06-01"),  # sea legs at that date's rate
    ):
        q = check_query(real_net, RouteOptions(mode=mode, traffic=traffic.value, teu=teu))  # type: ignore[arg-type]
        indptr, indices, arcs = g.csr(q.constraints)
        w = engine.weights_for(q.constraints, q.coef)
        pricer = TreePricer(g, arcs, teu, traffic=traffic, as_of=as_of, totals=totals)
        for origin in ("Hanoi", "Almaty", "Moscow"):
            dist, pred = kernels_py.shortest_tree(
                indptr, indices, w, engine.end_states(router.resolve(origin), mode)
            )
            reached = np.flatnonzero(np.isfinite(dist))
            ends = [int(e[np.argmin(dist[e])]) for e in (engine.end_states(c, mode) for c in cities)]
            assert np.isfinite(dist[ends]).all()  # every city is reached: each is a real path
            targets = np.r_[rng.choice(reached, 300, replace=False), ends]
            got = pricer.price(pred, targets)
            for j, s in enumerate(targets.tolist()):
                path = kernels_py.unwind(pred, arcs, g.src, s)
                want = price_route(g, path, teu, traffic=traffic, as_of=as_of)
                for f in FIELDS:
                    np.testing.assert_allclose(getattr(got, f)[j], getattr(want, f), rtol=1e-9, err_msg=f)
                checked += 1
    assert checked == 2 * 3 * 306
