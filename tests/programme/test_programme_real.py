"""The programme on the real network: the standard-gauge line to China changes Kunming-Haiphong
in 2031 (no change of gauge), the report carries the routes, and its slider works in Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from silkrail.network.model import Network
from silkrail.routing.query import RouteQuery
from silkrail.routing.router import router_for

pytestmark = pytest.mark.integration

ARTEFACTS = Path(__file__).resolve().parents[2] / "out" / "test-artefacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]


def test_kunming_haiphong_runs_on_standard_gauge_from_2031(real_net: Network) -> None:
    """2029: standard gauge to Hekou North, a transshipment, metre gauge to Haiphong. 2031: one
    standard-gauge run through the new Hekou North-Lao Cai link to the new line's Nam Hai Phong
    station, with no gauge change, and faster."""
    r = router_for(real_net)
    before = r.route(RouteQuery("Kunming", "Haiphong", mode="rail", year=2029))
    after = r.route(RouteQuery("Kunming", "Haiphong", mode="rail", year=2031))
    assert {leg.gauge_mm for leg in before.legs if leg.mode == "rail"} == {1435, 1000}
    assert [e.at for e in before.events if e.kind == "gauge_change"]
    assert {leg.gauge_mm for leg in after.legs if leg.mode == "rail"} == {1435}
    assert not [e for e in after.events if e.kind == "gauge_change"]
    crossings = [e.crossing_id for e in after.events if e.kind == "border_crossing"]
    assert crossings == ["hekou-north-lao-cai-standard"]
    assert after.destination_access is not None and after.destination_access.name == "Nam Hai Phong"
    assert after.duration_h < before.duration_h
    today = r.route(RouteQuery("Kunming", "Haiphong", mode="rail"))
    assert today.duration_h == pytest.approx(before.duration_h)  # today's route is not touched


def test_the_report_shows_the_border_links_and_its_slider_works(real_net: Network, tmp_path: Path) -> None:
    """The programme with its routes: Kunming-Haiphong saves time in 2031, Vientiane-Vung Ang
    has no rail route before the Mu Gia link and one on standard gauge after. In Chromium the page
    loads nothing from elsewhere, and the slider hides the lines not yet open."""
    from playwright.sync_api import sync_playwright

    from silkrail.programme import build_programme, load_programme, write_report
    from silkrail.timetable.fleet import load_fleet_data

    p = build_programme(
        load_programme("vietnam"),
        fleet=load_fleet_data(),
        router=router_for(real_net),
        with_sensitivity=False,
    )
    changes = {(c.origin, c.destination): c for c in p.route_changes}
    kh = changes[("Kunming", "Haiphong")]
    assert kh.saved_h is not None and kh.saved_h > 0 and kh.after is not None and kh.after.gauge_changes == ()
    vv = changes[("Vientiane", "Vung Ang port")]
    assert vv.before is None and vv.before_error and vv.after is not None and vv.after.gauges_mm == (1435,)
    path = write_report(p, tmp_path / "programme.html")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("request", lambda req: requests.append(req.url))
        page.goto(path.as_uri())
        visible = "els => els.filter(e => getComputedStyle(e).display !== 'none').length"
        shown = {}
        for year in (2026, 2031, 2050):
            page.eval_on_selector(
                "#year", f"e => {{ e.value = {year}; e.dispatchEvent(new Event('input')); }}"
            )
            shown[year] = page.eval_on_selector_all("[data-opens]", visible)
            assert page.inner_text("#year-out") == str(year)
        page.screenshot(path=str(ARTEFACTS / "programme.png"), full_page=False)
        browser.close()
    assert shown[2026] < shown[2031] < shown[2050]
    assert all(u.startswith(("file:", "data:")) for u in requests), [
        u for u in requests if not u.startswith("file:")
    ]
