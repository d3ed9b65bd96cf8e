"""The generalised cost: the default objective of a freight query, what the search minimises
exactly (time, money and the penalties per customs border and transshipment, arc by arc), and
the same value on the route it finds."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from silkrail.errors import DataError
from silkrail.network.model import Network
from silkrail.routing.generalised import TERMS, generalised_usd, load_weights, term_values
from silkrail.routing.generalised_arcs import arc_counts, arc_objective
from silkrail.routing.query import RouteQuery, check_query
from silkrail.routing.router import router_for
from silkrail.routing.strategies import rank_value


def test_a_freight_query_without_an_objective_weighs_the_generalised_cost() -> None:
    """The default objective: generalised for freight; time for passengers and for a departure
    or arrival time (the timetable's earliest arrival); an objective given is kept."""
    assert RouteQuery("Hanoi", "Moscow").objective == "generalised"
    assert RouteQuery("Hanoi", "Moscow", traffic="freight").weights == load_weights().coef
    assert RouteQuery("Hanoi", "Moscow", traffic="passenger").objective == "time"
    assert RouteQuery("Hanoi", "Moscow", depart="2026-12-03T17:00+08:00").objective == "time"
    assert RouteQuery("Hanoi", "Moscow", objective="cost").objective == "cost"
    weighted = RouteQuery("Hanoi", "Moscow", objective={"time": 20, "cost": 1, "borders": 500})
    assert weighted.objective == "20*time+1*cost+500*borders"
    assert weighted.weights == (20.0, 1.0, 0.0, 500.0, 0.0)


def test_the_weights_are_sourced_and_within_their_ranges() -> None:
    """The value of time lies in its sourced range, with its sources; the penalties are non-negative."""
    w = load_weights()
    lo, hi = w.value_of_time_range
    assert lo <= w.value_of_time_usd_per_teu_h <= hi
    assert any("aeaweb.org" in s for s in w.sources) and w.as_of
    assert w.border_usd >= 0 and w.transshipment_usd >= 0
    assert w.coef == (w.value_of_time_usd_per_teu_h, 1.0, 0.0, w.border_usd, w.transshipment_usd)


def test_a_weights_file_out_of_range_is_refused_with_its_line(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[2] / "src/silkrail/data/generalised.yaml").read_text()
    bad = tmp_path / "generalised.yaml"
    bad.write_text(text.replace("value_of_time:\n  value:", "value_of_time:\n  value: 99 #", 1))
    with pytest.raises(DataError) as caught:
        load_weights(bad)
    assert "generalised.yaml" in str(caught.value) and "outside its range" in str(caught.value)


def test_a_border_and_a_change_of_gauge_are_counted_on_the_arcs_and_the_route(small_net: Network) -> None:
    """Erenhot–Zamyn-Uud crosses one customs border and changes gauge once: the route says so,
    and its generalised cost is the weights over its hours, money and those counts."""
    router = router_for(small_net)
    r = router.route(RouteQuery("Erenhot", "Zamyn-Uud", mode="rail"))
    assert (r.customs_borders, r.transshipments) == (1, 1)
    counts = arc_counts(router.graph)[:, r.arcs].sum(axis=1)
    assert counts.tolist() == [1.0, 1.0]
    doc = r.to_dict()
    assert doc["customs_borders"] == 1 and doc["transshipments"] == 1 and doc["objective"] == "generalised"
    w = load_weights()
    assert r.generalised_usd == pytest.approx(float(np.dot(w.coef, term_values(r))))
    assert doc["generalised_usd"] == pytest.approx(generalised_usd(r), abs=0.01)
    assert rank_value(r, w.coef) == pytest.approx(generalised_usd(r))
    # of the figures as they stand: a scheduled service's answer replaces the time, and the value follows
    later = dataclasses.replace(r, duration_h=r.duration_h + 24.0)
    assert later.generalised_usd == pytest.approx(r.generalised_usd + 24.0 * w.value_of_time_usd_per_teu_h)


def test_the_search_minimises_the_penalised_arc_sum(small_net: Network) -> None:
    """The path's value is the sum of its arcs' generalised weights (time, money and penalties),
    and a penalty per border raises that value by exactly the borders crossed."""
    router = router_for(small_net)
    plain = (10.0, 1.0, 0.0, 0.0, 0.0)
    taxed = (10.0, 1.0, 0.0, 1000.0, 250.0)
    q = check_query(small_net, RouteQuery("Erenhot", "Zamyn-Uud", mode="rail", objective="time"))
    o, d = router.resolve("Erenhot"), router.resolve("Zamyn-Uud")
    p0 = router.engine.shortest_path(o, d, q.constraints, plain, mode="rail")
    p1 = router.engine.shortest_path(o, d, q.constraints, taxed, mode="rail")
    assert p0 is not None and p1 is not None
    g = router.graph
    assert p1.value == pytest.approx(float(arc_objective(g, taxed, q.constraints.traffic)[p1.arcs].sum()))
    assert p1.value == pytest.approx(p0.value + 1000.0 + 250.0)


def test_passenger_routes_carry_no_generalised_cost(small_net: Network) -> None:
    r = router_for(small_net).route(RouteQuery("Erenhot", "Zamyn-Uud", mode="rail", traffic="passenger"))
    assert r.generalised_usd is None and "generalised_usd" not in r.to_dict()
    assert r.objective == "time" and len(TERMS) == 5
