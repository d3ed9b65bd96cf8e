"""The dashboard's files and country outlines, served from the package alone (no database, no
network build): every asset the pages name is there, and the outlines are the packaged ones."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from silkrail.service.routes import dashboard


def _client(home: Path) -> TestClient:
    app = FastAPI(docs_url=None, redoc_url=None)  # as the service: /docs is the dashboard module's
    dashboard.install(app, home=home)
    return TestClient(app)


def test_every_asset_the_pages_name_is_served(tmp_path: Path) -> None:
    """/ and /docs load only files of this service, and each of them answers 200 with its type;
    the vendored libraries ship with their licences."""
    c = _client(tmp_path)
    types = {".js": "javascript", ".css": "text/css"}
    for page in ("/", "/docs"):
        r = c.get(page)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assets = re.findall(r'(?:src|href)="([^"]+)"', r.text)
        assert assets and all(a.startswith("/static/") for a in assets), assets
        for asset in assets:
            got = c.get(asset)
            assert got.status_code == 200, asset
            assert types[Path(asset).suffix] in got.headers["content-type"], asset
    for lib in ("leaflet", "swagger-ui"):
        assert c.get(f"/static/vendor/{lib}/LICENSE").status_code == 200
    assert c.get("/static/vendor/countries-50m.json").status_code == 404


def test_outlines_are_the_packaged_countries_as_geojson(tmp_path: Path) -> None:
    """GET /api/v1/outlines: one MultiPolygon per country of the packaged outlines, gzipped for
    a client that accepts it, and the same document either way."""
    c = _client(tmp_path)
    plain = c.get("/api/v1/outlines", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and plain.headers["content-type"] == "application/geo+json"
    assert "content-encoding" not in plain.headers
    doc = plain.json()
    codes = [f["properties"]["code"] for f in doc["features"]]
    assert {"VN", "CN", "MN", "KZ", "RU", "GE", "DE"} <= set(codes) and len(codes) == len(set(codes))
    for f in doc["features"]:
        assert f["geometry"]["type"] == "MultiPolygon"
        for polygon in f["geometry"]["coordinates"]:
            ring = polygon[0]
            assert len(ring) >= 4 and ring[0] == ring[-1]
            assert all(-180 <= x <= 180 and -90 <= y <= 90 for x, y in ring)
    raw = c.get("/api/v1/outlines", headers={"Accept-Encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip"
    assert raw.json() == doc  # the client decodes; the body on the wire is gzip
