"""The options the routing commands share, declared once (name, choices, help), and the one
place a command line becomes a :class:`~silkrail.routing.query.RouteQuery`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from silkrail.commands.console import fail, json_mode
from silkrail.errors import DataError

if TYPE_CHECKING:
    from silkrail.routing.query import RouteOptions, RouteQuery

PLACE_HELP = "place name, station, UN/LOCODE or 'lat,lon'"


class ModeChoice(StrEnum):
    """What a route may use (``--mode``)."""

    rail = "rail"
    sea = "sea"
    any = "any"


class ObjectiveChoice(StrEnum):
    """What an analysis minimises and measures its losses in (``--optimize`` of ``resilience``
    and ``corridors compare``)."""

    time = "time"
    cost = "cost"
    co2 = "co2"


class RouteObjectiveChoice(StrEnum):
    """What a route minimises (``--optimize`` of ``route``, ``compare``, ``corridor`` and
    ``dependency``); without it, the query's default objective."""

    generalised = "generalised"
    time = "time"
    cost = "cost"
    co2 = "co2"


class TrafficChoice(StrEnum):
    """The services a route may use (``--traffic``)."""

    passenger = "passenger"
    freight = "freight"
    any = "any"


class TrainChoice(StrEnum):
    """A train's category (``--train``): see :data:`silkrail.traffic.TrainClass`."""

    standard = "standard"
    express = "express"
    stopping = "stopping"


Origin = Annotated[str, typer.Argument(help=PLACE_HELP, metavar="ORIGIN", show_default=False)]
Destination = Annotated[str, typer.Argument(help=PLACE_HELP, metavar="DESTINATION", show_default=False)]
Mode = Annotated[ModeChoice, typer.Option(help="what the route may use")]
Optimize = Annotated[
    ObjectiveChoice, typer.Option("--optimize", help="what to minimise, per TEU (the route's 'objective')")
]
RouteOptimize = Annotated[
    RouteObjectiveChoice | None,
    typer.Option(
        "--optimize",
        help="what to minimise per TEU (the route's 'objective'). Default: generalised for freight (value of "
        "time x hours + money + a penalty per customs border and transshipment, fitted to published "
        "services); time for passengers and with --depart/--arrive",
        show_default=False,
    ),
]
Traffic = Annotated[
    TrafficChoice, typer.Option(help="the services to use: passenger trains, freight trains, or either")
]
Train = Annotated[
    TrainChoice | None,
    typer.Option(
        help="the train's category: express (premium passenger trains, container expresses), standard, "
        "or stopping (passenger trains calling at most stations); a scheduled service of that "
        "category answers, where one runs (default: none named, priced as standard, any service)",
        show_default=False,
    ),
]
Avoid = Annotated[
    str, typer.Option(help="ISO country codes to avoid, comma-separated (e.g. KZ,MN)", show_default=False)
]
Year = Annotated[
    int | None, typer.Option(help="the network as of this year (planned lines open)", show_default=False)
]
Teu = Annotated[float, typer.Option(help="cargo in TEU")]
Alternatives = Annotated[int, typer.Option(help="also find K routes through other corridors (0-10)")]
AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of", help="price sea legs at the lane rates of this date (YYYY-MM-DD)", show_default=False
    ),
]
InlandWater = Annotated[
    bool, typer.Option("--inland-water", metavar="", help="let water legs use rivers and canals between seas")
]
Depart = Annotated[
    str | None,
    typer.Option(
        help="leave at this time (ISO 8601 with offset): the earliest arrival by the timetable",
        show_default=False,
    ),
]
Arrive = Annotated[
    str | None,
    typer.Option(
        help="arrive by this time (ISO 8601 with offset): the latest departure by the timetable",
        show_default=False,
    ),
]
AsJson = Annotated[
    bool, typer.Option("--json", metavar="", help="print JSON (an error too, on stdout)", callback=json_mode)
]
MapFile = Annotated[
    Path | None, typer.Option("--map", help="write a standalone HTML map", show_default=False)
]

FLAGS = {
    "objective": "--optimize",
    "as_of": "--as-of",
    "inland_water": "--inland-water",
}
"""The query's fields whose option has another name than ``--field``."""


def flag(field: str | None) -> str | None:
    """The command line's name of a query field."""
    if field is None:
        return None
    return FLAGS.get(field, "--" + field.replace("_", "-"))


def route_query(origin: str, destination: str, **options: object) -> RouteQuery:
    """The query of a command line (``avoid`` as the comma-separated text it was given), or a
    clean exit naming the option that is wrong."""
    from silkrail.routing.query import RouteQuery

    try:
        return RouteQuery(origin, destination, **options)  # type: ignore[arg-type]
    except DataError as exc:
        fail(_on_the_command_line(exc))


def route_options(**options: object) -> RouteOptions:
    """The options of a command line without its places (a matrix, a flow set)."""
    from silkrail.routing.query import RouteOptions

    try:
        return RouteOptions(**options)  # type: ignore[arg-type]
    except DataError as exc:
        fail(_on_the_command_line(exc))


def _on_the_command_line(exc: DataError) -> DataError:
    """``exc`` with the field named as its option is (``--optimize`` for ``objective``)."""
    if exc.field in ("origin", "destination"):
        return DataError(exc.reason, field=exc.field.upper())
    return DataError(exc.reason, field=flag(exc.field))
