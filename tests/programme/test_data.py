"""The programme file: the shipped one loads and agrees with the network's lines; a bad record
fails with its file, line and field, whatever the flaw."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from silkrail.errors import DataError
from silkrail.network.curated import load_file
from silkrail.programme.data import load_programme
from silkrail.programme.schema import ProgrammeFile
from silkrail.settings import get_settings

DATA = Path(get_settings().data_dir)
SHIPPED = DATA / "programme-vietnam.yaml"


def test_every_line_has_a_source_termini_and_a_year(vietnam: ProgrammeFile) -> None:
    """Each line names its source (with an address or a stated planning default) and the fields a
    planner reads: termini, km, gauge, design speed, opening year."""
    for line in vietnam.lines:
        assert line.sources and all(s.strip() for s in line.sources), line.id
        assert len(line.termini) == 2 and line.km > 0 and line.gauge_mm in (1000, 1435)
        assert 100 <= line.design_speed_kmh <= 350 or line.kind == "urban_metro", line.id
        # an address, or the shared facts file that cites the stored page
        assert any("http" in s or "facts vietnam-programme.md" in s for s in line.sources), line.id


def test_the_programmes_the_issue_names_are_there(vietnam: ProgrammeFile) -> None:
    """Hanoi's 15 lines and sections, Ho Chi Minh City's network, the high-speed line with its 23
    stations and sections, and the standard-gauge lines to China and Laos."""
    hanoi = [ln for ln in vietnam.lines if ln.system == "Hanoi urban rail" and not ln.unnamed]
    assert len(hanoi) == 15
    hanoi_km = sum(ln.km for ln in vietnam.lines if ln.system == "Hanoi urban rail" and ln.opens <= 2045)
    assert hanoi_km == pytest.approx(616.9, rel=0.01)  # named lines plus each phase's remainder
    assert sum(ln.system == "Ho Chi Minh City metro" for ln in vietnam.lines) >= 7
    hsr = next(ln for ln in vietnam.lines if ln.kind == "high_speed")
    assert len(hsr.stations) == 23 and sum(s.km for s in hsr.sections) == pytest.approx(1541)
    ids = {ln.network_line for ln in vietnam.lines if ln.kind == "standard_gauge"}
    assert {
        "lao-cai-hanoi-haiphong-standard-gauge",
        "hanoi-dong-dang-standard-gauge",
        "vung-ang-mu-gia",
    } <= ids


def test_lines_on_the_network_agree_with_lines_yaml(vietnam: ProgrammeFile) -> None:
    """A programme line that joins the network opens in the same year as its lines.yaml record,
    with the same gauge and a length within 5 %."""
    network = {ln.id: ln for ln in load_file(DATA / "lines.yaml").lines}
    joined = [ln for ln in vietnam.lines if ln.network_line]
    assert len(joined) >= 5
    for ln in joined:
        rec = network[ln.network_line]  # type: ignore[index]
        assert (rec.opening_year, rec.gauge_mm) == (ln.opens, ln.gauge_mm)
        assert abs(rec.length_km - ln.km) <= 0.05 * ln.km


def _broken(tmp_path: Path, old: str, new: str, *, count: int = 1) -> tuple[Path, int]:
    """A copy of the shipped file with one change, and the line the change is on."""
    text = SHIPPED.read_text(encoding="utf-8")
    assert old in text, old
    at = text.index(old)
    line = text.count("\n", 0, at) + 1
    out = tmp_path / "programme-vietnam.yaml"
    out.write_text(text.replace(old, new, count), encoding="utf-8")
    (tmp_path / "lines.yaml").write_text((DATA / "lines.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return out, line


@pytest.mark.parametrize(
    ("old", "new", "field", "says"),
    [
        ("    km: 13.05\n", "    km: -13.05\n", "lines[0].km", "greater than 0"),
        (
            "    gauge_mm: 1435\n    design_speed_kmh: 80\n    opens: 2021\n",
            "    gauge_mm: 1435\n    design_speed_kmh: 80\n    opens: 2021\n    colour: red\n",
            "lines[0].colour",
            "valid fields here",
        ),
        ("    opens: 2021\n", "    opens: 1021\n", "lines[0].opens", "greater than or equal to 1850"),
        (
            "          - {name: all stations, run_min: 23.5, headway_min: 6,",
            "          - {name: all stations, run_min: 23.5, speed_kmh: 30, headway_min: 6,",
            "lines[0].service[0].patterns[0]",
            "run_min",
        ),
        (
            "  - type: wagon\n    year: 2025\n    units: 4300\n",
            "  - type: wagon\n    year: 2025\n    units: -4300\n",
            "fleet[2].units",
            "greater than or equal to 0",
        ),
        ('    ages: {"0-30": 667,', '    ages: {"0-3O": 667,', "fleet[1].ages", "age band"),
    ],
)
def test_a_bad_field_names_file_line_and_field(
    tmp_path: Path, old: str, new: str, field: str, says: str
) -> None:
    """The first bad field raises DataError with the file, the line of the change and the field."""
    path, line = _broken(tmp_path, old, new)
    with pytest.raises(DataError) as err:
        load_programme(path=path)
    e = err.value
    assert e.file == path.name and e.field is not None and e.field.startswith(field), str(e)
    assert e.line is not None and abs(e.line - line) <= 3, (e.line, line, str(e))
    assert says in str(e)


def test_a_record_without_a_source_is_refused(tmp_path: Path) -> None:
    """A line whose source is empty is refused at its source field."""
    old = (
        "    source:\n"
        '      - "Hanoi Metro, Wikipedia (opened 2021-11-06; Chinese ODA, US$868 million), https://wikisum.wiki/wiki/Hanoi_Metro"\n'
    )
    path, line = _broken(tmp_path, old, '    source:\n      - " "\n')
    with pytest.raises(DataError) as err:
        load_programme(path=path)
    assert err.value.field == "lines[0].source" and "non-empty source" in str(err.value)
    assert err.value.line is not None and abs(err.value.line - line) <= 2


def test_a_network_line_that_disagrees_is_refused(tmp_path: Path) -> None:
    """The programme and the routable network tell one story: a length more than 5 % from the
    lines.yaml record is an error naming both records."""
    path, _ = _broken(tmp_path, "    km: 390.9\n    gauge_mm: 1435\n", "    km: 450\n    gauge_mm: 1435\n")
    with pytest.raises(DataError) as err:
        load_programme(path=path)
    assert "lao-cai-hanoi-haiphong-standard-gauge" in str(err.value) and "450 km" in str(err.value)
    assert err.value.field is not None and err.value.field.endswith("network_line")
    # the line of that record's network_line key
    text = path.read_text(encoding="utf-8")
    key = text.index("    network_line: lao-cai-hanoi-haiphong-standard-gauge\n")
    assert err.value.line == text.count("\n", 0, key) + 1


def test_a_duplicate_id_names_both_lines(tmp_path: Path) -> None:
    path, line = _broken(tmp_path, "  - id: hanoi-line-2-1\n", "  - id: hanoi-line-2a\n")
    with pytest.raises(DataError) as err:
        load_programme(path=path)
    assert err.value.line == line and re.search(r"first at line \d+", str(err.value))


def test_an_unknown_programme_lists_the_known_ones() -> None:
    with pytest.raises(DataError, match="vietnam"):
        load_programme("atlantis")
