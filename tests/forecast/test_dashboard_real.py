"""The dashboard's forecast in headless Chromium against a real service process: four days of
corridor trains (Manzhouli–Zabaykalsk closed until six hours ago, its queue still there), the
forecast panel with each crossing's queue chart and the trains' ETA bands, and the what-if
panel closing a crossing and marking the affected trains on the map. The screenshots are kept
as test artefacts."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from silkrail.forecast.demo import Closure, demo_feed
from tests.conftest import REPO
from tests.service.server import start, stop
from tests.service.test_live import CHROMIUM_ARGS

pytestmark = pytest.mark.integration
TOKEN = "forecast-" + uuid.uuid4().hex
ARTEFACTS = REPO / "out" / "test-artefacts"
MANZHOULI = "manzhouli-zabaykalsk"


@pytest.fixture(scope="module")
def served(real_net, real_settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    from silkrail.replay import replay

    tmp = tmp_path_factory.mktemp("forecast-dashboard")
    proc, url = start(
        real_settings.home,
        f"sqlite:///{tmp / 'tracking.sqlite'}",
        TOKEN,
        real_settings.countries_file,
        workers=1,
    )
    try:
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        made = demo_feed(
            real_net,
            now - timedelta(days=4),
            days=4,
            closure=Closure(MANZHOULI, now - timedelta(hours=30), 24.0),
            scale=1.15,
        )
        made.write(tmp / "feed.jsonl")
        totals = replay(tmp / "feed.jsonl", url, TOKEN, speed=0)
        assert totals["rejected"] == 0 and totals["trains"] > 100
        yield url
    finally:
        stop(proc)


def test_the_dashboard_shows_the_forecast_and_what_closing_a_crossing_does(served: str) -> None:
    from playwright.sync_api import sync_playwright

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 950})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(served + "/")
        page.wait_for_selector("body[data-ready='1']", timeout=90_000)
        page.wait_for_selector("body[data-forecast='1']", timeout=90_000)
        row = page.locator(f"#forecast-crossings div.fc-crossing[data-crossing='{MANZHOULI}']")
        assert row.count() == 1 and row.locator("svg polygon.band").count() == 1
        assert row.locator("svg polyline.median").count() == 1
        page.wait_for_selector("#trains td[data-band='1']", timeout=30_000)
        page.wait_for_timeout(1000)
        page.screenshot(path=str(ARTEFACTS / "forecast-dashboard.png"))

        page.fill("#what-if-token", "not-the-token")
        page.select_option("#what-if-crossing", MANZHOULI)
        page.click("#what-if-run")
        page.wait_for_selector("#what-if-status:has-text('refused')", timeout=60_000)
        assert "401" in page.inner_text("#what-if-status")

        page.fill("#what-if-token", TOKEN)
        page.fill("#what-if-hours", "72")
        page.click("#what-if-run")
        page.wait_for_selector("body[data-what-if='1']", timeout=120_000)
        page.wait_for_timeout(1000)
        rows = page.locator("#what-if-trains tbody tr").count()
        marked = page.locator(".train-marker.affected, .train-marker.rerouted").count()
        assert rows >= 5 and marked >= 5, (rows, marked)
        assert page.locator(".closed-crossing").count() == 1
        assert "trains delayed" in page.inner_text("#what-if-status")
        page.screenshot(path=str(ARTEFACTS / "forecast-what-if.png"))
        browser.close()
    assert errors == []
    assert (ARTEFACTS / "forecast-what-if.png").stat().st_size > 50_000


def test_the_command_line_asks_the_service(served: str) -> None:
    """`forecast show --url` prints the service's forecast; `forecast what-if close --url --token`
    its what-if (the same JSON as the API's)."""
    import json

    from typer.testing import CliRunner

    from silkrail.cli import app

    runner = CliRunner()
    shown = runner.invoke(app, ["forecast", "show", "--url", served, "--json"])
    assert shown.exit_code == 0, shown.output
    doc = json.loads(shown.stdout)
    assert MANZHOULI in [c["id"] for c in doc["crossings"]] and len(doc["trains"]) > 100
    args = ["forecast", "what-if", "close", MANZHOULI, "--hours", "24", "--url", served, "--token", TOKEN]
    r = runner.invoke(app, [*args, "--json"])
    assert r.exit_code == 0, r.output
    answer = json.loads(r.stdout)
    assert answer["change"]["close"]["crossing"] == MANZHOULI and answer["affected"]
    table = runner.invoke(app, args)
    assert table.exit_code == 0 and "affected trains" in table.stdout
