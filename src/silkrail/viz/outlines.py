"""Simplified country outlines for drawing, cached under $SILKRAIL_HOME."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from silkrail.cache import atomic_write
from silkrail.errors import SourceError
from silkrail.settings import Settings, get_settings

TOLERANCE_DEG = 0.03


def simplified_outlines(settings: Settings | None = None) -> list[dict[str, Any]]:
    """[{code, rings: [[[lon, lat], ...], ...]}] for every country, simplified for drawing."""
    import shapely

    from silkrail.network.geo import load_countries
    from silkrail.network.inputs import content_key

    settings = settings or get_settings()
    src = settings.resolve_countries_file()
    if src is None:
        raise SourceError("country outlines not found: reinstall silkrail or set SILKRAIL_COUNTRIES_FILE")
    # keyed on content: every installation of the same outlines shares the file
    cache = Path(settings.home) / f"outlines-{content_key(Path(src))[:16]}-{TOLERANCE_DEG}.json"
    if cache.exists():
        try:
            return json.loads(cache.read_text())
        except (OSError, json.JSONDecodeError):
            pass
    countries = load_countries(Path(src))
    out = []
    for code, geom in zip(countries.codes, countries.geometries, strict=True):
        simple = shapely.simplify(geom, TOLERANCE_DEG, preserve_topology=False)
        rings = []
        for part in shapely.get_parts(simple):
            if part.is_empty or part.geom_type != "Polygon":
                continue
            coords = shapely.get_coordinates(part.exterior)
            if len(coords) >= 4:
                rings.append([[round(x, 3), round(y, 3)] for x, y in coords])
        out.append({"code": code, "rings": rings})
    # atomically: a process reading the cache meanwhile sees no half-written file
    with atomic_write(cache) as fh:
        fh.write(json.dumps(out, separators=(",", ":")).encode())
    return out


def outlines_to_geojson(outlines: list[dict[str, Any]]) -> dict[str, Any]:
    """The simplified outlines as a GeoJSON FeatureCollection, one MultiPolygon per country (the
    dashboard draws them: the same outlines as the network build and the maps)."""
    features = [
        {
            "type": "Feature",
            "properties": {"code": c["code"]},
            "geometry": {"type": "MultiPolygon", "coordinates": [[ring] for ring in c["rings"]]},
        }
        for c in outlines
        if c["rings"]
    ]
    return {"type": "FeatureCollection", "features": features}
