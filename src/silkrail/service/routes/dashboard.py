"""The dashboard at /, the API docs at /docs, their static files (shipped in the package, third-party
ones with their licences in ``static/vendor``) and the country outlines the dashboard's map draws."""

from __future__ import annotations

import gzip
import json
import threading
from pathlib import Path

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent.parent / "static"


class _Outlines:
    """The packaged country outlines, simplified, as GeoJSON bytes (plain and gzipped), made on the
    first request: drawing them needs a few seconds of geometry work the service's start can skip."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self._lock = threading.Lock()
        self._plain = b""
        self._gzipped = b""

    def get(self) -> tuple[bytes, bytes]:
        with self._lock:
            if not self._plain:
                from silkrail.settings import get_settings
                from silkrail.viz.outlines import outlines_to_geojson, simplified_outlines

                doc = outlines_to_geojson(simplified_outlines(get_settings(home=self.home)))
                self._plain = json.dumps(doc, separators=(",", ":")).encode()
                self._gzipped = gzip.compress(self._plain, 6)
            return self._plain, self._gzipped


def _page(name: str) -> FileResponse:
    page = STATIC / name
    if not page.is_file():
        raise HTTPException(
            404, f"the dashboard file {name} is missing from this installation: reinstall silkrail"
        )
    return FileResponse(page)


def install(app: FastAPI, *, home: Path) -> None:
    """Serve the dashboard, the docs page, ``/static`` and ``GET /api/v1/outlines`` on ``app``."""
    outlines = _Outlines(home)
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    def dashboard() -> FileResponse:
        return _page("index.html")

    @router.get("/docs")
    def docs() -> FileResponse:
        """Swagger UI, from this service's own copy (no script from elsewhere)."""
        return _page("docs.html")

    @router.get("/api/v1/outlines")
    def get_outlines(request: Request) -> Response:
        plain, gzipped = outlines.get()
        headers = {"Cache-Control": "max-age=86400", "Vary": "Accept-Encoding"}
        if "gzip" in request.headers.get("accept-encoding", ""):
            return Response(
                gzipped, media_type="application/geo+json", headers=headers | {"Content-Encoding": "gzip"}
            )
        return Response(plain, media_type="application/geo+json", headers=headers)

    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
