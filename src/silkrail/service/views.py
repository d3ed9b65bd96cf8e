"""Who reads what: a token reads its operator's trains and alerts in full (an admin token, all);
everyone else reads them as the deployment's public view says (``SILKRAIL_PUBLIC_VIEW``):

- ``aggregated`` (the default): every train, its last position rounded to 0.1 degree (about
  11 km) and that position's time to the quarter hour before; every alert, with the plain
  sentence of its kind instead of its message (which may hold figures of the operator's own);
- ``full``: everything in full, for one operator's own deployment (the demo);
- ``none``: nothing; without a token, reads of trains, alerts, the stream and GTFS-Realtime are
  a 401, and a token sees its operator's trains only (another's train is a 404, as one that does
  not exist).

The same view applies to the list and single reads, the WebSocket stream and GTFS-Realtime.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from silkrail.tracking.results import AlertRecord, LastPosition, TrainSummary

if TYPE_CHECKING:
    from silkrail.service.auth import Token
    from silkrail.service.settings import PublicView

ROUND_DEGREES = 1  # decimals of a position others see
QUARTER_S = 15 * 60
KIND_SENTENCES = {
    "late": "expected late",
    "dwell": "a long wait at a stop",
    "silent": "no report for a day or more",
    "off_route": "reported off its planned route",
}


@dataclass(frozen=True)
class Viewer:
    """Who reads: an operator's token, an admin token, or nobody known (``operator`` None)."""

    operator: str | None = None
    admin: bool = False

    @classmethod
    def of(cls, token: Token | None) -> Viewer:
        if token is None:
            return cls()
        return cls(None if token.admin else token.operator, token.admin)

    @property
    def anonymous(self) -> bool:
        return not self.admin and self.operator is None

    def owns(self, operator: str | None) -> bool:
        """Whether this viewer reads a train of ``operator`` in full."""
        return self.admin or (self.operator is not None and operator == self.operator)

    def key(self) -> str:
        """What a cached view depends on."""
        return "admin" if self.admin else f"operator:{self.operator}" if self.operator else "public"


class NotForViewer(Exception):
    """This deployment shows nothing to this viewer (a 401 without a token)."""


def only(viewer: Viewer, policy: PublicView) -> str | None:
    """The operator whose trains alone this viewer may list (None: all of them, in its view);
    NotForViewer when it may list none."""
    if policy != "none" or viewer.admin:
        return None
    if viewer.anonymous:
        raise NotForViewer
    return viewer.operator


def train_view(s: TrainSummary, viewer: Viewer, policy: PublicView) -> TrainSummary | None:
    """The train as ``viewer`` sees it (None: not at all)."""
    if policy == "full" or viewer.owns(s.operator):
        return s
    if policy == "none":
        return None
    pos = s.last_position
    if pos is None:
        return s
    return replace(
        s,
        last_position=LastPosition(
            round(pos.lat, ROUND_DEGREES), round(pos.lon, ROUND_DEGREES), _quarter(pos.time)
        ),
    )


def alert_view(a: AlertRecord, viewer: Viewer, policy: PublicView) -> AlertRecord | None:
    """The alert as ``viewer`` sees it (None: not at all)."""
    if policy == "full" or viewer.owns(a.operator):
        return a
    if policy == "none":
        return None
    return replace(a, message=KIND_SENTENCES.get(a.kind, a.kind))


def _quarter(t: datetime) -> datetime:
    return datetime.fromtimestamp(t.timestamp() // QUARTER_S * QUARTER_S, t.tzinfo)
