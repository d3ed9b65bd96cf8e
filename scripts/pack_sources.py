"""Make the packaged sources under src/silkrail/data/sources/ from the published releases.

    python scripts/reference.py            # fetch the releases (once)
    python scripts/pack_sources.py         # write the packaged files and SOURCES.md's checksums

Each file is checked as it is written: the packed railway graph reads back to the parsed one
bit for bit, the GeoJSON files are the releases' bytes gzipped, the gazetteer holds every city
of the release with every alternate name. See silkrail.network.packed and silkrail.network.geonames.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import lzma
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference

from silkrail.network import geonames, packed, sources


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pack(root: Path = reference.DEFAULT_DIR, out: Path = packed.PACKAGED_DIR) -> dict[str, str]:
    """Write every packaged file from the releases in ``root``; returns file -> sha256."""
    if not reference.available(root):
        raise SystemExit(f"the reference releases are not in {root}: run python scripts/reference.py first")
    out.mkdir(parents=True, exist_ok=True)
    packed.pack_rail(sources.read_rail(reference.path_of("rail", root)), out / packed.RAIL_FILE.name)
    for key, target in (("sea", packed.SEA_FILE), ("ports", packed.PORTS_FILE)):
        data = reference.path_of(key, root).read_bytes()
        # mtime 0: the same release gives the same bytes
        (out / target.name).write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    city_records = json.loads(reference.path_of("cities", root).read_text(encoding="utf-8"))
    text = geonames.cities_tsv(city_records.values())
    xz = lzma.compress(text.encode("utf-8"), preset=9 | lzma.PRESET_EXTREME)
    (out / geonames.CITIES_FILE.name).write_bytes(xz)
    country_records = json.loads(reference.path_of("countries", root).read_text(encoding="utf-8"))
    countries = geonames.countries_json(country_records)
    (out / geonames.COUNTRIES_FILE.name).write_text(countries, encoding="utf-8")
    names = (
        packed.RAIL_FILE,
        packed.SEA_FILE,
        packed.PORTS_FILE,
        geonames.CITIES_FILE,
        geonames.COUNTRIES_FILE,
    )
    return {p.name: sha256(out / p.name) for p in names}


if __name__ == "__main__":
    for name, digest in pack().items():
        size = (packed.PACKAGED_DIR / name).stat().st_size
        print(f"{name}  {size / 1e6:6.2f} MB  sha256 {digest}")
