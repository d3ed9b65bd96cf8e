"""The sources as the package ships them: compact, exact, and the same as the published releases."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import lzma
import re
from pathlib import Path

import numpy as np
import pytest

from silkrail.errors import SourceError
from silkrail.network import geonames, packed, sources
from silkrail.network.sources import RawRail

FIXTURES = Path(__file__).parent.parent / "fixtures"
REPO = Path(__file__).parents[2]


def _reference() -> object:
    spec = importlib.util.spec_from_file_location("reference", REPO / "scripts" / "reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _raw(lat: list[float], lon: list[float], edges: list[tuple[int, int, float]]) -> RawRail:
    u, v, km = zip(*edges, strict=True)
    return RawRail(
        np.array(lat), np.array(lon), np.array(u, np.int64), np.array(v, np.int64), np.array(km), 3
    )


def test_a_packed_graph_reads_back_bit_for_bit(tmp_path: Path) -> None:
    """Coordinates and lengths of three decimals come back as the same doubles, the edges in
    their order, and the count of dropped self-loops."""
    raw = _raw([43.51, -0.001, 69.502], [112.167, 179.999, -150.077], [(0, 1, 2.02), (0, 2, 0.111), (1, 2, 1181.197)])
    path = packed.pack_rail(raw, tmp_path / "rail.npz")
    back = sources.read_rail(path)
    for field in ("lat", "lon", "u", "v", "km"):
        a, b = getattr(raw, field), getattr(back, field)
        assert a.dtype == b.dtype and np.array_equal(a, b), field
    assert back.self_loops_dropped == 3


def test_packing_refuses_values_it_would_change(tmp_path: Path) -> None:
    """The fixture graph has four-decimal coordinates: packing it would round them, so it is
    refused with the array and the index, and nothing is written."""
    raw = sources.read_rail(FIXTURES / "rail_small.py")
    with pytest.raises(SourceError, match=r"lat\[\d+\] = .* more than three decimals"):
        packed.pack_rail(raw, tmp_path / "rail.npz")
    assert not (tmp_path / "rail.npz").exists()


def test_a_broken_packed_file_names_itself(tmp_path: Path) -> None:
    """A truncated file or an archive of other arrays is a SourceError naming the file."""
    raw = _raw([1.0, 2.0], [3.0, 4.0], [(0, 1, 5.0)])
    good = packed.pack_rail(raw, tmp_path / "rail.npz")
    cut = tmp_path / "cut.npz"
    cut.write_bytes(good.read_bytes()[:200])
    with pytest.raises(SourceError, match=r"cut\.npz: unreadable packed rail graph"):
        sources.read_rail(cut)
    other = tmp_path / "other.npz"
    np.savez(other, lat=np.zeros(2))
    with pytest.raises(SourceError, match=r"other\.npz: not a packed rail graph \(no dv, format"):
        sources.read_rail(other)


def test_gzipped_geojson_reads_as_the_plain_file(tmp_path: Path) -> None:
    """The maritime network and the ports read the same from a .gz as from the plain file."""
    for name in ("sea_small.geojson", "ports_small.geojson"):
        (tmp_path / f"{name}.gz").write_bytes(gzip.compress((FIXTURES / name).read_bytes()))
    plain, zipped = sources.read_sea(FIXTURES / "sea_small.geojson"), sources.read_sea(tmp_path / "sea_small.geojson.gz")
    assert np.array_equal(plain.lat, zipped.lat) and plain.passage == zipped.passage
    assert sources.read_ports(FIXTURES / "ports_small.geojson") == sources.read_ports(tmp_path / "ports_small.geojson.gz")
    (tmp_path / "bad.geojson.gz").write_bytes(b"not gzip")
    with pytest.raises(SourceError, match=r"bad\.geojson\.gz: not a readable GeoJSON"):
        sources.read_sea(tmp_path / "bad.geojson.gz")


def test_the_package_ships_its_sources_small() -> None:
    """The default sources are the package's own files, about 6.5 MB together."""
    files = [packed.RAIL_FILE, packed.SEA_FILE, packed.PORTS_FILE, geonames.CITIES_FILE, geonames.COUNTRIES_FILE]
    assert sources.rail_source_path() == packed.RAIL_FILE
    assert sources.sea_source_paths() == (packed.SEA_FILE, packed.PORTS_FILE)
    assert sum(p.stat().st_size for p in files) < 8_000_000
    listed = re.findall(r"^([0-9a-f]{64})  (\S+)$", (packed.PACKAGED_DIR / "SOURCES.md").read_text(), re.M)
    assert sorted(name for _, name in listed) == sorted(p.name for p in files)
    for digest, name in listed:  # SOURCES.md says which bytes ship
        assert hashlib.sha256((packed.PACKAGED_DIR / name).read_bytes()).hexdigest() == digest, name


def test_the_gazetteer_reads_cities_and_countries() -> None:
    """Cities with their alternate names in several scripts; countries with ISO-3 and continent;
    a floor below the packaged one is refused."""
    hanoi = next(c for c in geonames.cities(1_000_000) if c.name == "Hanoi")
    assert hanoi.country == "VN" and "Ханой" in hanoi.alternate_names and 20.9 < hanoi.lat < 21.1
    assert all(c.population >= 1_000_000 for c in geonames.cities(1_000_000))
    assert geonames.countries()["KZ"].iso3 == "KAZ" and geonames.countries()["KZ"].continent == "AS"
    with pytest.raises(ValueError, match="5,000 people or more, not 500"):
        geonames.cities(500)


def test_the_gazetteer_table_refuses_what_it_cannot_carry() -> None:
    """A tab in a name, or a '|' in an alternate name, would break the table: refused."""
    city = {"geonameid": 1, "name": "A", "latitude": 1.5, "longitude": 2.5, "countrycode": "VN",
            "population": 9000, "timezone": "Asia/Ho_Chi_Minh", "admin1code": "01", "alternatenames": ["B"]}
    assert geonames.cities_tsv([city]).splitlines()[1].endswith("\tB")
    with pytest.raises(SourceError, match="city 1: 'A\\\\tB' holds a tab"):
        geonames.cities_tsv([{**city, "name": "A\tB"}])
    with pytest.raises(SourceError, match=r"city 1: an alternate name holds '\|'"):
        geonames.cities_tsv([{**city, "alternatenames": ["B|C"]}])


def test_a_broken_gazetteer_names_the_file_and_line(tmp_path: Path) -> None:
    text = geonames.cities_tsv([]) + "1\tA\tnot-a-number\t2\tVN\t9000\tAsia/Ho_Chi_Minh\t01\t\n"
    bad = tmp_path / "cities.tsv.xz"
    bad.write_bytes(lzma.compress(text.encode()))
    with pytest.raises(SourceError, match=r"cities\.tsv\.xz line 2: not a city row"):
        geonames.cities(path=bad)


@pytest.mark.integration  # reads the releases make install downloads (about 80 MB)
def test_the_packaged_sources_equal_the_published_releases() -> None:
    """Every array of the railway graph, the maritime network and the ports, and every city of
    the gazetteer with every (non-empty) alternate name, equals what the releases hold: the
    network built from the package is the network built from the releases."""
    ref = _reference()
    if not ref.available():  # type: ignore[attr-defined]
        pytest.fail("the reference releases are missing: run make install (scripts/reference.py)")
    path_of = ref.path_of  # type: ignore[attr-defined]
    a, b = sources.read_rail(path_of("rail")), sources.read_rail()
    for field in ("lat", "lon", "u", "v", "km"):
        x, y = getattr(a, field), getattr(b, field)
        assert x.dtype == y.dtype and np.array_equal(x, y), field
    assert a.self_loops_dropped == b.self_loops_dropped
    sea_a, sea_b = sources.read_sea(path_of("sea")), sources.read_sea()
    for field in ("lat", "lon", "u", "v", "km"):
        assert np.array_equal(getattr(sea_a, field), getattr(sea_b, field)), field
    assert sea_a.passage == sea_b.passage
    assert sources.read_ports(path_of("ports")) == sources.read_ports()
    records = json.loads(path_of("cities").read_text(encoding="utf-8"))
    cities = geonames.cities()
    assert len(records) == len(cities)
    for r, c in zip(records.values(), cities, strict=True):
        assert (r["geonameid"], r["name"], r["latitude"], r["longitude"], r["countrycode"], r["population"]) == (
            c.geonameid, c.name, c.lat, c.lon, c.country, c.population
        )
        assert [n for n in r["alternatenames"] if n] == list(c.alternate_names)
    # the build anchors cities of 100,000 people or more: the same set as the release's 15,000 table
    big = json.loads(path_of("cities15000").read_text(encoding="utf-8"))
    assert [int(k) for k, r in big.items() if r["population"] >= 100_000] == [c.geonameid for c in geonames.cities(100_000)]
    countries = json.loads(path_of("countries").read_text(encoding="utf-8"))
    assert {k: (r["iso3"], r["continentcode"]) for k, r in countries.items()} == {
        k: (c.iso3, c.continent) for k, c in geonames.countries().items()
    }
