"""Scenario and curated-data loaders with limits: infinite or absurd numbers, implausible dates,
runaway nesting and repeated service names are each one message naming the file and line (and
exit 2 from the CLI), never a traceback, a MemoryError or a simulation that runs for ever."""

from __future__ import annotations

from pathlib import Path

import pytest

from silkrail.errors import DataError
from silkrail.network.curated import load_file
from silkrail.simulation.scenario import load_scenario

DEEP = "[" * 20_000 + "]" * 20_000
SHIPPED = Path(__file__).resolve().parents[2] / "src/silkrail/data"


@pytest.mark.parametrize(
    "text, line, says",
    [
        (
            "name: x\nextends: baseline-2025\nchanges:\n  - crossing: manzhouli-zabaykalsk\n"
            "    processing_h: {low: 1, mode: 2, high: .inf}\n",
            5,
            "finite number",
        ),
        (
            "name: x\nextends: baseline-2025\nchanges:\n  - service: x\n    trains_per_week: 1e12\n",
            5,
            "less than or equal to 500",
        ),
        (
            "name: x\nextends: baseline-2025\nchanges:\n  - service: x\n    scale: 1.0e9\n",
            5,
            "less than or equal",
        ),
        ("name: x\nstart: 0001-01-01\ndays: 5\n", 2, "outside 2000-01-01"),
        (
            "name: x\nextends: baseline-2025\nchanges:\n  - crossing: erenhot-zamyn-uud\n"
            "    closed: {from: 0001-01-01}\n",
            5,
            "outside 2000-01-01",
        ),
        ("name: x\nstart: 2025-01-01\ndays: 5\nseed: 100000000000000000000000\n", 4, "less than"),
        (f"name: x\nstart: 2025-01-01\ndays: 5\ndescription: {DEEP}\n", 4, "nests deeper than 32"),
        (
            "name: x\nstart: 2025-01-01\ndays: 5\nservices:\n"
            "  - {name: a, origin: Hanoi, destination: Moscow, trains_per_week: 1}\n"
            "  - {name: a, origin: Hanoi, destination: Kunming, trains_per_week: 2}\n",
            6,
            "given twice",
        ),
    ],
)
def test_scenario_limits_name_file_and_line(tmp_path: Path, text: str, line: int, says: str) -> None:
    """Each limit is a DataError naming bad.yaml and the line of the offending value."""
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(DataError) as info:
        load_scenario(f)
    assert (info.value.file, info.value.line) == ("bad.yaml", line), str(info.value)
    assert says in str(info.value)


@pytest.mark.parametrize(
    "old, new, says",
    [
        ("dwell_h: 9.1", "dwell_h: .inf", "finite number"),
        ("dwell_h: 9.1", "dwell_h: .nan", "finite number"),
    ],
)
def test_curated_numbers_are_finite(tmp_path: Path, old: str, new: str, says: str) -> None:
    """A curated dwell of .inf or .nan is refused at its line."""
    text = (SHIPPED / "borders.yaml").read_text(encoding="utf-8")
    assert old in text
    line = text[: text.index(old)].count("\n") + 1
    f = tmp_path / "borders.yaml"
    f.write_text(text.replace(old, new, 1))
    with pytest.raises(DataError) as info:
        load_file(f)
    assert (info.value.file, info.value.line) == ("borders.yaml", line) and says in str(info.value)


def test_curated_dates_and_nesting_have_limits(tmp_path: Path) -> None:
    """An as_of in year 1 is implausible; 20,000-deep nesting is one message with its line."""
    text = (SHIPPED / "borders.yaml").read_text(encoding="utf-8")
    first = next(ln for ln in text.splitlines() if ln.strip().startswith("as_of:"))
    f = tmp_path / "borders.yaml"
    f.write_text(text.replace(first, first.split(":")[0] + ": 0001-01-01", 1))
    with pytest.raises(DataError, match="not a plausible date") as info:
        load_file(f)
    assert info.value.line == text[: text.index(first)].count("\n") + 1
    f.write_text(f"deep: {DEEP}\n" + text)
    with pytest.raises(DataError, match="nests deeper than 32") as info:
        load_file(f)
    assert info.value.line == 1


@pytest.mark.integration
def test_the_cli_exits_2_with_file_and_line(real_settings, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`silkrail simulate` on a scenario with 1e12 trains a week: exit 2 and a file:line message,
    no traceback (it ran out of memory after 22 s)."""
    from typer.testing import CliRunner

    from silkrail.cli import app

    monkeypatch.setenv("SILKRAIL_HOME", str(real_settings.home))
    monkeypatch.setenv("SILKRAIL_COUNTRIES_FILE", str(real_settings.countries_file))
    f = tmp_path / "huge.yaml"
    f.write_text("name: x\nextends: baseline-2025\nchanges:\n  - service: x\n    trains_per_week: 1e12\n")
    r = CliRunner().invoke(app, ["simulate", str(f)])
    assert r.exit_code == 2, r.output
    assert "huge.yaml line 5" in r.output and "Traceback" not in r.output
