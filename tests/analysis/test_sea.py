"""The comparison of the exits to the sea on hand-made routes and the small network: the year
by year changes, the report, the risk statements and the command's checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from silkrail.analysis._records import PlannedLink
from silkrail.analysis.dependency import hhi
from silkrail.analysis.risks import RiskNote, load_risks, risks_for
from silkrail.analysis.sea import (
    SEA_EXITS,
    ExitRoute,
    SeaComparison,
    SeaExit,
    _changes,
    compare_sea_exits,
)
from silkrail.analysis.sea_report import sea_html, write_sea_report
from silkrail.cli import app
from silkrail.errors import DataError, NoRouteError
from silkrail.network.model import Network
from silkrail.routing.places import Place
from silkrail.routing.query import RouteQuery
from silkrail.routing.results import Event, Leg, Route
from silkrail.routing.router import router_for

HERE = Place("Here", 41.3, 69.3, 0, "city", "UZ")
KARACHI = SeaExit("karachi", "Karachi", "Pakistan", ("PKKHI",))
GULF = SeaExit("gulf", "Bandar Abbas", "Iran", ("IRBND",))
LINK = PlannedLink(
    "line", "trans-afghan-railway", "Trans-Afghan railway", 2031, "planned", 7e9, ("a source",)
)


def _route(arcs: list[int], km: float, hours: float, countries: list[str], *, to: str = "Karachi") -> Route:
    dest = Place(to, 24.8, 67.0, 1, "port", countries[-1])
    leg = Leg(
        "rail",
        "Here",
        to,
        km,
        hours - 4,
        1520,
        countries,
        geometry=np.array([[69.3, 41.3], [67.0, 24.8]]),
    )
    change = Event("gauge_change", "Kharlachi", 33.8, 70.0, "AF", "PK", 1520, 1676, 4.0, 225.0)
    return Route(
        HERE,
        dest,
        "time",
        1.0,
        km,
        hours,
        1000.0 + km / 10,
        km * 0.3,
        countries,
        [leg],
        [change],
        duration_h_range=(hours * 0.6, hours * 1.5),
        cost_usd_range=(500.0, 2000.0 + km / 10),
        co2_kg_range=(km * 0.2, km * 0.4),
        arcs=np.array(arcs, dtype=np.int64),
    )


def _exit(x: SeaExit, year: int, route: Route | None, planned: tuple[PlannedLink, ...] = ()) -> ExitRoute:
    if route is None:
        return ExitRoute(x, year, note=f"no route to {x.name} in {year}")
    return ExitRoute(x, year, route=route, port=route.destination.name, locode=x.ports[0], planned=planned)


def test_a_change_is_recorded_only_in_the_year_a_route_changes() -> None:
    """Karachi changes when the planned link opens (2031), not before; an exit first reached in a
    later year has no 'before'; an exit whose route never changes has no change."""
    today = _route([1, 2, 3], 4400, 214, ["UZ", "TM", "IR", "PK"])
    later = _route([1, 7, 8], 3170, 120, ["UZ", "AF", "PK"])
    gulf = _route([1, 5], 2700, 118, ["UZ", "TM", "IR"], to="Bandar Abbas")
    years = (2026, 2027, 2031)
    by_year = {
        2026: (_exit(KARACHI, 2026, today), _exit(GULF, 2026, None)),
        2027: (_exit(KARACHI, 2027, today), _exit(GULF, 2027, gulf)),
        2031: (_exit(KARACHI, 2031, later, (LINK,)), _exit(GULF, 2031, gulf)),
    }
    changes = _changes(years, by_year, [KARACHI, GULF])
    assert [(c.year, c.exit.id) for c in changes] == [(2027, "gulf"), (2031, "karachi")]
    gulf_change, karachi_change = changes
    assert gulf_change.before is None and gulf_change.after["distance_km"] == 2700
    assert karachi_change.links == (LINK,)
    assert karachi_change.before["countries"] == ["UZ", "TM", "IR", "PK"]
    assert karachi_change.after["countries"] == ["UZ", "AF", "PK"]
    assert karachi_change.after["duration_h"] < karachi_change.before["duration_h"]


def _comparison() -> SeaComparison:
    today = _route([1, 2, 3], 4400, 214, ["UZ", "TM", "IR", "PK"])
    later = _route([1, 7, 8], 3170, 120, ["UZ", "AF", "PK"])
    note = RiskNote(
        "IR", "sanctions", "A statement about Iran.", ("Some paper 2025, https://example.org/x",), "2025-09"
    )
    k26 = ExitRoute(KARACHI, 2026, route=today, port="Karachi", locode="PKKHI", risks=(note,))
    k31 = ExitRoute(KARACHI, 2031, route=later, port="Karachi", locode="PKKHI", planned=(LINK,))
    g = _exit(GULF, 2026, None)
    by_year = {2026: (k26, g), 2031: (k31, _exit(GULF, 2031, None))}
    return SeaComparison(
        origin=HERE,
        year=2026,
        reference_year=2026,
        objective="time",
        exits=by_year[2026],
        years=(2026, 2031),
        by_year=by_year,
        changes=tuple(_changes((2026, 2031), by_year, [KARACHI, GULF])),
    )


def test_report_maps_every_exit_and_cites_every_statement(tmp_path: Path) -> None:
    """The page draws the exits (solid today, thin where a planned link changes the route), gives
    the exit without a route its reason, the statement with its source, and the year by year table."""
    c = _comparison()
    page = sea_html(c, title="Here to the sea", outlines=[])
    assert page.count("<svg") == 1 and "Karachi (2031, with the planned links)" in page
    assert "no route to Bandar Abbas in 2026" in page
    assert "A statement about Iran." in page and "https://example.org/x" in page
    assert "<th>2026</th><th>2031</th>" in page
    assert "Trans-Afghan railway (2031)" in page  # the change list names the link and its year
    path = write_sea_report(c, tmp_path / "sea.html", title="Here to the sea", outlines=[])
    assert path.read_text(encoding="utf-8") == page


def test_json_has_the_timeline_of_every_exit() -> None:
    d = _comparison().to_dict()
    assert [x["id"] for x in d["exits"]] == ["karachi", "gulf"]
    karachi, gulf = d["exits"]
    assert gulf["route"] is None and gulf["note"]
    assert karachi["gauge_changes"] == [
        {"at": "Kharlachi", "from_gauge_mm": 1520, "to_gauge_mm": 1676, "basis": "modelled"}
    ]
    assert karachi["risks"][0]["source"] == ["Some paper 2025, https://example.org/x"]
    assert d["timeline"]["years"] == [2026, 2031]
    assert [s and s["distance_km"] for s in d["timeline"]["exits"]["karachi"]] == [4400, 3170]
    assert d["timeline"]["exits"]["gulf"] == [None, None]
    assert d["changes"][0]["links"][0]["id"] == "trans-afghan-railway"


def test_shipped_risk_statements_are_sourced_and_dated() -> None:
    notes = load_risks()
    assert {n.country for n in notes} >= {"IR", "RU", "AF", "PK"}
    for n in notes:
        assert n.kind in ("sanctions", "security")
        assert n.sources and all("http" in s for s in n.sources), n
        assert len(n.as_of) >= 7


def test_a_bad_risk_record_names_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "risks.yaml"
    bad.write_text(
        "risks:\n- country: IR\n  kind: rumour\n  statement: Something somebody said once.\n"
        "  source: nowhere\n  as_of: '2025-01'\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as err:
        load_risks(bad)
    assert err.value.line == 3 and "kind" in str(err.value) and "risks.yaml" in str(err.value)


def test_statements_follow_the_countries_of_the_route() -> None:
    a = RiskNote("PK", "security", "about Pakistan", ("s",), "2025-03")
    b = RiskNote("IR", "sanctions", "about Iran", ("s",), "2025-09")
    assert risks_for(["UZ", "TM", "IR", "PK"], (a, b)) == [b, a]
    assert risks_for(["UZ", "KZ", "CN"], (a, b)) == []


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=12))
def test_hhi_lies_between_0_and_10000(parts: list[float]) -> None:
    """Whatever the amounts, the index lies in [0, 10,000], 10,000 when one part holds all."""
    v = hhi(parts)
    assert 0.0 <= v <= 10_000.0 + 1e-6
    if sum(parts) > 0 and sum(p > 0 for p in parts) == 1:
        assert v == pytest.approx(10_000.0)


def test_every_default_exit_names_ports_and_a_corridor() -> None:
    assert len({x.id for x in SEA_EXITS}) == len(SEA_EXITS) >= 5
    for x in SEA_EXITS:
        assert x.ports and all(len(p) == 5 and p.isupper() for p in x.ports) and x.corridor


def test_compare_refuses_an_exit_without_a_port_of_the_network(small_net: Network) -> None:
    router = router_for(small_net)
    with pytest.raises(DataError, match="ZZXXX is not a port of the network"):
        compare_sea_exits(router, "Hanoi", exits=[SeaExit("nowhere", "Nowhere", "none", ("ZZXXX",))])
    with pytest.raises(DataError, match="year"):
        compare_sea_exits(router, "Hanoi", year=1900)


def test_no_route_before_a_planned_line_names_it_and_its_year(small_net: Network) -> None:
    """The terminal on the planned line (2030) is out of reach before: the error names the line."""
    router = router_for(small_net)
    with pytest.raises(NoRouteError, match=r"Zamyn-Uud northern extension \(2030\).*--year 2030"):
        router.route(RouteQuery("Erenhot", "New Terminal", mode="rail", year=2027))
    assert "MN" in router.route(RouteQuery("Erenhot", "New Terminal", mode="rail", year=2030)).countries


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["corridors", "compare", "Tashkent"], "--to-sea"),
        (["corridors", "compare", "Tashkent", "--to-sea", "--report", "out.txt"], "HTML"),
    ],
)
def test_corridors_compare_refuses_bad_options_before_any_work(args: list[str], says: str) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert says in result.output
