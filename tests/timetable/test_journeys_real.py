"""Schedule-aware routes on the real network and the corridor services."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from silkrail.routing.query import RouteQuery
from silkrail.routing.router import router_for
from silkrail.timetable.journey import plan
from silkrail.timetable.services import load_services

pytestmark = pytest.mark.integration


def test_nanning_to_hanoi_catches_t8701(real_net) -> None:  # type: ignore[no-untyped-def]
    """Leaving Nanning at 17:00 Beijing time, the traveller takes T8701 (18:05) to Gia Lam, 05:30
    Hanoi time: the timetable runs there, so no unscheduled train is assumed."""
    q = RouteQuery("Nanning", "Hanoi", mode="rail", traffic="passenger", depart="2026-12-03T17:00+08:00")
    j = plan(router_for(real_net), q, feed=load_services()).to_dict()
    assert j["departure"] == "2026-12-03T17:00:00+08:00" and j["traffic"] == "passenger"
    assert j["arrival"] == "2026-12-04T05:30:00+07:00"
    assert [(leg["service"], leg["trip"]) for leg in j["legs"]] == [("T8701", "t8701@2026-12-03")]
    assert j["legs"][0]["departure"] == "2026-12-03T18:05:00+08:00"


def test_missing_the_train_waits_for_the_next_day(real_net) -> None:  # type: ignore[no-untyped-def]
    q = RouteQuery("Nanning", "Hanoi", mode="rail", traffic="passenger", depart="2026-12-03T18:30+08:00")
    j = plan(router_for(real_net), q, feed=load_services()).to_dict()
    assert j["legs"][0]["trip"] == "t8701@2026-12-04"
    assert j["arrival"] == "2026-12-05T05:30:00+07:00"


def test_freight_waits_for_the_weekly_fesco_departure(real_net) -> None:  # type: ignore[no-untyped-def]
    """A container ready in Hanoi on Thursday waits for the Tuesday Vietnam Shuttle and reaches
    Silikatnaya (Moscow region) 35 days later."""
    q = RouteQuery("Hanoi", "Moscow", mode="rail", depart="2026-12-03T09:00+07:00", traffic="freight")
    j = plan(router_for(real_net), q, feed=load_services()).to_dict()
    leg = j["legs"][0]
    assert leg["trip"] == "fesco-vietnam-shuttle@2026-12-08"
    # Thursday 09:00 to Tuesday 12:00 is 123 h (the 4 h freight transfer time included): the wait
    # counts from the time the container is ready, so that waits and rides add up
    assert leg["wait_h"] == pytest.approx(5 * 24 + 3)
    arrival = dt.datetime.fromisoformat(j["arrival"])
    assert arrival - dt.datetime.fromisoformat(leg["departure"]) == dt.timedelta(days=35)


def test_where_no_service_runs_the_network_model_carries_on(real_net) -> None:  # type: ignore[no-untyped-def]
    """Kunming to Bangkok: D887 to Vientiane, then the modelled rail route on to Bangkok."""
    q = RouteQuery("Kunming", "Bangkok", mode="rail", depart="2026-12-03T07:00+08:00", traffic="passenger")
    j = plan(router_for(real_net), q, feed=load_services()).to_dict()
    assert j["legs"][0]["service"] == "D887"
    assert {leg["basis"] for leg in j["legs"][1:]} == {"modelled"}
    assert j["legs"][-1]["to"] == "Bangkok"
    assert dt.datetime.fromisoformat(j["arrival"]) > dt.datetime.fromisoformat(j["legs"][0]["arrival"])


def test_route_cli_with_depart_and_arrive(real_env, real_net) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from silkrail.cli import app

    passenger = ["--traffic", "passenger"]
    run = CliRunner().invoke(
        app, ["route", "Nanning", "Hanoi", "--depart", "2026-12-03T17:00+08:00", *passenger, "--json"]
    )
    assert run.exit_code == 0, run.output
    assert json.loads(run.output)["legs"][0]["service"] == "T8701"
    # a shipment (the default traffic) never rides the passenger train: the Friday container train
    boxes = json.loads(
        CliRunner()
        .invoke(app, ["route", "Nanning", "Hanoi", "--depart", "2026-12-03T17:00+08:00", "--json"])
        .output
    )
    assert boxes["traffic"] == "freight" and boxes["legs"][0]["service"] == "24505"
    run = CliRunner().invoke(
        app, ["route", "Nanning", "Hanoi", "--arrive", "2026-12-04T08:00+07:00", *passenger, "--json"]
    )
    out = json.loads(run.output)
    # the real arrival (05:30), not the deadline; the departure is the latest one can be at Nanning
    assert out["arrival"] == "2026-12-04T05:30:00+07:00" and out["legs"][0]["trip"] == "t8701@2026-12-03"
    assert out["departure"] == "2026-12-03T17:35:00+08:00"
    bad = CliRunner().invoke(app, ["route", "Nanning", "Hanoi", "--depart", "2026-12-03T17:00"])
    assert bad.exit_code == 2 and "no UTC offset" in bad.output
    other = CliRunner().invoke(
        app, ["route", "Nanning", "Hanoi", "--depart", "2026-12-03T17:00+08:00", "--optimize", "cost"]
    )
    assert other.exit_code == 2 and "with the time objective" in other.output
    late = CliRunner().invoke(app, ["route", "Nanning", "Hanoi", "--depart", "2031-01-01T00:00+08:00"])
    assert late.exit_code == 2 and "outside the timetable's calendar" in late.output


@pytest.mark.parametrize(
    "when",
    [["--depart", "2026-12-03T17:00+08:00"], ["--arrive", "2026-12-05T17:00+07:00"]],
    ids=["depart", "arrive"],
)
def test_waits_and_rides_add_up_to_the_journey(real_env, real_net, when) -> None:  # type: ignore[no-untyped-def]
    """A traveller leaving Nanning at 17:00 for T8701 (18:05): the wait (1.08 h, the 0.5 h
    boarding time included) and the ride (12.42 h) make the 13.5 h of the journey, leg by leg."""
    from typer.testing import CliRunner

    from silkrail.cli import app

    run = CliRunner().invoke(app, ["route", "Nanning", "Hanoi", *when, "--traffic", "passenger", "--json"])
    assert run.exit_code == 0, run.output
    j = json.loads(run.output)
    total = dt.datetime.fromisoformat(j["arrival"]) - dt.datetime.fromisoformat(j["departure"])
    assert j["duration_h"] == pytest.approx(total.total_seconds() / 3600, abs=0.01)
    assert sum(leg["wait_h"] + leg["duration_h"] for leg in j["legs"]) == pytest.approx(
        j["duration_h"], abs=0.02
    )
    assert j["legs"][-1]["arrival"] == j["arrival"]
    if when[0] == "--depart":
        assert (j["legs"][0]["wait_h"], j["legs"][0]["duration_h"]) == (pytest.approx(1.08, abs=0.01), 12.42)


def test_import_cli_keeps_nothing_of_a_bad_feed(real_env, real_net, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A feed with a bad row exits 2, names the row, and leaves the timetable store untouched;
    a good one is kept and its stops are matched to the network."""
    from typer.testing import CliRunner

    from silkrail.cli import app
    from silkrail.timetable.export import feed_tables

    good = tmp_path / "good"
    good.mkdir()
    for name, text in feed_tables(load_services()).items():
        (good / name).write_text(text)
    bad = tmp_path / "bad"
    bad.mkdir()
    for f in good.iterdir():
        (bad / f.name).write_text(f.read_text().replace("Asia/Ho_Chi_Minh", "Asia/Hanoi", 1))
    far = tmp_path / "far"
    far.mkdir()
    for f in good.iterdir():
        (far / f.name).write_text(f.read_text().replace("22.826200,108.315000", "0.000000,-30.000000", 1))
    feeds = real_env.home / "feeds"
    run = CliRunner().invoke(app, ["gtfs", "import", str(far), "--name", "far"])
    assert run.exit_code == 2 and "stops.txt row 2 field 'stop_lat'" in " ".join(run.output.split())
    run = CliRunner().invoke(app, ["gtfs", "import", str(bad), "--name", "bad"])
    assert run.exit_code == 2
    assert (
        "stops.txt row" in run.output
        and "stop_timezone" in run.output
        and "nothing was imported" in run.output
    )
    assert not feeds.exists() or not list(feeds.iterdir())
    run = CliRunner().invoke(app, ["gtfs", "import", str(good), "--name", "corridors"])
    try:
        assert run.exit_code == 0, run.output
        text = " ".join(run.output.split())
        matched = re.search(r"29 stops, (\d+) matched to the network", text)
        assert matched is not None and 20 <= int(matched.group(1)) <= 29
        assert [p.name for p in feeds.iterdir()] == ["corridors.zip"]
    finally:
        for p in feeds.iterdir():
            p.unlink()
