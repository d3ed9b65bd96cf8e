"""silkrail: route, track and simulate freight on the Eurasian cross-border rail corridors.

Nothing is built or loaded at import time; call :func:`load_network` when you need it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from silkrail._version import __version__
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
    from silkrail.routing.results import OdMatrix, Route

__all__ = [
    "CacheError",
    "DataError",
    "Network",
    "NoRouteError",
    "SilkrailError",
    "SourceError",
    "UnknownPlaceError",
    "__version__",
    "compare",
    "load_network",
    "od_matrix",
    "route",
]


def load_network(path: Any = None, **options: Any) -> Network:
    """The built network (see :func:`silkrail.network.store.load_network`)."""
    from silkrail.network.store import load_network as _load

    return _load(path, **options)


def route(net: Network, origin: Any, destination: Any, **options: Any) -> Route:
    """The best route from ``origin`` to ``destination`` (names, UN/LOCODEs or 'lat,lon').

    Options: ``objective`` ('time', 'cost', 'co2' or a dict of weights), ``mode`` ('rail',
    'sea', 'any'), ``avoid`` (ISO country codes), ``year``, ``teu``, ``alternatives``,
    ``inland_water`` (let water legs use rivers and canals between seas).
    """
    from silkrail.routing.router import router_for

    return router_for(net).route(origin, destination, **options)


def compare(net: Network, origin: Any, destination: Any, **options: Any) -> list[Route]:
    """The best rail, sea and rail+sea routes, each with a ``label``."""
    from silkrail.routing.router import router_for

    return router_for(net).compare(origin, destination, **options)


def od_matrix(net: Network, origins: Any, destinations: Any, **options: Any) -> OdMatrix:
    """Duration, cost, CO2 and distance for every origin-destination pair (``to_frame()`` and
    ``to_long()`` give it as tables)."""
    from silkrail.routing.router import router_for

    return router_for(net).od_matrix(origins, destinations, **options)


def __getattr__(name: str) -> Any:
    if name == "Network":
        from silkrail.network.model import Network

        return Network
    raise AttributeError(f"module 'silkrail' has no attribute {name!r}")
