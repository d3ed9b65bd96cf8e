"""The corridor services as GTFS: valid by the GTFS validator, readable by gtfs-kit."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from silkrail.errors import DataError
from silkrail.timetable.export import write_gtfs
from silkrail.timetable.services import load_services

SMALL = Path(__file__).parent.parent / "fixtures" / "timetable" / "small.yaml"


@pytest.fixture(scope="module")
def feed_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gtfs") / "corridors.zip"
    write_gtfs(load_services(), path)
    return path


@pytest.fixture(scope="module")
def shaped_zip(real_net, real_settings, tmp_path_factory: pytest.TempPathFactory) -> Path:  # type: ignore[no-untyped-def]
    """The corridor services with their shapes along the real network."""
    from silkrail.routing.router import router_for

    path = tmp_path_factory.mktemp("gtfs-shapes") / "corridors.zip"
    write_gtfs(load_services(), path, router=router_for(real_net, home=real_settings.home))
    return path


def _rows(path: Path, name: str) -> list[dict[str, str]]:
    with zipfile.ZipFile(path) as z:
        return list(csv.DictReader(io.StringIO(z.read(name).decode("utf-8"))))


def _validator() -> str:
    exe = shutil.which("gtfs-validator") or str(Path(sys.executable).parent / "gtfs-validator")
    if not Path(exe).exists():
        pytest.fail("gtfs-validator is not installed (pip install -e '.[dev]')")
    return exe


@pytest.mark.integration  # the validator and gtfs-kit are tools of the main environment
def test_the_validator_finds_no_errors(shaped_zip: Path, tmp_path: Path) -> None:
    """The feed with its shapes passes the GTFS validator without an error. (MobilityData's
    reference validator is a Java jar from Maven Central, which this machine cannot reach: the
    pure-Python validator from PyPI stands in for it.)"""
    out = tmp_path / "report"
    run = subprocess.run(
        [_validator(), "-i", str(shaped_zip), "-o", str(out), "--fail-on-error", "-d", "2026-12-01"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads((out / "report.json").read_text())
    errors = [n for n in report["notices"] if n["severity"] == "ERROR"]
    assert run.returncode == 0 and errors == [], errors


@pytest.mark.integration
def test_the_feed_loads_in_gtfs_kit(shaped_zip: Path) -> None:
    """gtfs-kit reads the feed: T8701's duration, and every trip's distance from its shape
    (NaN without shapes.txt), T8701's as long as its track from Nanning to Hanoi."""
    import gtfs_kit as gk

    feed = gk.read_feed(shaped_zip, dist_units="km")
    stats = feed.compute_trip_stats()
    t8701 = stats.set_index("trip_id").loc["t8701"]
    assert t8701["duration"] == pytest.approx(12 + 25 / 60)  # 18:05 Beijing to 05:30 Hanoi time
    assert stats["distance"].notna().all()
    # Nanning-Gia Lam by Pingxiang and Dong Dang: about 400 km of track; the great circle is 320 km
    assert 330 < t8701["distance"] < 600


def test_multi_day_trips_count_past_24_hours(feed_zip: Path) -> None:
    """FESCO's Vietnam Shuttle takes 35 days: its arrival is 840 h after its departure."""
    times = [r for r in _rows(feed_zip, "stop_times.txt") if r["trip_id"] == "fesco-vietnam-shuttle"]
    dep, arr = times[0]["departure_time"], times[-1]["arrival_time"]
    hours = lambda t: int(t.split(":")[0]) + int(t.split(":")[1]) / 60  # noqa: E731
    assert hours(arr) - hours(dep) == 840 and hours(arr) > 24


def test_every_stop_has_its_time_zone(feed_zip: Path) -> None:
    zones = {r["stop_id"]: r["stop_timezone"] for r in _rows(feed_zip, "stops.txt")}
    assert zones["nanning"] == "Asia/Shanghai" and zones["gia-lam"] == "Asia/Ho_Chi_Minh"
    assert all(zones.values())


def test_unpublished_intermediate_times_are_not_timepoints(feed_zip: Path) -> None:
    rows = [r for r in _rows(feed_zip, "stop_times.txt") if r["trip_id"] == "t8701"]
    assert [r["timepoint"] for r in rows] == ["1", "0", "0", "0", "0", "1"]
    assert rows[1]["arrival_time"] == "" and rows[-1]["arrival_time"] == "22:30:00"  # 05:30 +07 in UTC


def test_every_route_cites_its_source(feed_zip: Path) -> None:
    for r in _rows(feed_zip, "routes.txt"):
        assert "source: " in r["route_desc"] and "as of " in r["route_desc"]


def _edit(tmp_path: Path, old: str, new: str) -> Path:
    text = SMALL.read_text()
    assert old in text
    path = tmp_path / "services.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('{stop: b, arr: "10:00"}', '{stop: b, arr: "07:00"}', "times go backwards"),
        ("timezone: Asia/Shanghai", "timezone: Asia/Beijing", "not an IANA time zone"),
        ('{stop: b, arr: "10:00"}', '{stop: e, arr: "10:00"}', "unknown stop 'e'"),
        ("agency: op\n", "agency: nobody\n", "unknown agency 'nobody'"),
        ('dep: "08:00"', 'dep: "8am"', "not a local time"),
        ("    source: silkrail test fixture\n    as_of: 2026-12-01\n  - id: x2", "  - id: x2", "source"),
    ],
)
def test_bad_services_name_the_place(tmp_path: Path, old: str, new: str, message: str) -> None:
    with pytest.raises(DataError, match=message) as err:
        load_services(_edit(tmp_path, old, new))
    assert err.value.file == "services.yaml" and err.value.line is not None


def test_export_cli_writes_a_feed_and_refuses_a_non_zip(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from silkrail.cli import app

    ok = CliRunner().invoke(app, ["gtfs", "export", str(tmp_path / "f.zip")])
    assert ok.exit_code == 0 and (tmp_path / "f.zip").is_file()
    bad = CliRunner().invoke(app, ["gtfs", "export", str(tmp_path / "f.txt")])
    assert bad.exit_code == 2 and not (tmp_path / "f.txt").exists()
