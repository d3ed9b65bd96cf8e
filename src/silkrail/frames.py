"""Lazy imports of the table libraries: pandas for ``to_frame()``, GeoPandas for ``to_gdf()``
and GIS exports. Neither is imported by ``import silkrail``; a missing one is named together
with the extra that installs it."""

from __future__ import annotations

import importlib
from types import ModuleType

from silkrail.errors import MissingExtraError

__all__ = ["MissingExtraError", "geopandas", "pandas", "require"]


def require(module: str, extra: str, what: str | None = None) -> ModuleType:
    """``module``, imported now; raises :class:`MissingExtraError` naming ``extra`` if absent
    (and ``what`` needed it: ``Route.to_gdf``)."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        who = f"{what} needs {module}, which" if what else module
        raise MissingExtraError(
            f"{who} is not installed; install silkrail with the '{extra}' extra "
            f"(pip install 'silkrail[{extra}]')"
        ) from exc


def pandas(what: str | None = None) -> ModuleType:
    """pandas (the ``frames`` extra)."""
    return require("pandas", "frames", what)


def geopandas(what: str | None = None) -> ModuleType:
    """GeoPandas (the ``geo`` extra, which brings pandas too)."""
    return require("geopandas", "geo", what)
