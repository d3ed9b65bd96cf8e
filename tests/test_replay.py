"""``silkrail.replay`` reads a feed line by line: a bad line is named before anything is posted
(the service behind the URL is never reached here: nothing listens on port 9)."""

from __future__ import annotations

from pathlib import Path

import pytest

from silkrail.errors import DataError
from silkrail.replay import ReplayTotals, replay

NOWHERE = "http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("\n[1, 2]\n", r"feed\.jsonl line 2: each line must be a JSON object"),
        ('{"type": "event"', r"feed\.jsonl line 1: not JSON"),
        ('{"type": "stop"}\n', r"feed\.jsonl line 1: each line needs type 'train' or 'event'"),
        ('{"type": "event", "train_ref": "x", "time": "2026-03-01T00:00Z"}\n', r"unknown train_ref 'x'"),
    ],
)
def test_a_bad_line_names_the_file_and_line(tmp_path: Path, text: str, wanted: str) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=wanted):
        replay(feed, NOWHERE, "token", speed=0)


def test_an_empty_feed_posts_nothing(tmp_path: Path) -> None:
    """Blank lines are skipped: every total is zero, in the dict replay returns."""
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n\n", encoding="utf-8")
    assert replay(feed, NOWHERE, "token", speed=0) == ReplayTotals().as_dict()
