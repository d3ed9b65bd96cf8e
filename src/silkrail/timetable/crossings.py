"""Minimum transfer times at border crossings and breaks of gauge.

A change of train at a stop that is a border crossing or a break of gauge takes longer than the
flat minimum: a container changing trains there clears customs and is transshipped (or its wagon's
bogies exchanged); a traveller changing trains at a border goes through exit and entry control. The
figures come from the network's crossing records (or the cost model's resolution of them, which
prefers published figures), never from a per-lane constant. A through train's own stop at the
crossing is already in its timetable: only a change of train pays this."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from silkrail.network.geo import haversine_km
from silkrail.network.records import Crossing
from silkrail.timetable.feed import Feed

logger = logging.getLogger("silkrail.timetable.crossings")

CROSSING_KM = 20.0
"""A stop this close to a crossing's point is its border or gauge-change station: the point lies
between the two sides' stations, which stand a few kilometres from the line (Pingxiang and Dong
Dang, Erenhot and Zamyn-Uud, Dostyk and Alashankou); a city station farther away is not."""

CrossingHours = Callable[[Crossing], tuple[float, float]]
"""(customs dwell, gauge change) in hours for one crossing record."""


@dataclass(frozen=True)
class CrossingStop:
    """A feed's stop at a crossing: what a change of train there adds, by traffic."""

    stop: str
    crossing: str
    name: str
    customs_h: float
    gauge_change_h: float
    border: bool  # between two countries (passengers pass exit and entry control)


def record_hours(c: Crossing) -> tuple[float, float]:
    """(customs dwell, gauge change) from the record alone: its dwell, and its gauge-change time
    where the crossing changes gauge and gives one (an uncurated break's dwell is the change)."""
    change = float(c.gauge_change_h) if c.changes_gauge and c.gauge_change_h is not None else 0.0
    return float(c.dwell_h), change


def model_hours(model: object) -> CrossingHours:
    """(customs dwell, gauge change) as the cost model resolves them (published figures first,
    then customs unions, then the fitted border dwell): the same hours the network model's
    routes pay at the crossing. ``model`` is a :class:`~silkrail.routing.costs.CostModel`."""

    def hours(c: Crossing) -> tuple[float, float]:
        dwell, change = model.crossing_dwell(c)  # type: ignore[attr-defined]
        gauge = float(change.value) if change is not None and c.changes_gauge else 0.0
        return float(dwell.value), gauge

    return hours


def crossing_stops(
    feed: Feed, crossings: Iterable[Crossing], hours: CrossingHours = record_hours
) -> list[CrossingStop]:
    """Each stop of the feed that lies within :data:`CROSSING_KM` of an open crossing, with the
    nearest one's hours."""
    open_ = [c for c in crossings if c.status == "open"]
    if not open_ or not feed.stops:
        return []
    lat = np.array([c.lat for c in open_])
    lon = np.array([c.lon for c in open_])
    out = []
    for s in feed.stops:
        km = haversine_km(s.lat, s.lon, lat, lon)
        j = int(np.argmin(km))
        if km[j] > CROSSING_KM:
            continue
        c = open_[j]
        customs, gauge = hours(c)
        border = c.kind == "border" and len(set(c.countries)) == 2
        out.append(CrossingStop(s.id, c.id, c.name, customs, gauge, border))
    logger.debug("%d of %d stops lie at a crossing", len(out), len(feed.stops))
    return out


def crossing_transfer_s(feed: Feed, traffic: str, at: Iterable[CrossingStop]) -> np.ndarray:
    """Seconds a change of train adds at each stop of the feed: for freight the customs dwell and
    the gauge change, for passengers the feed's border formalities at a border (nothing at a
    break of gauge inside one country: the traveller walks across the platform); for any
    traffic the smaller of the two, as with the flat minimum."""
    index = {s.id: i for i, s in enumerate(feed.stops)}
    out = np.zeros(len(feed.stops))
    for x in at:
        freight = (x.customs_h + x.gauge_change_h) * 3600.0
        passenger = float(feed.passenger_border_s) if x.border else 0.0
        value = {"freight": freight, "passenger": passenger}.get(traffic, min(freight, passenger))
        out[index[x.stop]] = value
    return out
