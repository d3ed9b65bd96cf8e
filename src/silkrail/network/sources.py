"""Read the raw sources: the OSM-derived world railway graph, the maritime network, the ports.

By default they come from the package itself (:mod:`silkrail.network.packed`: compact copies
of scgraph-data 2.0.0's railway graph and searoute 1.6.0's maritime network and ports). Other
files can be named in the settings, in the published formats: the railway graph as
scgraph-data's Python module of two literals (read as text: the literals parse as JSON once the
integer dict keys are quoted; importing it would cost ~18 s and 2.3 GB) or a packed ``.npz``;
the maritime network and the ports as GeoJSON, plain or gzipped.
"""

from __future__ import annotations

import gzip
import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field, ValidationError

from silkrail.errors import SourceError
from silkrail.network._validation import first_problem

_INT_KEY = re.compile(r"([{,] ?)(\d+):")


@dataclass(frozen=True)
class RawRail:
    """The raw railway graph: node coordinates and undirected edges (u < v) in km."""

    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    u: NDArray[np.int64]
    v: NDArray[np.int64]
    km: NDArray[np.float64]
    self_loops_dropped: int


@dataclass(frozen=True)
class RawSea:
    """The maritime network: node coordinates, edges in km, and the passage of each edge."""

    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    u: NDArray[np.int64]
    v: NDArray[np.int64]
    km: NDArray[np.float64]
    passage: list[str]  # "" where the edge is open water


@dataclass(frozen=True)
class RawPort:
    locode: str
    name: str
    country_name: str
    lat: float
    lon: float


class _Line(BaseModel):
    type: Literal["LineString"]
    coordinates: list[list[float]]


class _MultiLine(BaseModel):
    type: Literal["MultiLineString"]
    coordinates: list[list[list[float]]]


class _SeaProperties(BaseModel):
    passage: str | None = None


class _SeaFeature(BaseModel):
    geometry: Annotated[_Line | _MultiLine, Field(discriminator="type")]
    properties: _SeaProperties | None = None


class _SeaNetwork(BaseModel):
    """searoute's maritime network: lines, some through a named passage."""

    features: list[_SeaFeature]


class _PortPoint(BaseModel):
    coordinates: list[float]


class _PortProperties(BaseModel):
    port: str  # UN/LOCODE
    name: str
    cty: str | None = None


class _PortFeature(BaseModel):
    geometry: _PortPoint
    properties: _PortProperties


class _Ports(BaseModel):
    """searoute's ports: points with a UN/LOCODE, a name and a country name."""

    features: list[_PortFeature]


RAIL_DATA_YEAR = 2024
"""The year the packaged rail extract describes (scgraph-data 2.0.0, OSM of 2024-04): the
network's base year, before which no network can be asked for."""


def _packaged(path: Path) -> Path:
    if not path.is_file():
        raise SourceError(
            f"{path} is missing: this silkrail was installed without its package data; "
            "reinstall it (pip install --force-reinstall silkrail)"
        )
    return path


def rail_source_path() -> Path:
    """The railway graph shipped with the package."""
    from silkrail.network import packed

    return _packaged(packed.RAIL_FILE)


def sea_source_paths() -> tuple[Path, Path]:
    """The maritime network and its ports, shipped with the package."""
    from silkrail.network import packed

    return _packaged(packed.SEA_FILE), _packaged(packed.PORTS_FILE)


def _read_text(path: Path) -> str:
    """A text file, gunzipped when its name ends in .gz."""
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return fh.read()
    return path.read_text(encoding="utf-8")


def _literal(text: str, name: str, path: Path) -> str:
    prefix = f"\n{name}="
    start = text.find(prefix)
    if start < 0:
        raise SourceError(f"{path}: no '{name}=' literal found; is this scgraph-data 2.x?")
    start += len(prefix)
    end = text.find("\n", start)
    return text[start : end if end >= 0 else len(text)]


def read_rail(path: Path | None = None) -> RawRail:
    """The world railway graph: a packed ``.npz`` (the default, shipped with the package), or
    scgraph-data's module parsed as text. Drops the zero-length self-loops it carries."""
    path = Path(path or rail_source_path())
    if path.suffix == ".npz":
        from silkrail.network.packed import read_packed_rail

        return read_packed_rail(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: cannot read the railway graph ({exc})") from exc
    try:
        nodes = np.asarray(json.loads(_literal(text, "nodes", path)), dtype=np.float64)
        adjacency = json.loads(_INT_KEY.sub(r'\1"\2":', _literal(text, "graph", path)))
    except json.JSONDecodeError as exc:
        raise SourceError(f"{path}: cannot parse the graph literal ({exc.msg})") from exc
    if nodes.ndim != 2 or nodes.shape[1] != 2 or len(adjacency) != len(nodes):
        raise SourceError(f"{path}: expected one [lat, lon] per adjacency entry")
    counts = np.fromiter((len(d) for d in adjacency), dtype=np.int64, count=len(adjacency))
    src = np.repeat(np.arange(len(adjacency), dtype=np.int64), counts)
    dst = np.fromiter((int(k) for d in adjacency for k in d), dtype=np.int64, count=counts.sum())
    km = np.fromiter((w for d in adjacency for w in d.values()), dtype=np.float64, count=counts.sum())
    loops = src == dst
    keep = (src < dst) & ~loops  # the graph is symmetric: keep each edge once
    return RawRail(
        lat=nodes[:, 0].copy(),
        lon=nodes[:, 1].copy(),
        u=src[keep],
        v=dst[keep],
        km=km[keep],
        self_loops_dropped=int(loops.sum()),
    )


def _norm_lon(lon: float) -> float:
    """Fold longitudes into [-180, 180): the maritime data has 180 and -180 and a few > 180."""
    lon = ((lon + 180.0) % 360.0) - 180.0
    return lon


def read_sea(path: Path | None = None) -> RawSea:
    """The maritime network as a graph: one node per distinct coordinate, one edge per segment."""
    from silkrail.network.geo import haversine_km

    path = path or sea_source_paths()[0]
    try:
        features = _SeaNetwork.model_validate_json(_read_text(path)).features
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: not a readable GeoJSON FeatureCollection ({exc})") from exc
    except ValidationError as exc:
        raise SourceError(f"{path}: not a maritime network of lines ({first_problem(exc)})") from None
    index: dict[tuple[float, float], int] = {}
    coords: list[tuple[float, float]] = []
    edges: dict[tuple[int, int], str] = {}

    def node(lon: float, lat: float) -> int:
        key = (round(lat, 5), round(_norm_lon(lon), 5))
        if key not in index:
            index[key] = len(coords)
            coords.append(key)
        return index[key]

    for feature in features:
        passage = (feature.properties.passage or "") if feature.properties else ""
        geometry = feature.geometry
        parts = geometry.coordinates if isinstance(geometry, _MultiLine) else [geometry.coordinates]
        for part in parts:
            ids = [node(c[0], c[1]) for c in part]
            for a, b in itertools.pairwise(ids):
                if a != b:
                    edges[(min(a, b), max(a, b))] = passage
    lat = np.array([c[0] for c in coords])
    lon = np.array([c[1] for c in coords])
    pairs = np.array(list(edges), dtype=np.int64).reshape(-1, 2)
    km = haversine_km(lat[pairs[:, 0]], lon[pairs[:, 0]], lat[pairs[:, 1]], lon[pairs[:, 1]])
    return RawSea(lat, lon, pairs[:, 0], pairs[:, 1], km, list(edges.values()))


def read_ports(path: Path | None = None) -> list[RawPort]:
    """The UN/LOCODE ports of the maritime network."""
    path = path or sea_source_paths()[1]
    try:
        features = _Ports.model_validate_json(_read_text(path)).features
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: not a readable GeoJSON FeatureCollection ({exc})") from exc
    except ValidationError as exc:
        raise SourceError(f"{path}: not a GeoJSON of ports ({first_problem(exc)})") from None
    ports = []
    for feature in features:
        p = feature.properties
        lon, lat = feature.geometry.coordinates[:2]
        ports.append(RawPort(p.port, p.name, p.cty or "", float(lat), _norm_lon(lon)))
    return ports
