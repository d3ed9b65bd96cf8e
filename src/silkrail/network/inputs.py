"""What a network is built from, and the hash that keys the cache. Light: no scipy, no pydantic,
so that loading a built network stays fast."""

from __future__ import annotations

import hashlib
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


BUILD_CODE = ("build/*.py", "curated.py", "geo.py", "sources.py", "model.py", "records.py")
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


def _stat_key(path: Path) -> str:
    st = path.stat()
    return f"{path.name}:{st.st_size}:{st.st_mtime_ns}"


def inputs_fingerprint(settings: Settings) -> tuple[str, dict[str, str]]:
    """A hash of everything the build reads: source files (size and mtime), the curated YAML
    (content) and the build version. Cheap enough to check on every load."""
    parts: dict[str, str] = {
        "build": BUILD_VERSION,
        "code": _code_hash(),
        "year": str(settings.reference_date().year),  # which lines a build counts as existing
        "params": _params_fingerprint(),
    }
    rail, sea, ports = source_paths(settings)
    for key, p in (("rail", rail), ("sea", sea), ("ports", ports)):
        parts[key] = _stat_key(p)
    countries = settings.resolve_countries_file()
    parts["countries"] = _stat_key(countries) if countries and countries.is_file() else "missing"
    for name in DATA_FILES:
        path = settings.data_dir / name
        parts[name] = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "missing"
    digest = hashlib.sha256(repr(sorted(parts.items())).encode()).hexdigest()
    return digest, parts
