"""Resilience on a hand-made network where each element's criticality can be worked out by hand."""

from __future__ import annotations

import heapq
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from silkrail.analysis.flows import Flow, load_flows
from silkrail.analysis.resilience import Element, Outcome, compute_resilience
from silkrail.errors import DataError

# A --x1 (10 h)-- B --bridge (5 h)-- D
#   --x2 (12 h)--   --spur   (3 h)-- C
# x1 and x2 are parallel crossings; the bridge is the only way to D.
EDGES = {
    "crossing:x1": ("A", "B", 10.0),
    "crossing:x2": ("A", "B", 12.0),
    "line:bridge": ("B", "D", 5.0),
    "line:spur": ("B", "C", 3.0),
}
USD_PER_H = 10.0
CO2_PER_H = 2.0


@dataclass(frozen=True)
class ToyRouter:
    """Shortest time on EDGES; cost and CO2 proportional to time."""

    def route(self, flow: Flow, removed: frozenset[str], replan: bool = False) -> Outcome | None:
        adj: dict[str, list[tuple[str, float, str]]] = {}
        for key, (a, b, h) in EDGES.items():
            if key in removed:
                continue
            adj.setdefault(a, []).append((b, h, key))
            adj.setdefault(b, []).append((a, h, key))
        heap: list[tuple[float, str, tuple[str, ...]]] = [(0.0, flow.origin, ())]
        done: set[str] = set()
        while heap:
            t, node, used = heapq.heappop(heap)
            if node == flow.destination:
                return Outcome(t, t * USD_PER_H, t * CO2_PER_H, frozenset(used), "-".join(used))
            if node in done:
                continue
            done.add(node)
            for nxt, h, key in sorted(adj.get(node, [])):
                heapq.heappush(heap, (t + h, nxt, (*used, key)))
        return None


FLOWS = [Flow("to D", "A", "D", 100.0), Flow("to C", "A", "C", 50.0)]
ELEMENTS = [Element(k, k.split(":")[0], k, frozenset({k})) for k in EDGES] + [
    Element("combination:both", "combination", "x1 and x2", frozenset({"crossing:x1", "crossing:x2"}))
]


def _by_key(result):  # type: ignore[no-untyped-def]
    return {i.element.key: i for i in result.impacts}


def test_criticality_by_hand() -> None:
    """x1 costs both flows the 2 h detour over x2; the bridge strands the flow to D; the spur
    strands the flow to C; x2 is unused; both crossings together strand everything."""
    r = compute_resilience(FLOWS, ELEMENTS, ToyRouter(), scheduler=None)
    by = _by_key(r)
    x1 = by["crossing:x1"]
    assert x1.extra_time_h == pytest.approx(150 * 2.0)
    assert x1.extra_cost_usd == pytest.approx(150 * 2.0 * USD_PER_H)
    assert x1.extra_co2_t == pytest.approx(150 * 2.0 * CO2_PER_H / 1000)
    assert x1.stranded_teu == 0.0 and x1.affected_teu == 150.0
    assert {d.route for d in x1.detours} == {"crossing:x2-line:bridge", "crossing:x2-line:spur"}
    assert by["line:bridge"].stranded_teu == 100.0 and by["line:bridge"].extra_time_h == 0.0
    assert by["line:spur"].stranded_teu == 50.0
    assert by["crossing:x2"].affected_teu == 0.0 and by["crossing:x2"].detours == ()
    assert by["combination:both"].stranded_teu == 150.0
    assert [i.element.key for i in r.impacts] == [
        "combination:both",
        "line:bridge",
        "line:spur",
        "crossing:x1",
        "crossing:x2",
    ]
    assert [i.rank for i in r.impacts] == [1, 2, 3, 4, 5]


def test_only_the_flows_that_use_an_element_are_rerouted_and_the_naive_way_agrees() -> None:
    """Re-routing only the affected flows gives the naive full re-route's result with fewer routings."""
    smart = compute_resilience(FLOWS, ELEMENTS, ToyRouter())
    naive = compute_resilience(FLOWS, ELEMENTS, ToyRouter(), only_affected=False)
    assert smart.impacts == naive.impacts
    assert naive.reroutes == len(FLOWS) * len(ELEMENTS)
    # x1: both flows; bridge: one; spur: one; x2: none; both crossings: two
    assert smart.reroutes == 2 + 1 + 1 + 0 + 2


def test_a_closure_of_days_scales_the_yearly_volumes() -> None:
    r = compute_resilience(FLOWS, ELEMENTS, ToyRouter(), days=73)
    assert _by_key(r)["crossing:x1"].extra_time_h == pytest.approx(150 * 2.0 * 73 / 365)


def test_an_empty_flow_set_is_refused() -> None:
    with pytest.raises(DataError, match="empty"):
        compute_resilience([], ELEMENTS, ToyRouter())


@pytest.mark.integration
def test_dask_gives_the_serial_result() -> None:
    """The same analysis on a two-worker local cluster equals the serial run."""
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    serial = compute_resilience(FLOWS, ELEMENTS, ToyRouter())
    dask = compute_resilience(FLOWS, ELEMENTS, ToyRouter(), scheduler="local", workers=2)
    assert dask.impacts == serial.impacts and dask.baselines == serial.baselines


# --- flow files ---------------------------------------------------------------------------


def _csv(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "flows.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_an_od_file_is_read_with_its_options(tmp_path: Path) -> None:
    p = _csv(
        tmp_path, "origin,destination,teu_per_year,mode,via\nHanoi,Moscow,1500,rail,a+b\nXi'an,Almaty,10,,\n"
    )
    flows = load_flows(p)
    assert [(f.origin, f.destination, f.teu_per_year, f.mode, f.via) for f in flows] == [
        ("Hanoi", "Moscow", 1500.0, "rail", ("a", "b")),
        ("Xi'an", "Almaty", 10.0, "rail", ()),
    ]
    assert flows[1].where == "flows.csv line 3"


@pytest.mark.parametrize(
    ("text", "line", "field", "says"),
    [
        ("origin,destination,teu_per_year\nHanoi,Moscow,-5\n", 2, "teu_per_year", ">= 0"),
        ("origin,destination,teu_per_year\nHanoi,Moscow,lots\n", 2, "teu_per_year", "not a number"),
        ("origin,destination,teu_per_year\nHanoi,Moscow,1\n,Moscow,1\n", 3, "origin", "no origin"),
        ("origin,destination,teu_per_year,mode\nHanoi,Moscow,1,air\n", 2, "mode", "rail, sea or any"),
        ("origin,destination\nHanoi,Moscow\n", 1, None, "lacks teu_per_year"),
        ("origin,destination,teu_per_year,colour\nHanoi,Moscow,1,red\n", 1, None, "unknown column colour"),
        ("origin,destination,teu_per_year\n", None, None, "empty"),
    ],
)
def test_a_bad_od_file_names_its_row_and_field(tmp_path: Path, text, line, field, says) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DataError, match=says) as exc:
        load_flows(_csv(tmp_path, text))
    assert exc.value.file == "flows.csv"
    assert exc.value.line == line
    assert exc.value.field == field


def test_a_scenario_gives_yearly_flows() -> None:
    """A weekly 80-TEU train is 80 x 365/7 TEU a year; a daily timetable counts 7 a week. A
    service that runs a timetable trip passes the crossings at its stops, in order (the FESCO
    shuttle: Dong Dang, Erenhot, Naushki). Passenger trains (T8701, D887) carry no TEU."""
    flows = {f.name: f for f in load_flows("baseline-2025")}
    fesco = flows["FESCO Vietnam Shuttle"]
    assert fesco.teu_per_year == pytest.approx(80 * 365 / 7)
    assert fesco.via == ("pingxiang-dong-dang", "erenhot-zamyn-uud", "sukhbaatar-naushki")
    assert fesco.mode == "rail" and (fesco.origin, fesco.destination) == ("Hanoi", "Moscow")
    t8701 = flows["Nanning–Hanoi passenger T8701"]  # a daily passenger train: trains, no TEU
    assert t8701.teu_per_year == 0.0 and t8701.trains_per_year == pytest.approx(7 * 365 / 7)
    assert t8701.traffic == "passenger" and flows["Kunming–Vientiane passenger"].traffic == "passenger"


def test_a_scenario_applies_its_service_changes_and_a_selection() -> None:
    """vn-ru-growth doubles the weekly Vietnam shuttle; --select keeps the flows named."""
    flows = load_flows("vn-ru-growth", select=["vietnam shuttle", "Haiphong–Moscow"])
    assert [f.name for f in flows] == ["FESCO Vietnam Shuttle", "Haiphong–Moscow container train"]
    assert flows[0].teu_per_year == pytest.approx(2 * 80 * 365 / 7)
    with pytest.raises(DataError, match="no flow's name contains 'Atlantis'"):
        load_flows("baseline-2025", select=["Atlantis"])


def test_flows_may_drop_their_via_crossings_and_take_another_mode() -> None:
    flows = load_flows("baseline-2025", select=["Vietnam Shuttle"], keep_via=False, mode="any")
    assert flows[0].via == () and flows[0].mode == "any"


def test_the_resilience_report_ranks_the_elements_offline() -> None:
    from silkrail.analysis.report import resilience_html

    r = compute_resilience(FLOWS, ELEMENTS, ToyRouter())
    page = resilience_html(r, title="toy", outlines=[])
    assert page.index("combination:both") < page.index("line:bridge") < page.index("crossing:x1")
    assert "to D (100 TEU): stranded" in page
    assert "http" not in _offline(page)


def _offline(page: str) -> str:
    """The page without its embedded images and the SVG namespace: what could make a request."""
    import re

    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page).replace(
        "http://www.w3.org/2000/svg", ""
    )


@dataclass(frozen=True)
class HeldToyRouter(ToyRouter):
    """ToyRouter where a flow held to via crossings may only cross at those (unless re-planned)."""

    def route(self, flow: Flow, removed: frozenset[str], replan: bool = False) -> Outcome | None:
        held = frozenset()
        if flow.via and not replan:
            held = frozenset(
                k for k in EDGES if k.startswith("crossing:") and k.split(":")[1] not in flow.via
            )
        return super().route(flow, removed | held, replan)


def test_a_flow_held_to_a_slower_crossing_is_measured_against_its_own_best_route() -> None:
    """A service held to x2 (12 h) loses nothing when x2 closes: it then takes x1 (10 h), its
    own best route, and the loss is 0, not a 2 h 'saving'; closing x1, which its own best route
    uses, costs it the 2 h it would then be held to x2. The answer says it is held."""
    held = [Flow("held to x2", "A", "D", 100.0, via=("x2",))]
    r = compute_resilience(held, ELEMENTS, HeldToyRouter())
    by = _by_key(r)
    x2 = by["crossing:x2"]
    assert x2.affected_teu == 100.0
    assert x2.extra_time_h == 0.0 and x2.loss == 0.0 and x2.extra_cost_usd == 0.0
    assert x2.detours[0].pinned and "held to x2" in x2.detours[0].pinned
    assert all(i.loss >= 0 and i.extra_time_h >= 0 for i in r.impacts)
    assert r.to_dict()["flows"][0]["pinned_via"] == ["x2"]


def test_passenger_services_are_counted_in_trains_not_teu() -> None:
    """A passenger service carries no TEU: losing its only link strands its trains, counted
    apart; the freight figures hold freight alone."""
    flows = [*FLOWS, Flow("passenger to C", "A", "C", 0.0, traffic="passenger", trains_per_year=365.0)]
    r = compute_resilience(flows, ELEMENTS, ToyRouter())
    spur = _by_key(r)["line:spur"]
    assert spur.stranded_teu == 50.0 and spur.affected_teu == 50.0
    assert spur.passenger_trains_stranded == 365.0 and spur.passenger_trains_affected == 365.0
    x1 = _by_key(r)["crossing:x1"]
    assert x1.extra_time_h == pytest.approx(150 * 2.0)  # freight TEU-hours only
    assert x1.passenger_extra_train_h == pytest.approx(365 * 2.0)
    rows = {d["flow"]: d for d in x1.to_dict()["flows"]}
    assert rows["passenger to C"]["unit"] == "trains" and "teu" not in rows["passenger to C"]


def test_a_scenario_passenger_service_is_a_train_flow_without_teu() -> None:
    flows = {f.name: f for f in load_flows("baseline-2025")}
    t8701 = flows["Nanning–Hanoi passenger T8701"]
    assert t8701.passenger and t8701.teu_per_year == 0.0 and t8701.trains_per_year == pytest.approx(365.0)
    fesco = flows["FESCO Vietnam Shuttle"]
    assert not fesco.passenger and fesco.teu_per_year > 0
