"""Lazy imports of the table libraries: pandas for ``to_frame()``, GeoPandas for ``to_gdf()``
and GIS exports. Neither is imported by ``import silkrail``; a missing one is named together
with the extra that installs it."""

from __future__ import annotations

import importlib
from types import ModuleType

from silkrail.errors import MissingExtraError

__all__ = ["MissingExtraError", "geopandas", "pandas", "require"]


def require(module: str, extra: str) -> ModuleType:
    """``module``, imported now; raises :class:`MissingExtraError` naming ``extra`` if absent."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"{module} is not installed; install silkrail with the '{extra}' extra "
            f"(pip install 'silkrail[{extra}]')"
        ) from exc


def pandas() -> ModuleType:
    """pandas (the ``frames`` extra)."""
    return require("pandas", "frames")


def geopandas() -> ModuleType:
    """GeoPandas (the ``geo`` extra)."""
    return require("geopandas", "geo")
