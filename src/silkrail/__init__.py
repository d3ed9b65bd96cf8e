"""silkrail: route, track and simulate freight on the Eurasian cross-border rail corridors.

    import silkrail

    net = silkrail.load_network()
    best = silkrail.route(net, "Hanoi", "Moscow", mode="rail", alternatives=2)
    options = silkrail.compare(net, "Hanoi", "Moscow", teu=40)
    matrix = silkrail.od_matrix(net, ["Hanoi", "Almaty"], ["Moscow", "Duisburg"], objective="cost")

Nothing is built or loaded at import time; :func:`load_network` builds (or reads the cached)
network when called. Every function builds one :class:`RouteQuery`, checked once: a bad value
raises :class:`DataError` naming the option, an unknown place :class:`UnknownPlaceError` with
the closest names, and a request no route satisfies :class:`NoRouteError` saying why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, overload

from silkrail._version import __version__
from silkrail.errors import (
    CacheError,
    DataError,
    MissingExtraError,
    NoRouteError,
    SilkrailError,
    SourceError,
    UnknownPlaceError,
)

if TYPE_CHECKING:
    from silkrail.network.model import Network
    from silkrail.routing.places import Place
    from silkrail.routing.query import RouteOptions, RouteQuery
    from silkrail.routing.results import OdMatrix, Route
    from silkrail.settings import Settings
    from silkrail.timetable.journey import Journey

__all__ = [
    "CacheError",
    "DataError",
    "Journey",
    "MissingExtraError",
    "Network",
    "NoRouteError",
    "OdMatrix",
    "Place",
    "Route",
    "RouteOptions",
    "RouteQuery",
    "SilkrailError",
    "SourceError",
    "UnknownPlaceError",
    "__version__",
    "compare",
    "load_network",
    "od_matrix",
    "route",
]

# where each public record lives: imported when first asked for (``silkrail.Route``)
_LAZY = {
    "Journey": "silkrail.timetable.journey",
    "Network": "silkrail.network.model",
    "OdMatrix": "silkrail.routing.results",
    "Place": "silkrail.routing.places",
    "Route": "silkrail.routing.results",
    "RouteOptions": "silkrail.routing.query",
    "RouteQuery": "silkrail.routing.query",
}

def load_network(
    path: str | Path | None = None,
    *,
    settings: Settings | None = None,
    rebuild: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Network:
    """The built network.

    Parameters
    ----------
    path : str or Path, optional
        A network file saved before; by default the cached network under ``$SILKRAIL_HOME``,
        built from the sources when it is missing or its inputs changed (minutes, once).
    settings : Settings, optional
        Where the sources and the cache are (default: from the environment, ``SILKRAIL_*``).
    rebuild : bool
        Build again even if the cache is current.
    progress : callable, optional
        Called with each build step's label (for a progress bar); a cached network calls nothing.

    Returns
    -------
    Network
    """
    from silkrail.network.store import load_network as _load

    return _load(
        None if path is None else Path(path), settings=settings, rebuild=rebuild, progress=progress
    )


@overload
def route(
    net: Network,
    origin: str | Place,
    destination: str | Place,
    *,
    mode: Literal["rail", "sea", "any"] = ...,
    objective: Literal["generalised", "time", "cost", "co2"] | Mapping[str, float] | None = ...,
    traffic: Literal["passenger", "freight", "any"] = ...,
    train: Literal["standard", "express", "stopping"] | None = ...,
    avoid: str | Iterable[str] = ...,
    year: int | None = ...,
    teu: float = ...,
    alternatives: int = ...,
    as_of: dt.date | str | None = ...,
    inland_water: bool = ...,
    depart: None = ...,
    arrive: None = ...,
    closed_crossings: Iterable[str] = ...,
) -> Route: ...


@overload
def route(
    net: Network,
    origin: str | Place,
    destination: str | Place,
    *,
    mode: Literal["rail", "sea", "any"] = ...,
    objective: Literal["generalised", "time", "cost", "co2"] | Mapping[str, float] | None = ...,
    traffic: Literal["passenger", "freight", "any"] = ...,
    train: Literal["standard", "express", "stopping"] | None = ...,
    avoid: str | Iterable[str] = ...,
    year: int | None = ...,
    teu: float = ...,
    alternatives: int = ...,
    as_of: dt.date | str | None = ...,
    inland_water: bool = ...,
    depart: dt.datetime | str | None = ...,
    arrive: dt.datetime | str | None = ...,
    closed_crossings: Iterable[str] = ...,
) -> Route | Journey: ...


def route(
    net: Network,
    origin: str | Place,
    destination: str | Place,
    *,
    mode: Literal["rail", "sea", "any"] = "any",
    objective: Literal["generalised", "time", "cost", "co2"] | Mapping[str, float] | None = None,
    traffic: Literal["passenger", "freight", "any"] = "any",
    train: Literal["standard", "express", "stopping"] | None = None,
    avoid: str | Iterable[str] = (),
    year: int | None = None,
    teu: float = 1.0,
    alternatives: int = 0,
    as_of: dt.date | str | None = None,
    inland_water: bool = False,
    depart: dt.datetime | str | None = None,
    arrive: dt.datetime | str | None = None,
    closed_crossings: Iterable[str] = (),
) -> Route | Journey:
    """The best route from ``origin`` to ``destination``, across gauges, borders and modes.

    Parameters
    ----------
    net : Network
        The network (:func:`load_network`).
    origin, destination : str or Place
        A place name in any script, a station, a UN/LOCODE, ``'lat,lon'``, or a :class:`Place`.
    mode : {'any', 'rail', 'sea'}
        What the route may use: rail (with rail ferries), sea, or both.
    objective : {'generalised', 'time', 'cost', 'co2'} or mapping of str to float, optional
        What to minimise, per TEU; or non-negative weights of several over time, cost, co2,
        borders and transshipments (``{"time": 1, "cost": 0.01}``: an hour weighs as much as
        US$100). Default: the generalised cost (value of time x hours + money + a penalty per
        customs border and transshipment, :mod:`silkrail.routing.generalised`) for freight;
        time for passengers and with ``depart``/``arrive``.
    traffic : {'any', 'passenger', 'freight'}
        The services the route may use (with ``depart``/``arrive``: which timetables).
    train : {'standard', 'express', 'stopping'}, optional
        The train's category (:data:`silkrail.traffic.TrainClass`): an express (premium passenger
        trains, container expresses) or a stopping passenger train runs the lines other than
        high-speed ones faster or slower than a standard one, by a factor fitted to timetables,
        and a scheduled service answers only if it is of that category. None (the default):
        priced as a standard train, any service answers.
    avoid : str or iterable of str
        ISO 3166-1 alpha-2 codes of countries to avoid, by land and by their waters
        (``["KZ", "MN"]`` or ``"KZ,MN"``).
    year : int, optional
        The network as of this year: planned lines open (default: this year).
    teu : float
        Cargo in TEU (costs and CO2 are for the whole cargo).
    alternatives : int
        Also find up to this many routes through other corridors (0 to 10), in
        ``Route.alternatives``.
    as_of : date or str, optional
        Price sea legs at the lane rates of this date (``YYYY-MM-DD``; default: the newest).
    inland_water : bool
        Let water legs use rivers and canals between seas (the Volga-Don).
    depart, arrive : datetime or str, optional
        Leave at, or arrive by, this time (ISO 8601 with its UTC offset): the earliest arrival
        (latest departure) on the scheduled services, the network model where none runs. Give
        one of them at most, with the time objective and no alternatives.
    closed_crossings : iterable of str
        Ids of border crossings the route may not use (closed), as the network's crossings
        name them (``["erenhot-zamyn-uud"]``).

    Returns
    -------
    Route
        Totals with 10th-90th percentile ranges, legs and events; ``to_dict()``,
        ``to_geojson()``, ``to_frame()``, ``to_gdf()``, ``to_file()``. With ``depart`` or
        ``arrive``: a :class:`Journey`, each leg with its departure, arrival and service.

    Raises
    ------
    DataError
        An option is invalid (its ``field`` names it).
    UnknownPlaceError
        A place matches no name (the message lists the closest).
    NoRouteError
        No route satisfies the query (the message says what stands in the way).
    """
    from silkrail.routing.query import RouteQuery
    from silkrail.routing.router import router_for

    query = RouteQuery(
        origin,
        destination,
        mode=mode,
        objective=objective,
        traffic=traffic,
        train=train,
        avoid=avoid,
        year=year,
        teu=teu,
        alternatives=alternatives,
        as_of=as_of,
        inland_water=inland_water,
        depart=depart,
        arrive=arrive,
        closed_crossings=closed_crossings,
    )
    router = router_for(net)
    if query.scheduled:
        from silkrail.timetable.journey import plan

        return plan(router, query)
    from silkrail.timetable.answer import answer_route

    return answer_route(router, query)


def compare(
    net: Network,
    origin: str | Place,
    destination: str | Place,
    *,
    objective: Literal["generalised", "time", "cost", "co2"] | Mapping[str, float] | None = None,
    traffic: Literal["passenger", "freight", "any"] = "any",
    train: Literal["standard", "express", "stopping"] | None = None,
    avoid: str | Iterable[str] = (),
    year: int | None = None,
    teu: float = 1.0,
    as_of: dt.date | str | None = None,
    inland_water: bool = False,
) -> list[Route]:
    """The best rail, sea and rail+sea options between two places, side by side.

    Parameters
    ----------
    net : Network
        The network (:func:`load_network`).
    origin, destination : str or Place
        A place name in any script, a station, a UN/LOCODE, ``'lat,lon'``, or a :class:`Place`.
    objective : {'generalised', 'time', 'cost', 'co2'} or mapping of str to float, optional
        What each option minimises, per TEU (see :func:`route`; default as there).
    traffic : {'any', 'passenger', 'freight'}
        The services the routes may use.
    train : {'standard', 'express', 'stopping'}, optional
        The train's category (:data:`silkrail.traffic.TrainClass`): an express (premium passenger
        trains, container expresses) or a stopping passenger train runs the lines other than
        high-speed ones faster or slower than a standard one, by a factor fitted to timetables,
        and a scheduled service answers only if it is of that category. None (the default):
        priced as a standard train, any service answers.
    avoid : str or iterable of str
        ISO country codes to avoid.
    year : int, optional
        The network as of this year.
    teu : float
        Cargo in TEU.
    as_of : date or str, optional
        Price sea legs at the lane rates of this date.
    inland_water : bool
        Let water legs use rivers and canals between seas.

    Returns
    -------
    list of Route
        The options that exist, each with its ``label``: ``rail``, ``sea``, ``rail+sea``.

    Raises
    ------
    DataError, UnknownPlaceError
        As :func:`route`.
    NoRouteError
        None of the three options exists.
    """
    from silkrail.routing.query import RouteQuery
    from silkrail.routing.router import router_for

    query = RouteQuery(
        origin,
        destination,
        objective=objective,
        traffic=traffic,
        train=train,
        avoid=avoid,
        year=year,
        teu=teu,
        as_of=as_of,
        inland_water=inland_water,
    )
    from silkrail.timetable.answer import answer_compare

    return answer_compare(router_for(net), query)


def od_matrix(
    net: Network,
    origins: Sequence[str | Place],
    destinations: Sequence[str | Place],
    *,
    mode: Literal["rail", "sea", "any"] = "any",
    objective: Literal["generalised", "time", "cost", "co2"] | Mapping[str, float] | None = None,
    traffic: Literal["passenger", "freight", "any"] = "any",
    train: Literal["standard", "express", "stopping"] | None = None,
    avoid: str | Iterable[str] = (),
    year: int | None = None,
    teu: float = 1.0,
    as_of: dt.date | str | None = None,
    inland_water: bool = False,
) -> OdMatrix:
    """Duration, cost, CO2 and distance for every origin-destination pair (one shortest-path
    tree per origin).

    Parameters
    ----------
    net : Network
        The network (:func:`load_network`).
    origins, destinations : sequence of str or Place
        Places as :func:`route` takes them.
    mode : {'any', 'rail', 'sea'}
        What the routes may use.
    objective : {'generalised', 'time', 'cost', 'co2'} or mapping of str to float, optional
        What each route minimises, per TEU (default as for :func:`route`).
    traffic : {'any', 'passenger', 'freight'}
        The services the routes may use.
    train : {'standard', 'express', 'stopping'}, optional
        The train's category (:data:`silkrail.traffic.TrainClass`): an express (premium passenger
        trains, container expresses) or a stopping passenger train runs the lines other than
        high-speed ones faster or slower than a standard one, by a factor fitted to timetables,
        and a scheduled service answers only if it is of that category. None (the default):
        priced as a standard train, any service answers.
    avoid : str or iterable of str
        ISO country codes to avoid.
    year : int, optional
        The network as of this year.
    teu : float
        Cargo in TEU.
    as_of : date or str, optional
        Price sea legs at the lane rates of this date.
    inland_water : bool
        Let water legs use rivers and canals between seas.

    Returns
    -------
    OdMatrix
        Arrays by (origin, destination), NaN where no route; ``to_frame()``, ``to_long()``,
        ``to_gdf()``, ``to_dict()``.

    Raises
    ------
    DataError, UnknownPlaceError
        As :func:`route`.
    """
    from silkrail.routing.query import RouteOptions
    from silkrail.routing.router import router_for

    options = RouteOptions(
        mode=mode,
        objective=objective,
        traffic=traffic,
        train=train,
        avoid=avoid,
        year=year,
        teu=teu,
        as_of=as_of,
        inland_water=inland_water,
    )
    from silkrail.timetable.answer import answer_od

    return answer_od(router_for(net), origins, destinations, options)


def __getattr__(name: str) -> type:
    """The public records, imported on first use (``import silkrail`` stays light)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'silkrail' has no attribute {name!r}")
    import importlib

    record: type = getattr(importlib.import_module(module), name)
    return record


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
