"""The traffic types the transit model knows, and the names they go by at the surface.

A passenger train, a container block train and a wagonload train on the same track run at
different speeds, wait differently at borders and terminals and pay different fares; the model
keeps one set of figures per type. At the command line and over HTTP ``freight`` means a
container block train (what a planner booking boxes gets), and ``any`` (no preference) is
priced as freight too: a route carries cargo unless passengers are asked for.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, TypeAlias, get_args

from silkrail.errors import DataError


class Traffic(StrEnum):
    """A traffic type of the transit model."""

    PASSENGER = "passenger"
    CONTAINER = "container"  # a container block train
    WAGONLOAD = "wagonload"  # single wagons, marshalled on the way


SURFACE_NAMES: dict[str, Traffic] = {
    "passenger": Traffic.PASSENGER,
    "container": Traffic.CONTAINER,
    "wagonload": Traffic.WAGONLOAD,
    "freight": Traffic.CONTAINER,
    "any": Traffic.CONTAINER,
}
"""Every name a caller may give, and the traffic type it means."""


def traffic_of(value: str | Traffic | None) -> Traffic:
    """The traffic type a name means (``None``: the default, a container block train); an
    unknown name raises :class:`DataError` listing the valid ones."""
    if value is None:
        return Traffic.CONTAINER
    if isinstance(value, Traffic):
        return value
    key = str(value).strip().lower()
    if key not in SURFACE_NAMES:
        raise DataError(f"'{value}' is not a traffic type; use {', '.join(SURFACE_NAMES)}", field="traffic")
    return SURFACE_NAMES[key]


def is_freight(traffic: Traffic) -> bool:
    """Whether the traffic carries cargo (priced per TEU) rather than passengers."""
    return traffic is not Traffic.PASSENGER


TrainClass: TypeAlias = Literal["standard", "express", "stopping"]
"""A train's category within its traffic type, as the railways class their own trains:

- ``express``: a passenger train of the premium category (skorostnoy, Talgo, EuroCity, a special
  express, an EMU of the D series on an ordinary line) or a container express with guaranteed
  paths (such as a seven-day Trans-Siberian express);
- ``standard`` (the default): a fast long-distance passenger train (skoryi, K, T, Z, SE, express
  or rapid) or an ordinary container block train;
- ``stopping``: a passenger train that calls at most stations (passazhirskiy, regional, local,
  ordinary).

The category scales a passenger train's running time on lines other than high-speed ones (a
high-speed line's speed already describes its trains) and a container express's on every line,
by a factor fitted to the evidence base."""

TRAIN_CLASSES: tuple[TrainClass, ...] = get_args(TrainClass)

TRAIN_CLASSES_OF: dict[Traffic, tuple[TrainClass, ...]] = {
    Traffic.PASSENGER: ("standard", "express", "stopping"),
    Traffic.CONTAINER: ("standard", "express"),
    Traffic.WAGONLOAD: ("standard",),
}
"""The categories each traffic type has (a container train does not call at stations, wagons are
marshalled at the yards they pass)."""


def train_class_of(value: object, traffic: Traffic = Traffic.PASSENGER) -> TrainClass:
    """A train category checked for its traffic type; a bad one raises :class:`DataError` naming
    the categories the traffic type has."""
    key = str(value).strip().lower() if value is not None else "standard"
    valid = TRAIN_CLASSES_OF[traffic]
    if key not in TRAIN_CLASSES:
        raise DataError(f"'{value}' is not a train class; use {', '.join(TRAIN_CLASSES)}", field="train")
    if key not in valid:
        hint = (
            " (freight and any are priced as a container block train; a stopping train carries "
            "passengers: ask for passenger traffic)"
            if traffic is Traffic.CONTAINER and key == "stopping"
            else ""
        )
        raise DataError(
            f"a {traffic.value} train is not '{key}': a {traffic.value} train is "
            f"{' or '.join(valid)}{hint}",
            field="train",
        )
    return key


__all__ = [
    "SURFACE_NAMES",
    "TRAIN_CLASSES",
    "TRAIN_CLASSES_OF",
    "Traffic",
    "TrainClass",
    "is_freight",
    "traffic_of",
    "train_class_of",
]
