"""silkrail: route, track and simulate freight on the Eurasian cross-border rail corridors.

Nothing is built or loaded at import time; call :func:`load_network` when you need it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from silkrail.errors import (
    CacheError,
    DataError,
    NoRouteError,
    SilkrailError,
    SourceError,
    UnknownPlaceError,
)

if TYPE_CHECKING:
    from silkrail.network.model import Network

__all__ = [
    "CacheError",
    "DataError",
    "Network",
    "NoRouteError",
    "SilkrailError",
    "SourceError",
    "UnknownPlaceError",
    "load_network",
]
__version__ = "0.1.0"


def load_network(path: Any = None, **options: Any) -> Network:
    """The built network (see :func:`silkrail.network.store.load_network`)."""
    from silkrail.network.store import load_network as _load

    return _load(path, **options)


def __getattr__(name: str) -> Any:
    if name == "Network":
        from silkrail.network.model import Network

        return Network
    raise AttributeError(f"module 'silkrail' has no attribute {name!r}")
