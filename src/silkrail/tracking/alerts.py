"""Alert rules, without I/O: each rule says whether a train's situation deserves an alert, and a
train raises each kind of alert once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from silkrail.tracking.values import Doc

if TYPE_CHECKING:
    from silkrail.tracking.eta import Stop

LATE_H = 12.0  # an ETA this many hours past the planned arrival
OFF_ROUTE_KM = 50.0  # a position this far from the planned route
SILENT_H = 24.0  # a running train with no event for this long
KINDS = ("late", "dwell", "silent", "off_route")


@dataclass(frozen=True)
class NewAlert:
    """An alert a rule raised, before it is stored (and numbered)."""

    train_id: str
    kind: str
    message: str
    time: datetime

    def to_dict(self) -> Doc:
        return {"train_id": self.train_id, "kind": self.kind, "message": self.message, "time": self.time}


def off_route(train_id: str, off_km: float, t: datetime) -> NewAlert | None:
    """A position more than OFF_ROUTE_KM from the planned route."""
    if off_km <= OFF_ROUTE_KM:
        return None
    return NewAlert(train_id, "off_route", f"position {off_km:,.0f} km off the planned route", t)


def long_dwell(train_id: str, observed_h: float, stop: Stop, left: datetime) -> NewAlert | None:
    """A wait at a stop beyond its expected 95th percentile."""
    if observed_h <= stop.p95_h:
        return None
    return NewAlert(
        train_id,
        "dwell",
        f"{observed_h:,.1f} h at {stop.name}, beyond its expected 95th percentile of {stop.p95_h:,.1f} h",
        left,
    )


def late(train_id: str, delay_h: float, eta: datetime, t: datetime) -> NewAlert | None:
    """An ETA more than LATE_H hours after the planned arrival."""
    if delay_h <= LATE_H:
        return None
    return NewAlert(train_id, "late", f"expected {delay_h:,.1f} h late (ETA {eta:%Y-%m-%d %H:%M} UTC)", t)


def silent(train_id: str, last: datetime | None, now: datetime) -> NewAlert | None:
    """No event for SILENT_H hours or more (a train that never reported is not silent: it has
    not started)."""
    if last is None:
        return None
    quiet_h = (now - last).total_seconds() / 3600
    if quiet_h < SILENT_H:
        return None
    return NewAlert(train_id, "silent", f"no event for {quiet_h:,.0f} h", now)


def raise_once(
    alerted: frozenset[str], alert: NewAlert | None
) -> tuple[frozenset[str], tuple[NewAlert, ...]]:
    """(the kinds raised, the alerts to store): an alert of a kind the train has raised already
    is not raised again."""
    if alert is None or alert.kind in alerted:
        return alerted, ()
    return alerted | {alert.kind}, (alert,)
