"""Optional dependencies: which silkrail extra provides which package, and one error that says so.

The core install routes, builds and draws maps; the service, the database drivers, charts and
distributed runs need packages from extras, imported only where they are used."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from silkrail.errors import MissingExtraError

EXTRA_OF: dict[str, str] = {
    "fastapi": "service",
    "starlette": "service",
    "uvicorn": "service",
    "websockets": "service",
    "sqlalchemy": "service",
    "alembic": "service",
    "httpx": "service",
    "matplotlib": "viz",
    "dask": "dist",
    "distributed": "dist",
    "psycopg": "postgres",
    "google": "service",  # google.transit: gtfs-realtime-bindings, the GTFS-Realtime messages
    "pandas": "frames",
    "geopandas": "geo",
    "pyogrio": "geo",
    "pyarrow": "geo",
    "numba": "fast",
}
"""Top-level module -> the extra in pyproject.toml that installs it."""


@contextmanager
def needs_extra(purpose: str) -> Iterator[None]:
    """Imports inside this block that fail for want of an optional package raise
    :class:`MissingExtraError` naming the extra, e.g. "silkrail replay needs httpx: pip install
    'silkrail[service]'"; any other import error passes through unchanged."""
    try:
        yield
    except ModuleNotFoundError as exc:
        top = (exc.name or "").split(".")[0]
        extra = EXTRA_OF.get(top)
        if extra is None:
            raise
        raise MissingExtraError(
            f"{purpose} needs the Python package '{top}', which is not installed: "
            f"pip install 'silkrail[{extra}]'"
        ) from exc
