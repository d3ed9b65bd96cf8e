"""What a network is built from, and the hash that keys the cache. Light: no scipy, no pydantic,
so that loading a built network stays fast."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from silkrail.network import sources
from silkrail.settings import Settings

BUILD_VERSION = "8"  # bump when the build's logic changes: it is part of the inputs hash
DATA_FILES = (
    "gauges.yaml",
    "borders.yaml",
    "lines.yaml",
    "ports.yaml",
    "factors.yaml",
    "places.yaml",
    "stations.yaml",
)


def source_paths(settings: Settings) -> tuple[Path, Path, Path]:
    """(rail graph, maritime network, ports): the settings' files, else the installed ones."""
    if settings.sea_file and settings.ports_file:
        sea, ports = settings.sea_file, settings.ports_file
    else:
        sea, ports = sources.sea_source_paths()
    return (
        settings.rail_file or sources.rail_source_path(),
        settings.sea_file or sea,
        settings.ports_file or ports,
    )


BUILD_CODE = (
    "build/*.py",
    "curated.py",
    "geo.py",
    "sources.py",
    "packed.py",
    "geonames.py",
    "model.py",
    "records.py",
)
"""The modules whose logic shapes a built network: their text is part of the cache key, so a
change to the build can never be served a network built by older code."""


def _code_hash() -> str:
    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for pattern in BUILD_CODE:
        for path in sorted(here.glob(pattern)):
            h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()


def _params_fingerprint() -> str:
    """The default build parameters' hash (a light import: a dataclass and nothing else)."""
    from silkrail.network.build.params import DEFAULT_PARAMS

    return DEFAULT_PARAMS.fingerprint()


def content_key(path: Path) -> str:
    """The sha256 of a file's content: the same data gives the same key in every virtualenv,
    container and checkout (an install's paths and modification times differ)."""
    st = path.stat()
    return _content_key(str(path), st.st_size, st.st_mtime_ns)


@cache
def _content_key(path: str, size: int, mtime_ns: int) -> str:
    """Hashed once per process and version of the file (size and time only say when to hash again)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def inputs_fingerprint(settings: Settings) -> tuple[str, dict[str, str]]:
    """A hash of everything the build reads, by content: the source files, the country outlines,
    the curated YAML, the build's code and parameters, and the year. Cheap enough to check on
    every load (about 10 ms for the packaged sources)."""
    from silkrail.network import geonames  # the cities anchor the track near them

    rail, sea, ports = source_paths(settings)
    countries = settings.resolve_countries_file()
    data = {name: settings.data_dir / name for name in DATA_FILES}
    parts = {
        "build": BUILD_VERSION,
        "code": _code_hash(),
        "year": str(settings.reference_date().year),  # which lines a build counts as existing
        "params": _params_fingerprint(),
        "rail": content_key(rail),
        "sea": content_key(sea),
        "ports": content_key(ports),
        "countries": content_key(countries) if countries and countries.is_file() else "missing",
        "gazetteer": content_key(geonames.CITIES_FILE) + content_key(geonames.COUNTRIES_FILE),
        **{
            name: hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "missing"
            for name, path in data.items()
        },
    }
    digest = hashlib.sha256(repr(sorted(parts.items())).encode()).hexdigest()
    return digest, parts
