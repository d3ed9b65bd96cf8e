"""``ServiceSettings``: what one service process needs, from arguments or the environment.

The environment variables (all optional) and their defaults:

==================================  ======================================================
``SILKRAIL_DB``                     the database URL (SQLite in ``$SILKRAIL_HOME`` by default)
``SILKRAIL_API_TOKEN``              an admin token (32 characters at least)
``SILKRAIL_API_TOKENS_FILE``        operators' tokens, one a line (``service.auth``)
``SILKRAIL_INGEST_PROCESSES``       processes storing event batches (0: in the service's own)
``SILKRAIL_READ_WORKERS``           heavy-read workers: routes, comparisons, OD, GTFS-RT (1)
``SILKRAIL_READ_QUEUE``             heavy reads waiting for a worker, beyond which 503 (8)
``SILKRAIL_READ_DEADLINE_S``        a heavy read's deadline, waiting included (30)
``SILKRAIL_QUOTA_ANONYMOUS``        a client without a token: units/s, burst, heavy in flight (10,60,2)
``SILKRAIL_QUOTA_TOKEN``            a client with a token: the same (1000,5000,4)
``SILKRAIL_PUBLIC_VIEW``            what reads without a token see: aggregated, full or none
``SILKRAIL_TRAINS_PER_OPERATOR``    trains an operator may have under way (1000)
``SILKRAIL_EVENTS_PER_TRAIN``       events stored for one train (200000)
``SILKRAIL_FORECAST_EVERY_S``       seconds between forecast refreshes (300; 0: on request only)
``SILKRAIL_FORECAST_MIN_GAP_S``     seconds at least between two refreshes (30)
``SILKRAIL_FORECAST_REPLICATIONS``  replications of a forecast or what-if (100)
``SILKRAIL_FORECAST_HORIZON_H``     hours a forecast looks ahead (72)
``SILKRAIL_FORECAST_SCHEDULER``     a Dask scheduler (tcp://HOST:PORT) for the replications
==================================  ======================================================

The server's connection limits (``service.protocol``) read their own variables.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from silkrail.service.auth import Token, admin_token, check_secret, load_tokens_file
from silkrail.service.limits import MAX_BODY_BYTES
from silkrail.service.quota import ClientPolicy, Quotas
from silkrail.tracking.tracker import TrackerLimits

PublicView = Literal["aggregated", "full", "none"]
PUBLIC_VIEWS: tuple[PublicView, ...] = ("aggregated", "full", "none")


@dataclass
class ServiceSettings:
    """What the service needs: a database URL, the write tokens, and where the network lives.
    ``tokens`` holds Token records (see ``service.auth``); a plain string is an admin token."""

    db_url: str
    tokens: frozenset[str] | tuple[Token, ...]
    home: Path
    network_path: Path | None = None
    ingest_processes: int = 0  # 0: batches are stored in the service's own process
    silent_check_s: float = 60.0
    relay_s: float = 0.5  # how often changes are pushed to WebSocket clients
    max_body_bytes: int = MAX_BODY_BYTES
    read_workers: int = 2  # workers computing heavy reads
    read_processes: bool = False  # in processes of their own (``silkrail serve``), else threads here
    read_queue: int = 8
    read_deadline_s: float = 30.0
    quotas: Quotas = field(default_factory=Quotas)
    public_view: PublicView = "aggregated"
    trains_per_operator: int = 1000
    events_per_train: int = 200_000
    forecast_every_s: float = 300.0  # 0: no refresh on a timer, a forecast is made when asked for
    forecast_min_gap_s: float = 30.0  # ingest asks for refreshes no more often than this
    forecast_replications: int = 100
    forecast_horizon_h: float = 72.0
    forecast_scheduler: str | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def tracker_limits(self) -> TrackerLimits:
        """The per-operator quotas the tracker keeps."""
        return TrackerLimits(self.trains_per_operator, self.events_per_train)

    @property
    def grants(self) -> tuple[Token, ...]:
        """The write tokens as Token records."""
        return tuple(t if isinstance(t, Token) else admin_token(t) for t in self.tokens)

    @classmethod
    def from_env(cls, db_url: str | None = None, home: Path | None = None) -> ServiceSettings:
        """The settings from the environment (the module docstring lists the variables); a bad
        value is a ValueError naming the variable and what would be valid."""
        from silkrail.settings import get_settings
        from silkrail.tracking.store import default_url

        s = get_settings()
        h = home or s.home
        tokens: list[Token] = []
        secret = os.environ.get("SILKRAIL_API_TOKEN", "")
        if secret:
            try:
                check_secret(secret)
            except ValueError as exc:
                raise ValueError(f"SILKRAIL_API_TOKEN: {exc}") from None
            tokens.append(admin_token(secret, "env"))
        tokens_file = os.environ.get("SILKRAIL_API_TOKENS_FILE")
        if tokens_file:
            tokens += load_tokens_file(Path(tokens_file))  # a missing file is an error, not no tokens
        view = os.environ.get("SILKRAIL_PUBLIC_VIEW", "aggregated")
        if view not in PUBLIC_VIEWS:
            raise ValueError(f"SILKRAIL_PUBLIC_VIEW={view!r}: give one of {', '.join(PUBLIC_VIEWS)}")
        quotas = Quotas()
        return cls(
            db_url=db_url or default_url(h),
            tokens=tuple(tokens),
            home=h,
            ingest_processes=_whole("SILKRAIL_INGEST_PROCESSES", 0, 0, 64),
            read_workers=_whole("SILKRAIL_READ_WORKERS", 1, 1, 64),
            read_processes=True,
            read_queue=_whole("SILKRAIL_READ_QUEUE", 8, 0, 10_000),
            read_deadline_s=float(_whole("SILKRAIL_READ_DEADLINE_S", 30, 1, 3600)),
            quotas=Quotas(
                anonymous=_policy("SILKRAIL_QUOTA_ANONYMOUS", quotas.anonymous),
                token=_policy("SILKRAIL_QUOTA_TOKEN", quotas.token),
            ),
            public_view=view,  # checked above
            trains_per_operator=_whole("SILKRAIL_TRAINS_PER_OPERATOR", 1000, 1, 10_000_000),
            events_per_train=_whole("SILKRAIL_EVENTS_PER_TRAIN", 200_000, 1, 1_000_000_000),
            forecast_every_s=float(_whole("SILKRAIL_FORECAST_EVERY_S", 300, 0, 86_400)),
            forecast_min_gap_s=float(_whole("SILKRAIL_FORECAST_MIN_GAP_S", 30, 0, 86_400)),
            forecast_replications=_whole("SILKRAIL_FORECAST_REPLICATIONS", 100, 1, 2000),
            forecast_horizon_h=float(_whole("SILKRAIL_FORECAST_HORIZON_H", 72, 1, 720)),
            forecast_scheduler=_scheduler("SILKRAIL_FORECAST_SCHEDULER"),
        )


def _whole(name: str, default: int, low: int, high: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValueError(f"{name}={raw!r}: give a whole number from {low:,} to {high:,}")
    return int(raw)


def _scheduler(name: str) -> str | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    from silkrail.simulation.scheduler import parse_scheduler

    try:
        return parse_scheduler(raw)
    except ValueError as exc:
        raise ValueError(f"{name}={raw!r}: {exc}") from None


def _policy(name: str, default: ClientPolicy) -> ClientPolicy:
    raw = os.environ.get(name, "").strip()
    return ClientPolicy.parse(raw, name) if raw else default
