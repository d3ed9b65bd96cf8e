"""The traffic types the transit model knows, and the names they go by at the surface.

A passenger train, a container block train and a wagonload train on the same track run at
different speeds, wait differently at borders and terminals and pay different fares; the model
keeps one set of figures per type. At the command line and over HTTP ``freight`` means a
container block train (what a planner booking boxes gets), and ``any`` (no preference) is
priced as freight too: a route carries cargo unless passengers are asked for.
"""

from __future__ import annotations

from enum import StrEnum

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


__all__ = ["SURFACE_NAMES", "Traffic", "is_freight", "traffic_of"]
