"""Reading operators' GTFS feeds: a round trip through export, and bad feeds named row by row."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest

from silkrail.errors import DataError
from silkrail.timetable.export import feed_tables, write_gtfs
from silkrail.timetable.gtfs_import import FeedError, load_imported, read_gtfs, store_feed
from silkrail.timetable.journey import search_feed
from silkrail.timetable.services import load_services

SMALL = Path(__file__).parent.parent / "fixtures" / "timetable" / "small.yaml"
CST = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def feed_dir(tmp_path: Path) -> Path:
    """The small feed as a directory of GTFS files, to be spoilt by each test."""
    d = tmp_path / "feed"
    d.mkdir()
    for name, text in feed_tables(load_services(SMALL)).items():
        (d / name).write_text(text)
    return d


def test_a_feed_reads_back_as_written(tmp_path: Path) -> None:
    """Export then import: the same trips, and the same earliest arrival."""
    original = load_services(SMALL)
    write_gtfs(original, tmp_path / "small.zip")
    back = read_gtfs(tmp_path / "small.zip")
    assert {t.id for t in back.trips} == {t.id for t in original.trips}
    assert back.trip_by_id["x4"].stop_times == original.trip_by_id["x4"].stop_times
    when = dt.datetime(2026, 12, 3, 7, 0, tzinfo=CST)
    a = search_feed(original, "a", "c", depart=when)
    b = search_feed(back, "a", "c", depart=when)
    assert a is not None and b is not None
    assert [(s.dep, s.arr) for s in a[0]] == [(s.dep, s.arr) for s in b[0]]


def _spoil(d: Path, name: str, old: str, new: str) -> None:
    text = (d / name).read_text()
    assert old in text, (name, old)
    (d / name).write_text(text.replace(old, new, 1))


@pytest.mark.parametrize(
    ("name", "old", "new", "where", "message"),
    [
        (
            "stop_times.txt",
            "x1,00:00:00,00:00:00,a",
            "x1,03:00:00,03:00:00,a",
            ("stop_times.txt", 3, "arrival_time"),
            "goes backwards",
        ),
        (
            "stop_times.txt",
            "x1,02:00:00,02:00:00,b",
            "x1,2 am,02:00:00,b",
            ("stop_times.txt", 3, "arrival_time"),
            "not a GTFS time",
        ),
        (
            "stops.txt",
            "Asia/Ho_Chi_Minh",
            "Asia/Hanoi",
            ("stops.txt", 4, "stop_timezone"),
            "not an IANA time zone",
        ),
        (
            "stop_times.txt",
            "x1,02:00:00,02:00:00,b",
            "x1,02:00:00,02:00:00,zz",
            ("stop_times.txt", 3, "stop_id"),
            "unknown stop 'zz'",
        ),
        ("trips.txt", "x1,x1-days", "x1,nodays", ("trips.txt", 2, "service_id"), "unknown service 'nodays'"),
        (
            "stops.txt",
            "22.800000,108.300000",
            "122.8,108.3",
            ("stops.txt", 2, "stop_lat"),
            "is not a position",
        ),
    ],
)
def test_bad_rows_are_named(
    feed_dir: Path, name: str, old: str, new: str, where: tuple | None, message: str
) -> None:
    _spoil(feed_dir, name, old, new)
    with pytest.raises(FeedError) as err:
        read_gtfs(feed_dir)
    problem = next(p for p in err.value.problems if message in p.message)
    if where is not None:
        assert (problem.file, problem.row, problem.field) == where
    else:
        assert problem.file == name and problem.row is not None


def test_every_bad_row_is_listed(feed_dir: Path) -> None:
    text = (feed_dir / "stop_times.txt").read_text()
    (feed_dir / "stop_times.txt").write_text(text.replace(",a,", ",nowhere,"))
    with pytest.raises(FeedError) as err:
        read_gtfs(feed_dir)
    unknown = [p for p in err.value.problems if p.message == "unknown stop 'nowhere'"]
    rows = [i for i, line in enumerate(text.splitlines(), start=1) if ",a," in line]
    assert [p.row for p in unknown] == rows and len(rows) >= 3


def test_a_missing_file_is_named(feed_dir: Path) -> None:
    (feed_dir / "stops.txt").unlink()
    with pytest.raises(FeedError, match="missing") as err:
        read_gtfs(feed_dir)
    assert err.value.problems[0].file == "stops.txt"


def test_not_a_zip(tmp_path: Path) -> None:
    bad = tmp_path / "feed.zip"
    bad.write_text("hello")
    with pytest.raises(DataError, match="not a readable GTFS zip"):
        read_gtfs(bad)


def test_a_kept_feed_is_loaded_with_its_own_ids(feed_dir: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    target = store_feed(feed_dir, home, "op-1")
    assert zipfile.is_zipfile(target) and not [p for p in target.parent.iterdir() if p.name.startswith(".")]
    (feed,) = load_imported(home)
    assert "op-1:x1" in feed.trip_by_id and feed.trip_by_id["op-1:x1"].timezone == "Etc/UTC"
    merged = load_services().merged(feed)
    found = search_feed(merged, "op-1:a", "op-1:c", depart=dt.datetime(2026, 12, 3, 7, 0, tzinfo=CST))
    assert found is not None
