"""The network's records: converted once from the curated schema, frozen, saved and loaded as
they are, and as tables (pandas, GeoPandas, GeoPackage, GeoParquet)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from silkrail.errors import CacheError, DataError
from silkrail.frames import MissingExtraError
from silkrail.network import curated, records
from silkrail.network.model import RECORD_TYPES, Network
from silkrail.network.records import Crossing, Line, NetworkPlace
from silkrail.network.store import load_network_file, save_network

PLACE = {
    "name": "Lao Cai",
    "aliases": ["Lào Cai"],
    "country": "VN",
    "kind": "city",
    "lat": 22.49,
    "lon": 103.97,
    "source": "Vietnam Railways",
    "as_of": "2024-01",
}


def test_a_curated_record_becomes_a_frozen_record_with_what_the_build_derived() -> None:
    """Fields come from the curated record by name (``source`` as a tuple of sources); the
    build's own fields are taken as given; lists become tuples; the record cannot change."""
    rec = curated.Place.model_validate(PLACE)
    p = records.from_curated(NetworkPlace, rec, "places.yaml: Lao Cai", node=7, snap_km=1.25)
    assert (p.name, p.country, p.kind, p.node, p.snap_km) == ("Lao Cai", "VN", "city", 7, 1.25)
    assert p.aliases == ("Lào Cai",) and p.source == ("Vietnam Railways",) and p.terminal is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.node = 8  # type: ignore[misc]


def test_a_curated_record_that_lacks_a_field_names_it() -> None:
    """A curated record without a field the network record needs fails with one sentence
    naming the record and the field."""
    partial = {k: v for k, v in PLACE.items() if k != "lat"}
    rec = curated.Place.model_construct(**partial)  # as if the schema had no 'lat'
    with pytest.raises(DataError) as info:
        records.from_curated(NetworkPlace, rec, "places.yaml: Lao Cai", node=7, snap_km=1.25)
    assert info.value.field == "lat"
    assert "places.yaml: Lao Cai lacks 'lat'" in str(info.value)


def test_a_derived_field_the_record_does_not_have_is_refused() -> None:
    rec = curated.Place.model_validate(PLACE)
    with pytest.raises(TypeError, match="no field nodes"):
        records.from_curated(NetworkPlace, rec, "x", node=7, snap_km=1.0, nodes=[1])


def test_from_dict_names_a_missing_and_an_unknown_field(small_net: Network) -> None:
    row = records.to_dict(small_net.crossings[0])
    assert records.from_dict(Crossing, row, "crossings[0]") == small_net.crossings[0]
    with pytest.raises(DataError, match="crossings\\[0\\] lacks 'dwell_h'") as info:
        records.from_dict(Crossing, {k: v for k, v in row.items() if k != "dwell_h"}, "crossings[0]")
    assert info.value.field == "dwell_h"
    with pytest.raises(DataError, match="unknown field 'dwel_h'"):
        records.from_dict(Crossing, row | {"dwel_h": 1.0}, "crossings[0]")


def test_to_dict_is_plain_json_in_field_order(small_net: Network) -> None:
    """Tuples become lists, and the keys keep the order of the record's fields."""
    line = small_net.lines[0]
    d = records.to_dict(line)
    assert list(d) == [f.name for f in dataclasses.fields(Line)]
    assert isinstance(d["stations"], list) and d["stations"] == list(line.stations)
    assert json.loads(json.dumps(d)) == d


def test_the_build_writes_each_crossing_once_with_its_nodes_and_edges(small_net: Network) -> None:
    """Every crossing's edge count is the number of edges that point to it."""
    counts = np.bincount(small_net.crossing[small_net.crossing >= 0], minlength=len(small_net.crossings))
    assert [c.edges for c in small_net.crossings] == counts.tolist()
    for c in small_net.crossings:
        assert isinstance(c, Crossing) and all(isinstance(n, int) for n in c.nodes)


def _rewrite_meta(path: Path, edit: dict[str, object]) -> None:
    """Rewrite a saved network's metadata (with a valid checksum), as a stale format would be."""
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(arrays["meta_json"].tobytes())
    meta.update(edit)
    payload = json.dumps(meta).encode()
    arrays["meta_json"] = np.frombuffer(payload, dtype=np.uint8)
    arrays["meta_sha256"] = np.frombuffer(hashlib.sha256(payload).digest(), dtype=np.uint8)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def test_a_cached_record_that_lacks_a_field_is_a_stale_cache(small_net: Network, tmp_path: Path) -> None:
    """A saved crossing without a field raises CacheError naming it (the loader then rebuilds)."""
    path = save_network(small_net, tmp_path / "net.npz")
    rows = [records.to_dict(c) for c in small_net.crossings]
    del rows[1]["capacity_trains_per_day"]
    _rewrite_meta(path, {"crossings": rows})
    with pytest.raises(CacheError, match="crossings\\[1\\] lacks 'capacity_trains_per_day'"):
        load_network_file(path)


def test_every_record_table_round_trips(small_net: Network, tmp_path: Path) -> None:
    back = load_network_file(save_network(small_net, tmp_path / "net.npz"))
    for table in RECORD_TYPES:
        assert getattr(back, table) == getattr(small_net, table), table


def test_record_tables_as_frames(small_net: Network) -> None:
    """One row per record and one column per field, for every table."""
    for table, cls in RECORD_TYPES.items():
        frame = small_net.to_frame(table)  # type: ignore[arg-type]
        assert list(frame.columns) == [f.name for f in dataclasses.fields(cls)], table
        assert len(frame) == len(getattr(small_net, table)), table
    crossings = small_net.to_frame("crossings")
    assert "erenhot-zamyn-uud" in set(crossings["id"])


def test_record_tables_as_geodataframes(small_net: Network) -> None:
    """Crossings and places are points at their coordinates; lines run through their stations."""
    pytest.importorskip("geopandas")
    gdf = small_net.to_gdf("crossings")
    assert str(gdf.crs) == "EPSG:4326"
    first = small_net.crossings[0]
    assert (gdf.geometry.iloc[0].x, gdf.geometry.iloc[0].y) == (first.lon, first.lat)
    lines = small_net.to_gdf("lines")
    assert lines.geometry.iloc[0].geom_type == "LineString"
    assert len(lines.geometry.iloc[0].coords) == sum(n >= 0 for n in small_net.lines[0].nodes)


def test_without_geopandas_the_error_names_the_extra(
    small_net: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "geopandas", None)  # importing it now raises ImportError
    with pytest.raises(MissingExtraError, match=r"silkrail\[geo\]"):
        small_net.to_gdf("ports")


@pytest.mark.parametrize("fmt", ["gpkg", "parquet"])
def test_gis_export_reads_back(small_net: Network, tmp_path: Path, fmt: str) -> None:
    """A GeoPackage (one layer per table) or GeoParquet directory, read back by GeoPandas."""
    pytest.importorskip("geopandas")
    import geopandas
    import pyogrio

    from silkrail.network.export import export_gis

    target = tmp_path / f"net.{fmt}"
    counts = export_gis(small_net, target, fmt=fmt)  # type: ignore[arg-type]
    assert counts["crossings"] == len(small_net.crossings) and counts["edges"] > 0
    if fmt == "gpkg":
        layers = {name for name, _ in pyogrio.list_layers(target)}
        assert {"edges", "crossings", "ports", "lines", "places"} <= layers
        crossings = geopandas.read_file(target, layer="crossings")
        edges = geopandas.read_file(target, layer="edges")
    else:
        crossings = geopandas.read_parquet(target / "crossings.parquet")
        edges = geopandas.read_parquet(target / "edges.parquet")
    assert list(crossings["id"]) == [c.id for c in small_net.crossings]
    assert json.loads(crossings["countries"].iloc[0]) == list(small_net.crossings[0].countries)
    assert len(edges) == counts["edges"]
    assert "Erenhot–Zamyn-Uud" in set(edges["crossing"].dropna())


def test_a_table_that_does_not_exist_lists_the_valid_ones(small_net: Network) -> None:
    for name in ("crossing", "lat"):
        with pytest.raises(DataError, match="use one of crossings, lines, ports, ferries, places"):
            small_net.to_frame(name)  # type: ignore[arg-type]


def test_the_network_reads_short_in_a_console_and_as_a_table_in_a_notebook(small_net: Network) -> None:
    """repr(net) is one line (it was 409,414 characters on the real network); a notebook shows
    the headline figures."""
    text = repr(small_net)
    assert text.startswith("<Network ") and "\n" not in text and len(text) < 300
    assert f"{small_net.n_nodes:,} nodes" in text and f"{len(small_net.crossings)} crossings" in text
    html = small_net._repr_html_()
    assert "<table>" in html and f"{small_net.n_edges:,}" in html
