"""The curated package data: every shipped file validates; bad records fail with file, line, field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from silkrail.errors import DataError
from silkrail.network.curated import SCHEMA, load_curated, load_file
from silkrail.settings import Settings

SHIPPED = Settings().data_dir
FIXTURE_DATA = Path(__file__).parent.parent / "fixtures" / "data"

# the crossings of the researched facts file, by the station names they must carry
FACT_CROSSINGS = [
    ("Erenhot", "Zamyn-Uud"),
    ("Manzhouli", "Zabaykalsk"),
    ("Alashankou", "Dostyk"),
    ("Khorgos", "Altynkol"),
    ("Sukhbaatar", "Naushki"),
    ("Pingxiang", "Dong Dang"),
    ("Hekou", "Lao Cai"),
    ("Mohan", "Boten"),
    ("Thanaleng", None),
    ("Suifenhe", "Grodekovo"),
    ("Termez", "Hairatan"),
    ("Sarakhs", None),
    ("Akhalkalaki", None),
    ("Brest", "Ma"),
]


@pytest.mark.parametrize("name", sorted(SCHEMA))
def test_every_shipped_file_validates(name: str) -> None:
    """Each shipped data file passes its declared schema (source and as_of on every record)."""
    parsed = load_file(SHIPPED / name)
    assert parsed is not None


def test_shipped_data_covers_the_researched_crossings_and_lines() -> None:
    """At least the 14 crossings of the facts file, the China–Laos railway, planned lines, ports."""
    cur = load_curated(SHIPPED)
    sides = [" / ".join(s.name for s in c.sides) + " " + c.name for c in cur.borders.crossings]
    for a, b in FACT_CROSSINGS:
        assert any(a in s and (b is None or b in s) for s in sides), f"no crossing for {a}/{b}"
    assert len(cur.borders.crossings) >= 14
    lines = {ln.id: ln for ln in cur.lines.lines}
    laos = [ln for ln in lines.values() if "laos" in ln.id]
    assert laos and laos[0].gauge_mm == 1435 and laos[0].opening_year == 2021
    added = {ln.id for ln in lines.values() if not ln.in_osm and ln.status == "open"}
    assert {"kunming-hekou-metre-gauge", "trans-mongolian-sukhbaatar-darkhan-gap", "marmaray"} <= added
    assert sum(ln.status != "open" for ln in lines.values()) >= 4
    locodes = {p.locode for p in cur.ports.ports}
    assert {"VNHPH", "CNLYG", "RUVVO", "NLRTM", "DEHAM", "GEPTI"} <= locodes
    assert cur.factors.emission_basis in ("well-to-wheel", "tank-to-wheel")


def _copy_data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(FIXTURE_DATA, target)
    return target


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("file", "old", "new", "field", "says"),
    [
        ("borders.yaml", "dwell_h: 9.1", "dwell_h: -3", "crossings[0].dwell_h", "greater than or equal to 0"),
        (
            "borders.yaml",
            "country: MN, lat: 43.748",
            "country: XX, lat: 43.748",
            "crossings[0].sides[1].country",
            "ISO 3166-1",
        ),
        (
            "gauges.yaml",
            "{country: TH, gauge_mm: 1000",
            "{country: TH, gauge_mm: 1001",
            "countries[3].gauge_mm",
            "1435",
        ),
        (
            "ports.yaml",
            "handling_h: 24",
            "handling_hours: 24",
            "ports[0].handling_hours",
            "valid fields here",
        ),
        ("lines.yaml", '    source: "silkrail test fixture"\n', "", "lines[0].source", "Field required"),
        (
            "places.yaml",
            'as_of: "2026-11-01"}\n  - {name: Erenhot',
            'as_of: "last year"}\n  - {name: Erenhot',
            "places[0].as_of",
            "YYYY-MM-DD",
        ),
        (
            "stations.yaml",
            "kind: junction",
            "kind: village",
            "stations[0].kind",
            "'junction', 'border', 'terminal', 'dry_port', 'seaport' or 'station'",
        ),
    ],
)
def test_bad_record_names_file_line_and_field(
    tmp_path: Path, file: str, old: str, new: str, field: str, says: str
) -> None:
    """A bad field raises DataError with the file, the field's line, the field path and what is valid."""
    data = _copy_data(tmp_path)
    path = data / file
    text = path.read_text()
    assert old in text
    bad = text.replace(old, new, 1)
    path.write_text(bad)
    with pytest.raises(DataError) as info:
        load_curated(data)
    err = info.value
    assert err.file == file
    assert err.field == field
    assert says in str(err)
    anchor = new.strip().split("\n")[0] or "lines:"
    if new.strip():
        assert err.line == _line_of(bad, anchor)
    assert str(err).startswith(f"{file} line {err.line}")


def test_malformed_yaml_reports_its_line(tmp_path: Path) -> None:
    """YAML that does not parse is a DataError at the line where parsing failed."""
    data = _copy_data(tmp_path)
    (data / "ports.yaml").write_text("ports:\n  - locode: VNHPH\n   name: [Haiphong\n")
    with pytest.raises(DataError, match=r"ports.yaml line [34]: not valid YAML"):
        load_curated(data)


def test_duplicate_ids_are_rejected(tmp_path: Path) -> None:
    """Two crossings with one id: the second is named with its line."""
    data = _copy_data(tmp_path)
    path = data / "borders.yaml"
    path.write_text(path.read_text().replace("id: manzhouli-zabaykalsk", "id: erenhot-zamyn-uud"))
    with pytest.raises(DataError, match="duplicate id 'erenhot-zamyn-uud'") as info:
        load_curated(data)
    lines = [i for i, ln in enumerate(path.read_text().splitlines(), 1) if "id: erenhot-zamyn-uud" in ln]
    assert info.value.line == lines[1]


def test_data_error_is_a_value_error() -> None:
    """Callers may catch DataError as ValueError."""
    assert issubclass(DataError, ValueError)


def test_the_inputs_hash_covers_every_data_file() -> None:
    """The cache key reads exactly the files the schema declares."""
    from silkrail.network.inputs import DATA_FILES

    assert set(DATA_FILES) == set(SCHEMA)


def test_load_curated_reads_each_file_with_the_model_schema_declares() -> None:
    """The typed loader and the schema table agree: each file of SCHEMA, in its order, gives the
    field of Curated that holds it, validated by SCHEMA's model."""
    from dataclasses import fields

    from silkrail.network.curated import Curated

    cur = load_curated(SHIPPED)
    names = [f.name for f in fields(Curated)]
    assert [f"{n}.yaml" for n in names] == list(SCHEMA)
    for name in names:
        assert type(getattr(cur, name)) is SCHEMA[f"{name}.yaml"]
