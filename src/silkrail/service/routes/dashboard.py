"""The dashboard at ``/``, its static files, and Swagger UI at ``/docs`` (all from this
service's own copies: no script from elsewhere)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent.parent / "static"
router = APIRouter(include_in_schema=False)


def mount_static(app: FastAPI) -> None:
    if STATIC.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC), name="static")


def _page(name: str) -> Any:
    page = STATIC / name
    if not page.exists():
        raise HTTPException(404, "dashboard not built: run 'make install'")
    return FileResponse(page)


@router.get("/")
def dashboard() -> Any:
    return _page("index.html")


@router.get("/docs")
def docs() -> Any:
    """Swagger UI, from this service's own copy."""
    return _page("docs.html")
