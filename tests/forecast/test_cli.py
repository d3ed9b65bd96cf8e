"""``silkrail forecast`` on the small fixture network: show, what-if and backtest of a recorded
feed (JSON and tables), and the errors a user meets, each with its exit code."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from silkrail.cli import app
from silkrail.commands.forecast import sparkline
from silkrail.forecast.demo import Closure, DemoService, demo_feed
from silkrail.network.model import Network
from tests.forecast.conftest import CROSSING, DESTINATION, ORIGIN

runner = CliRunner()
START = datetime(2026, 3, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def feed_file(small_net: Network, tmp_path_factory: pytest.TempPathFactory) -> Path:
    service = DemoService("fixture shuttle", ORIGIN, DESTINATION, 14.0)
    made = demo_feed(
        small_net,
        START,
        days=3,
        services=(service,),
        closure=Closure(CROSSING, START + timedelta(days=1), 12.0),
    )
    path = tmp_path_factory.mktemp("cli-feed") / "feed.jsonl"
    made.write(path)
    return path


def test_show_prints_the_forecast_of_a_feed(fixture_env: Path, feed_file: Path) -> None:
    at = (START + timedelta(days=1, hours=6)).isoformat()
    r = runner.invoke(
        app, ["forecast", "show", "--feed", str(feed_file), "--at", at, "--replications", "20", "--json"]
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["state_at"].startswith("2026-03-03T06:00") and doc["replications"] == 20
    assert [c["id"] for c in doc["crossings"]] == [CROSSING] and doc["trains"]
    table = runner.invoke(
        app, ["forecast", "show", "--feed", str(feed_file), "--at", at, "--replications", "20"]
    )
    assert table.exit_code == 0 and "Erenhot–Zamyn-Uud" in table.stdout and "trains" in table.stdout


def test_what_if_on_a_feed_lists_the_delayed_trains(fixture_env: Path, feed_file: Path) -> None:
    at = (START + timedelta(days=2)).isoformat()
    args = ["forecast", "what-if", "close", CROSSING, "--hours", "24", "--feed", str(feed_file), "--at", at]
    r = runner.invoke(app, [*args, "--replications", "20", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["change"] == {"close": {"crossing": CROSSING, "hours": 24.0, "from_h": 0.0}}
    assert doc["affected"] and all(a["delay_h"] > 0 for a in doc["affected"])
    table = runner.invoke(app, [*args, "--replications", "20"])
    assert table.exit_code == 0 and "affected trains" in table.stdout


def test_backtest_scores_a_feed(fixture_env: Path, feed_file: Path) -> None:
    r = runner.invoke(
        app,
        [
            "forecast",
            "backtest",
            str(feed_file),
            "--every-h",
            "12",
            "--lead",
            "6",
            "--lead",
            "12",
            "--warm-up-h",
            "12",
            "--replications",
            "10",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert [x["lead_h"] for x in doc["leads"]] == [6.0, 12.0] and doc["leads"][1]["trains"] > 0


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["forecast", "show", "--at", "tomorrow"], 2, "--at"),
        (["forecast", "show", "--at", "2026-03-03T00:00"], 2, "UTC offset"),
        (["forecast", "show", "--at", "1999-01-01T00:00Z"], 2, "the feed runs from"),
        (["forecast", "what-if", "close", "erenhot-zamyn-ud", "--hours", "5"], 2, "did you mean"),
        (["forecast", "what-if", "close", CROSSING, "--hours", "-5"], 2, "--hours"),
        (
            ["forecast", "what-if", "close", CROSSING, "--hours", "5", "--url", "http://127.0.0.1:9"],
            2,
            "--token",
        ),
        (["forecast", "show", "--url", "http://127.0.0.1:9"], 1, "cannot reach"),
        (["forecast", "backtest", "no-such-feed.jsonl"], 2, "cannot read the feed"),
        (["forecast", "backtest", "--lead", "5000"], 2, "too short"),
    ],
)
def test_errors_say_what_is_wrong_with_their_exit_code(
    fixture_env: Path,
    feed_file: Path,
    args: list[str],
    code: int,
    words: str,
) -> None:
    if args[1] in ("show", "what-if") and "--url" not in args:
        args = [*args, "--feed", str(feed_file)]
    r = runner.invoke(app, [*args, "--json"])
    assert r.exit_code == code, r.output
    assert words in json.loads(r.stdout)["error"]


def test_a_sparkline_keeps_the_peaks_of_what_it_shrinks() -> None:
    assert sparkline([0.0] * 5) == "▁▁▁▁▁"
    assert sparkline([0, 1, 2, 4]) == "▁▃▅█"  # 7 steps above the lowest: 0, 1.75, 3.5, 7
    line = sparkline([0.0] * 24 + [9.0], width=12)
    assert len(line) <= 12 and line.endswith("█") and set(line[:-1]) == {"▁"}
