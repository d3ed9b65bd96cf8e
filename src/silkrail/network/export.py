"""Write the network as GeoJSON for GIS users."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from silkrail.network import records
from silkrail.network.model import ATTRIBUTION, EdgeKind, Network, RecordTable, WaterKind, gauges_of

if TYPE_CHECKING:
    import geopandas

_KIND_NAMES = {k.value: k.name.lower() for k in EdgeKind}

Properties = dict[str, object]
"""A GeoJSON feature's properties (or the whole feature): written out as JSON, never read back."""


def _edge_features(net: Network, *, include_sea: bool) -> Iterator[tuple[int, Properties]]:
    """(edge, properties) of each exported edge: rail, border, port links and ferries, and the
    sea when ``include_sea``."""
    kinds = [EdgeKind.RAIL, EdgeKind.BORDER, EdgeKind.PORT_LINK, EdgeKind.FERRY]
    if include_sea:
        kinds += [EdgeKind.SEA, EdgeKind.SEA_ACCESS]
    for edge in np.flatnonzero(np.isin(net.edge_kind, kinds)):
        e = int(edge)
        kind = int(net.edge_kind[e])
        sea = kind == EdgeKind.SEA
        yield e, {
            "kind": _KIND_NAMES[kind],
            "km": round(float(net.km[e]), 3),
            "gauges_mm": gauges_of(int(net.edge_gauge[e])),
            # a sea edge is in the waters of a country (0: open sea), track in a node's country
            "country": net.countries[int(net.water_country[e])] if sea else net.country_code(int(net.u[e])),
            **({"crossing": net.crossings[int(net.crossing[e])].name} if net.crossing[e] >= 0 else {}),
            **({"ferry": net.ferries[int(net.port[e])].name} if kind == EdgeKind.FERRY else {}),
            **({"water": WaterKind(int(net.water[e])).name.lower()} if sea else {}),
            **(
                {"line": net.lines[int(net.line[e])].name, "opening_year": int(net.year_open[e])}
                if net.line[e] >= 0
                else {}
            ),
        }


_CROSSING_FIELDS = (
    "id",
    "name",
    "kind",
    "method",
    "countries",
    "gauges_mm",
    "dwell_h",
    "cost_usd_per_teu",
    "capacity_trains_per_day",
    "status",
    "source",
    "as_of",
)
_PORT_FIELDS = (
    "locode",
    "name",
    "country",
    "rail_gauge_mm",
    "handling_h",
    "handling_cost_usd_per_teu",
    "source",
    "as_of",
)
"""The fields of a crossing's and of a port's record that their GeoJSON features carry."""


def _point(lon: float, lat: float, props: Properties) -> Properties:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props}


def _features(net: Network, *, include_sea: bool) -> list[Properties]:
    """The features of :func:`network_to_geojson`: edges, then curated crossings, then ports."""
    features: list[Properties] = [
        {
            "type": "Feature",
            "geometry": {
                "type": "LineString",
                "coordinates": [[round(x, 5), round(y, 5)] for x, y in net.edge_geometry(e)],
            },
            "properties": props,
        }
        for e, props in _edge_features(net, include_sea=include_sea)
    ]
    for c in net.crossings:
        if c.curated:
            row = records.to_dict(c)
            props = {**{k: row[k] for k in _CROSSING_FIELDS}, "feature": "crossing"}
            features.append(_point(c.lon, c.lat, props))
    for p in net.ports:
        row = records.to_dict(p)
        features.append(_point(p.lon, p.lat, {**{k: row[k] for k in _PORT_FIELDS}, "feature": "port"}))
    return features


def network_to_geojson(net: Network, *, include_sea: bool = False) -> dict[str, object]:
    """A FeatureCollection of the rail edges (and optionally the sea), crossings and ports."""
    return _collection(net, _features(net, include_sea=include_sea))


def _collection(net: Network, features: list[Properties]) -> dict[str, object]:
    return {
        "type": "FeatureCollection",
        "features": features,
        "properties": {"attribution": ATTRIBUTION, "inputs_hash": net.meta.get("inputs_hash")},
    }


def export_geojson(net: Network, path: Path, *, include_sea: bool = False) -> int:
    """Write :func:`network_to_geojson` to ``path``; returns the number of features."""
    features = _features(net, include_sea=include_sea)
    doc = json.dumps(_collection(net, features), separators=(",", ":"), ensure_ascii=False)
    Path(path).write_text(doc, encoding="utf-8")
    return len(features)


def network_overview(net: Network, *, every: int = 4, min_km: float = 1.0) -> dict[str, object]:
    """A light GeoJSON for maps: one MultiLineString per gauge (open track, every ``every``-th
    vertex kept) and the curated crossings as points."""
    rail = ((net.edge_kind == EdgeKind.RAIL) | (net.edge_kind == EdgeKind.BORDER)) & (
        net.year_open <= net.current_year()
    )
    rail &= net.km >= min_km
    by_gauge: dict[str, list[list[list[float]]]] = {}
    for e in np.flatnonzero(rail).tolist():
        a, b = int(net.geom_ptr[e]), int(net.geom_ptr[e + 1])
        idx = list(range(a, b, every))
        if idx[-1] != b - 1:
            idx.append(b - 1)
        gauges = gauges_of(int(net.edge_gauge[e]))
        key = "dual" if len(gauges) > 1 else str(gauges[0]) if gauges else "break"
        by_gauge.setdefault(key, []).append(
            [[round(float(net.geom_lon[i]), 3), round(float(net.geom_lat[i]), 3)] for i in idx]
        )
    features: list[Properties] = [
        {
            "type": "Feature",
            "geometry": {"type": "MultiLineString", "coordinates": lines},
            "properties": {"gauge": key},
        }
        for key, lines in by_gauge.items()
    ]
    for c in net.crossings:
        if c.curated:
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]},
                    "properties": {
                        "crossing": c.name,
                        "id": c.id,
                        "method": c.method,
                        "dwell_h": c.dwell_h,
                        "status": c.status,
                    },
                }
            )
    return {"type": "FeatureCollection", "features": features, "properties": {"attribution": ATTRIBUTION}}


GisFormat = Literal["geojson", "gpkg", "parquet"]
FORMAT_SUFFIXES: dict[str, GisFormat] = {
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
    ".parquet": "parquet",
}
"""The export formats by file name suffix (a GeoParquet export is a directory, ``*.parquet``)."""


def network_tables(net: Network, *, include_sea: bool = False) -> dict[str, geopandas.GeoDataFrame]:
    """The network as GeoDataFrames (WGS 84; needs the ``geo`` extra): ``edges`` (the same
    edges and properties as the GeoJSON export) and one table per record type, ``crossings``,
    ``lines``, ``ports``, ``ferries`` and ``places``, every field a column."""
    from silkrail.frames import geopandas as require_geopandas

    gpd = require_geopandas()
    import shapely

    rows, spans = [], []
    for e, props in _edge_features(net, include_sea=include_sea):
        rows.append(props)
        spans.append(np.arange(int(net.geom_ptr[e]), int(net.geom_ptr[e + 1])))
    geometry: object = []
    if spans:
        points = np.concatenate(spans)
        coords = np.column_stack([net.geom_lon[points], net.geom_lat[points]]).astype(np.float64)
        indices = np.repeat(np.arange(len(spans)), [len(x) for x in spans])
        geometry = shapely.linestrings(coords, indices=indices)
    edges = gpd.GeoDataFrame(rows, geometry=geometry, crs="EPSG:4326")
    tables: tuple[RecordTable, ...] = ("crossings", "lines", "ports", "ferries", "places")
    return {"edges": edges, **{name: net.to_gdf(name) for name in tables}}


def _flat(gdf: geopandas.GeoDataFrame) -> geopandas.GeoDataFrame:
    """Sequence columns (gauges, sources, station names, nodes) as JSON text: GeoPackage has no
    list type, and a column mixing numbers and lists (a crossing's side gauges) fits no
    Parquet type either."""
    out = gdf.copy()
    for col in out.columns:
        if col == out.geometry.name:
            continue
        if out[col].map(lambda v: isinstance(v, list | tuple)).any():
            out[col] = out[col].map(lambda v: json.dumps(v, ensure_ascii=False) if v is not None else None)
    return out


def export_gis(net: Network, path: Path, *, fmt: GisFormat, include_sea: bool = False) -> dict[str, int]:
    """Write the network to ``path``: GeoJSON (one FeatureCollection, see
    :func:`network_to_geojson`), a GeoPackage with one layer per table of
    :func:`network_tables`, or GeoParquet, a directory with one ``<table>.parquet`` per table.
    Returns the number of rows written per table (per feature for GeoJSON)."""
    path = Path(path)
    if fmt == "geojson":
        return {"features": export_geojson(net, path, include_sea=include_sea)}
    tables = network_tables(net, include_sea=include_sea)
    if fmt == "gpkg":
        path.unlink(missing_ok=True)  # layers are appended to an existing file otherwise
        for name, gdf in tables.items():
            if len(gdf):
                _flat(gdf).to_file(path, layer=name, driver="GPKG")
    else:
        path.mkdir(parents=True, exist_ok=True)
        for name, gdf in tables.items():
            _flat(gdf).to_parquet(path / f"{name}.parquet")
    return {name: len(gdf) for name, gdf in tables.items()}
