"""KPIs over replications: intervals computed by hand, the JSON form, frames, comparisons."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest

from silkrail.simulation.kpi import Interval, Kpis, compare, summarise
from silkrail.simulation.model import Replication, ResourceRun, ServiceRun


def _replication(seed: int, delivered: int, transit_h: list[float], waits_h: list[float]) -> Replication:
    return Replication(
        seed=seed,
        events=100 + seed,
        end_h=400.0,
        services=(ServiceRun("Shuttle", 300.0, delivered=delivered, rerouted=1, transit_h=transit_h),),
        resources=(ResourceRun("erenhot-zamyn-uud", 2, delivered, waits_h, utilisation=0.5, max_queue=3),),
    )


RUNS = [
    _replication(1, 10, [300.0, 320.0], [1.0, 3.0]),
    _replication(2, 12, [310.0, 330.0], [2.0, 2.0]),
    _replication(3, 14, [], []),
]


def test_the_interval_is_the_t_interval_of_the_replication_means() -> None:
    """Trains delivered 10, 12, 14: mean 12, half-width t(0.975, 2) * s / sqrt(3) with s = 2."""
    k = summarise(RUNS)
    s = k.service("Shuttle")
    assert s.trains_delivered.mean == pytest.approx(12.0)
    assert s.trains_delivered.ci95 == pytest.approx(4.302652729911275 * 2.0 / math.sqrt(3))
    assert s.trains_delivered.low == pytest.approx(12.0 - s.trains_delivered.ci95)
    # a replication without a delivered train has no transit time: it is left out of the mean
    assert s.transit_mean_h.mean == pytest.approx((310.0 + 320.0) / 2)
    # ... but a crossing without a wait waited 0 h
    assert k.crossing("erenhot-zamyn-uud").wait_mean_h.mean == pytest.approx((2.0 + 2.0 + 0.0) / 3)
    assert (k.replications, k.seeds, k.events) == (3, (1, 2, 3), 306)


def test_one_replication_has_no_interval_and_no_value_has_no_mean() -> None:
    """One replication: the mean and a NaN half-width; no value at all: both NaN."""
    k = summarise(RUNS[2:])
    assert k.service("Shuttle").trains_delivered == Interval(14.0, k.service("Shuttle").trains_delivered.ci95)
    assert math.isnan(k.service("Shuttle").trains_delivered.ci95)
    assert math.isnan(k.service("Shuttle").transit_p50_h.mean)


def test_to_dict_is_the_json_of_simulate() -> None:
    """The keys, their order and the nesting ``{"mean", "ci95"}`` that ``simulate --json`` prints."""
    d = summarise(RUNS).to_dict()
    assert list(d) == [
        "replications",
        "seeds",
        "events",
        "services",
        "crossings",
        "scenario",
        "files",
        "start",
        "days",
    ]
    assert list(d["services"][0]) == [
        "name",
        "planned_h",
        "trains_delivered",
        "stranded",
        "rerouted",
        "transit_mean_h",
        "transit_p50_h",
        "transit_p95_h",
    ]
    assert d["services"][0]["trains_delivered"]["mean"] == pytest.approx(12.0)
    assert list(d["crossings"][0]["trains"]) == ["mean", "ci95"]
    assert d["seeds"] == [1, 2, 3]
    json.dumps(d)


def test_to_frame_has_a_mean_and_a_ci_column_per_kpi() -> None:
    k = summarise(RUNS)
    services = k.to_frame("services")
    assert list(services["name"]) == ["Shuttle"]
    assert services.loc[0, "trains_delivered"] == pytest.approx(12.0)
    assert services.loc[0, "trains_delivered_ci95"] == pytest.approx(
        k.service("Shuttle").trains_delivered.ci95
    )
    crossings = k.to_frame("crossings")
    assert {"servers", "max_queue", "max_queue_ci95"} <= set(crossings.columns)
    with pytest.raises(ValueError, match="'services' or 'crossings'"):
        k.to_frame("trains")


def test_compare_keeps_names_present_in_either_scenario() -> None:
    """A service only in B has NaN for A; the change is B - A."""
    a = summarise(RUNS[:1])
    b_run = _replication(1, 16, [300.0], [1.0])
    b = summarise(
        [replace(b_run, services=(*b_run.services, replace(b_run.services[0], name="New service")))]
    )
    d = compare(a, b)
    shuttle, new = d.services
    assert shuttle.changes["trains_delivered"].change == pytest.approx(6.0)
    assert new.name == "New service" and math.isnan(new.changes["trains_delivered"].a)
    assert d.to_dict()["services"][0]["trains_delivered"] == {"a": 10.0, "b": 16.0, "change": 6.0}
    assert list(d.to_frame("crossings").columns)[:4] == ["name", "trains_a", "trains_b", "trains_change"]


def test_kpis_are_frozen() -> None:
    k: Kpis = summarise(RUNS)
    with pytest.raises(AttributeError):
        k.services[0].name = "x"  # type: ignore[misc]
