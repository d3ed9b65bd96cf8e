"""The tracking API's payloads: names by Unicode category, times as ISO 8601 text only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from silkrail.tracking.model import PositionEvent, TrainIn

T = datetime(2026, 3, 1, tzinfo=UTC)


def _train(**given: object) -> TrainIn:
    body: dict[str, object] = {"name": "X", "origin": "Hanoi", "destination": "Moscow", "departure": T}
    return TrainIn.model_validate(body | given)


@pytest.mark.parametrize(
    "name, code",
    [
        ("a\u200bb", "U+200B"),  # zero width space
        ("x\u200e", "U+200E"),  # left-to-right mark
        ("x\u200f", "U+200F"),  # right-to-left mark
        ("\u061cx", "U+061C"),  # Arabic letter mark
        ("\ufeffx", "U+FEFF"),  # byte-order mark
        ("A\U000e0041", "U+E0041"),  # tag letter
        ("\u3164", "U+3164"),  # Hangul filler
        ("x\ue000", "U+E000"),  # private use
        ("x\U000e01f0", "U+E01F0"),  # unassigned
        ("evil\u202egnp.exe", "U+202E"),  # right-to-left override
        ("a\u0085b", "U+0085"),  # C1 control
        ("a\u2028b", "U+2028"),  # line separator
    ],
)
def test_invisible_and_unassigned_characters_are_refused_by_category(name: str, code: str) -> None:
    """Each is refused naming the field, the code point and what it is."""
    with pytest.raises(ValidationError) as info:
        _train(name=name)
    err = info.value.errors()[0]
    assert err["loc"] == ("name",) and code in err["msg"]


@pytest.mark.parametrize("name", ["   ", "\u00a0\u3000", "\u2800\u2800"])
def test_a_name_with_nothing_visible_is_refused(name: str) -> None:
    with pytest.raises(ValidationError, match="name"):
        _train(name=name)


@pytest.mark.parametrize("name", ["Ханой–Москва", "می\u200cخواهم", "👩\u200d🚀 X8024", "Lào Cai #2", "二连浩特"])
def test_names_in_any_script_pass_joiners_between_letters_too(name: str) -> None:
    assert _train(name=name).name == name


@pytest.mark.parametrize("given", ["1700000000", 1700000000, "1.7e9", "2025-13", "tomorrow"])
def test_a_time_is_iso_text_only(given: object) -> None:
    """A number, in quotes or not, is refused (it was read as seconds since 1970)."""
    with pytest.raises(ValidationError) as info:
        PositionEvent.model_validate(
            {"event_id": "e", "train_id": "t", "time": given, "kind": "position", "lat": 1, "lon": 2}
        )
    assert info.value.errors()[0]["loc"] == ("time",) and "ISO 8601" in info.value.errors()[0]["msg"]


def test_iso_times_with_a_zone_pass() -> None:
    for text in ("2026-03-01T08:00:00Z", "2026-03-01T08:00:00.123+07:00", "2026-03-01 08:00+0700"):
        ev = PositionEvent.model_validate(
            {"event_id": "e", "train_id": "t", "time": text, "kind": "position", "lat": 1, "lon": 2}
        )
        assert ev.time.tzinfo is not None


def test_a_cargo_below_a_hundredth_of_a_teu_is_refused() -> None:
    """teu=1e-300 made the cost ranges divide by zero (a 500); a hundredth of a TEU is the least."""
    with pytest.raises(ValidationError, match="teu"):
        _train(teu=1e-300)
    assert _train(teu=0.01).teu == 0.01


def test_via_names_at_most_eight_crossings_by_id_and_not_with_a_trip() -> None:
    assert _train(via=["erenhot-zamyn-uud", "sukhbaatar-naushki"]).via == ["erenhot-zamyn-uud", "sukhbaatar-naushki"]
    with pytest.raises(ValidationError, match="via"):
        _train(via=["Erenhot Zamyn-Uud"])  # an id, not a name
    with pytest.raises(ValidationError, match="via"):
        _train(via=[f"x-{i}" for i in range(9)])
    with pytest.raises(ValidationError, match="erenhot-zamyn-uud is named twice"):
        _train(via=["erenhot-zamyn-uud", "sukhbaatar-naushki", "erenhot-zamyn-uud"])
    with pytest.raises(ValidationError, match=r"drop .*via"):
        TrainIn.model_validate({"trip_id": "t8701", "start_date": "2026-03-01", "via": ["erenhot-zamyn-uud"]})
