"""Central Asia to the sea on the real network: the links by year (Trans-Afghan, Khaf–Herat,
Rasht–Astara, Chabahar), the routes they open, and the comparison of the exits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import silkrail
from silkrail.analysis.sea import SeaComparison, compare_sea_exits
from silkrail.cli import app
from silkrail.errors import NoRouteError
from silkrail.network.model import Network
from silkrail.routing.query import RouteQuery
from silkrail.routing.router import router_for

pytestmark = pytest.mark.integration

NEW_LINES = (
    "trans-afghan-railway",
    "kharlachi-kohat",
    "kohat-jand",
    "khaf-shamtigh-gap",
    "khaf-herat-section-3-gap",
    "khaf-herat-section-4a",
    "khaf-herat-section-4b",
    "kotri-karachi-gap",
    "hyderabad-tando-adam-gap",
    "khash-chabahar",
    "lankaran-astara",
    "astara-astara",
    "rasht-astara",
)
NEW_CROSSINGS = (
    "kharlachi",
    "shamtigh-rozanak",
    "serhetabat-torghundi",
    "ymamnazar-aqina",
    "taftan-mirjaveh",
    "zahedan-gauge-change",
    "astara-astara",
    "astara-terminal-gauge-change",
    "bolashak-serhetyaka",
    "sariosiyo-tursunzoda",
    "amuzang-khoshadi",
    "bekabad-kudukli",
    "konibodom-kokand",
    "samur-yalama",
)


def test_every_new_link_is_sourced_dated_and_joined(real_net: Network) -> None:
    """Each line and crossing of the block has a source, a status and (when not open) an opening
    year after the rail data; each crossing marks track of the network."""
    lines = {ln.id: ln for ln in real_net.lines}
    for lid in NEW_LINES:
        ln = lines[lid]
        assert ln.source and ln.as_of, lid
        assert ln.status in ("open", "under_construction", "planned")
        assert min(ln.nodes) >= 0, f"{lid}: a station did not survive the build"
        if ln.status == "planned":
            assert ln.opening_year > real_net.base_year
    crossings = {c.id: c for c in real_net.crossings}
    for cid in NEW_CROSSINGS:
        c = crossings[cid]
        assert c.source and c.nodes and c.edges >= 1, cid
        assert c.status in ("open", "planned") and (c.status == "open" or c.opening_year)
    assert lines["trans-afghan-railway"].cost_usd == 7e9


def test_tashkent_karachi_runs_through_afghanistan_once_the_trans_afghan_line_opens(
    real_net: Network,
) -> None:
    """2032: Termez–Mazar-i-Sharif–Kharlachi with the 1,520/1,676 mm change at Kharlachi. 2030: the
    route is the existing one through Iran (1,520 -> 1,435 at Sarakhs, 1,435 -> 1,676 at Zahedan);
    avoiding Iran there is none, and the error names the planned links and their year."""
    after = silkrail.route(real_net, "Tashkent", "Karachi", mode="rail", year=2032)
    assert after.countries == ["UZ", "AF", "PK"]
    assert [(e.from_gauge_mm, e.to_gauge_mm) for e in after.gauge_changes] == [(1520, 1676)]
    assert after.gauge_changes[0].crossing_id == "kharlachi"
    before = silkrail.route(real_net, "Tashkent", "Karachi", mode="rail", year=2030)
    assert "AF" not in before.countries and before.countries[-2:] == ["IR", "PK"]
    assert [(e.from_gauge_mm, e.to_gauge_mm) for e in before.gauge_changes] == [(1520, 1435), (1435, 1676)]
    assert before.duration_h > after.duration_h and before.distance_km > after.distance_km
    with pytest.raises(NoRouteError, match=r"Trans-Afghan railway.*\(2031\).*--year 2031"):
        silkrail.route(real_net, "Tashkent", "Karachi", mode="rail", year=2030, avoid=["IR"])


def test_a_route_says_what_the_planned_links_would_change(real_net: Network, real_env) -> None:  # type: ignore[no-untyped-def]
    """Tashkent–Karachi in 2030 runs through Iran; the router names the better route the
    Trans-Afghan railway opens in 2031, and the command prints it; a route no planned link
    improves gets no such line."""
    router = router_for(real_net)
    q = RouteQuery("Tashkent", "Karachi", mode="rail", year=2030)
    r = router.route(q)
    later = router.later(q, r)
    assert later is not None
    year, links, lr = later
    assert year == 2031 and lr.countries == ["UZ", "AF", "PK"] and lr.duration_h < r.duration_h
    assert ("Trans-Afghan railway: Naibabad (Mazar-i-Sharif)–Maidan Shahr–Logar–Kharlachi", 2031) in links
    gulf = RouteQuery("Tashkent", "Bandar Abbas", mode="rail", year=2026)
    assert router.later(gulf, router.route(gulf)) is None
    out = CliRunner().invoke(app, ["route", "Tashkent", "Karachi", "--mode", "rail", "--year", "2030"])
    assert out.exit_code == 0, out.output
    assert "planned: from 2031" in " ".join(out.output.split()) and "via UZ → AF → PK" in out.output


def test_the_links_by_year(real_net: Network) -> None:
    """Dushanbe reaches Karachi through Uzbekistan and Afghanistan in 2032; Baku reaches Tehran by
    land (Astara, change of gauge) once Rasht–Astara opens, across the Caspian before; Herat is
    reached on the Khaf–Herat line from Iran; Almaty reaches Bandar Abbas through Turkmenistan."""
    dushanbe = silkrail.route(real_net, "Dushanbe", "Karachi", mode="rail", year=2032)
    assert dushanbe.countries[:2] == ["TJ", "UZ"] and "AF" in dushanbe.countries
    land = silkrail.route(real_net, "Baku", "Tehran", mode="rail", year=2031)
    assert land.countries == ["AZ", "IR"] and "ferry" not in land.modes
    assert [e.crossing_id for e in land.gauge_changes] == ["astara-terminal-gauge-change"]
    sea = silkrail.route(real_net, "Baku", "Tehran", mode="rail", year=2030)
    assert "ferry" in sea.modes and land.duration_h < sea.duration_h
    herat = silkrail.route(real_net, "Tashkent", "Herat", mode="rail", year=2026)
    assert herat.countries[-2:] == ["IR", "AF"]
    assert "shamtigh-rozanak" in {e.crossing_id for e in herat.border_crossings}
    gulf = silkrail.route(real_net, "Almaty", "Bandar Abbas", mode="rail", year=2026)
    assert gulf.countries == ["KZ", "UZ", "TM", "IR"]
    # the Quetta–Zahedan line runs at its published pace: 721.6 km in 4–5 days (ITI train, 2022)
    qz = silkrail.route(real_net, "Quetta", "Zahedan", mode="rail", year=2026)
    assert 96 <= sum(leg.duration_h for leg in qz.legs if leg.mode == "rail") <= 120
    assert [e.crossing_id for e in qz.gauge_changes] == ["zahedan-gauge-change"]
    # the two rail crossings between Pakistan and India are closed since 2019: no detour through India
    today = silkrail.route(real_net, "Dushanbe", "Karachi", mode="rail", year=2026)
    assert "IN" not in today.countries and today.countries[-2:] == ["IR", "PK"]


@pytest.fixture(scope="module")
def tashkent(real_net: Network) -> SeaComparison:
    return compare_sea_exits(router_for(real_net), "Tashkent", year=2026)


def test_the_comparison_shares_sum_to_one_and_hhi_lies_in_range(tashkent: SeaComparison) -> None:
    """Every exit with a route: country and operator shares of distance, time and cost each sum to
    100 %, and every HHI lies in [0, 10,000]."""
    with_route = [x for x in tashkent.exits if x.route is not None]
    assert len(with_route) >= 6
    for x in with_route:
        dep = x.dependency
        assert dep is not None
        for measure in ("distance", "time", "cost"):
            assert sum(s.shares[measure] for s in dep.shares) == pytest.approx(1.0, abs=1e-6), x.exit.id
            assert sum(s.shares[measure] for s in dep.operators) == pytest.approx(1.0, abs=1e-6), x.exit.id
        for v in [*dep.hhi.values(), *dep.operator_hhi.values()]:
            assert 0.0 <= v <= 10_000.0


def test_the_comparison_shows_the_planned_links_and_what_they_change(tashkent: SeaComparison) -> None:
    karachi = tashkent.exit_route("karachi")
    assert karachi.route is not None and "IR" in karachi.route.countries and not karachi.planned
    assert {n.country for n in karachi.risks} == {"IR", "PK"}
    chabahar = tashkent.exit_route("chabahar")
    assert chabahar.route is None and "Khash–Iranshahr–Chabahar (2027)" in (chabahar.note or "")
    assert tashkent.exit_route("lianyungang").risks == ()
    assert 2031 in tashkent.years and 2027 in tashkent.years
    ta = next(c for c in tashkent.changes if c.exit.id == "karachi")
    assert ta.year == 2031 and "trans-afghan-railway" in {p.id for p in ta.links}
    assert ta.after["countries"] == ["UZ", "AF", "PK"] and ta.after["duration_h"] < ta.before["duration_h"]
    later = tashkent.exit_route("karachi", 2031)
    assert {p.id for p in later.planned} >= {"trans-afghan-railway", "kharlachi-kohat", "kharlachi"}
    assert next(c for c in tashkent.changes if c.exit.id == "chabahar").before is None


def test_cli_compares_almaty_to_the_sea_as_json_and_report(
    real_net: Network, real_env, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    report = tmp_path / "almaty.html"
    result = CliRunner().invoke(
        app,
        ["corridors", "compare", "Almaty", "--to-sea", "--year", "2032", "--json", "--report", str(report)],
    )
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    assert d["year"] == 2032 and d["origin"]["name"] == "Almaty"
    exits = {x["id"]: x for x in d["exits"]}
    assert set(exits) >= {"karachi", "bandar-abbas", "poti-batumi", "lianyungang", "baltic"}
    k = exits["karachi"]
    assert "AF" in k["countries"]
    assert [(g["from_gauge_mm"], g["to_gauge_mm"]) for g in k["gauge_changes"]] == [(1520, 1676)]
    assert any(p["id"] == "trans-afghan-railway" and p["opens"] == 2031 for p in k["planned_links"])
    assert 0 <= k["hhi"]["distance"] <= 10_000
    page = report.read_text(encoding="utf-8")
    assert "<svg" in page and "Karachi / Port Qasim" in page and "Lianyungang" in page
