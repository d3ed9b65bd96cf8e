"""Reading the raw sources in their published formats."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from silkrail.errors import SourceError
from silkrail.network import sources

FIXTURES = Path(__file__).parent.parent / "fixtures"


def test_rail_reader_drops_self_loops_and_keeps_each_edge_once() -> None:
    """The scgraph-data format: 45 nodes each with a zero-length self-loop, 41 symmetric edges."""
    raw = sources.read_rail(FIXTURES / "rail_small.py")
    assert len(raw.lat) == 45
    assert raw.self_loops_dropped == 45
    assert len(raw.u) == 41
    assert (raw.u < raw.v).all()
    assert (raw.km > 0).all()
    assert raw.lat[0] == pytest.approx(43.51) and raw.lon[0] == pytest.approx(112.1667)


def test_rail_reader_rejects_a_file_without_the_literals(tmp_path: Path) -> None:
    """A file that is not in the expected format is a SourceError that names it."""
    bad = tmp_path / "world_railways.py"
    bad.write_text("graph = None\n")
    with pytest.raises(SourceError, match=r"world_railways\.py: no 'nodes=' literal"):
        sources.read_rail(bad)


def test_sea_reader_builds_a_graph_with_passages() -> None:
    """Segments become edges; shared coordinates become one node; passages are kept per edge."""
    sea = sources.read_sea(FIXTURES / "sea_small.geojson")
    assert len(sea.lat) == 5
    assert len(sea.u) == 4
    assert sorted(sea.passage) == ["", "", "hainan", "hainan"]
    assert np.all(sea.km > 50)


def test_longitudes_are_folded_at_the_antimeridian() -> None:
    """180 and -180 are one meridian; the maritime data also has a few longitudes above 180."""
    assert sources._norm_lon(180.0) == sources._norm_lon(-180.0) == -180.0
    assert sources._norm_lon(187.69) == pytest.approx(-172.31)


def test_real_ports_include_the_corridor_ports() -> None:
    """The installed maritime port list has the UN/LOCODEs the curated ports refer to."""
    ports = {p.locode: p for p in sources.read_ports()}
    assert len(ports) > 3900
    assert ports["VNHPH"].name == "Haiphong"
    assert 20 < ports["VNHPH"].lat < 21.5


@pytest.mark.parametrize(
    ("reader", "text", "message"),
    [
        (
            sources.read_sea,
            '{"features": [{"geometry": {"type": "LineString", "coordinates": [[1, "x"]]}}]}',
            r"not a maritime network of lines \(features\[0\]\.geometry\.LineString\.coordinates\[0\]\[1\]: "
            r"Input should be a valid number.*\(got 'x'\)\)",
        ),
        (
            sources.read_sea,
            '{"features": [{"geometry": {"type": "Point", "coordinates": [1, 2]}}]}',
            r"features\[0\]\.geometry: .*'Point'.*'LineString', 'MultiLineString'",
        ),
        (
            sources.read_ports,
            '{"features": [{"properties": {"port": "VNHPH", "name": 3}, "geometry": {"coordinates": [1, 2]}}]}',
            r"not a GeoJSON of ports \(features\[0\]\.properties\.name: Input should be a valid string \(got 3\)\)",
        ),
        (
            sources.read_ports,
            '{"features": [{"properties": {"port": "VNHPH", "name": ' + "1" * 100 + '}, "geometry": {"coordinates": [1, 2]}}]}',
            r"properties\.name: Input should be a valid string \(got 1{57}\.\.\.\)\)$",
        ),
        (sources.read_ports, '{"type": "FeatureCollection"}', r"not a GeoJSON of ports \(features: Field required\)"),
        (sources.read_ports, "not json", r"not a GeoJSON of ports \(Invalid JSON: expected ident at line 1 column 2\)$"),
    ],
)
def test_a_bad_maritime_or_ports_file_names_the_field_and_the_value(
    tmp_path: Path, reader: Callable[[Path], object], text: str, message: str
) -> None:
    """A maritime network or ports file that does not fit says which field of which feature, what
    was wrong and the value found, in one line (a long value cut short)."""
    path = tmp_path / "bad.geojson"
    path.write_text(text)
    with pytest.raises(SourceError, match=message) as exc:
        reader(path)
    assert str(exc.value).startswith(str(path)) and "\n" not in str(exc.value)
