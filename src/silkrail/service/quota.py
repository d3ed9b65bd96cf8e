"""Per-client limits: a rate in cost units (a token bucket per client) and a cap on heavy
requests in flight, so that no client starves the others.

A client is its token when the request carries one (``token:<id>``), else its address
(``address:<ip>``; behind a trusted proxy, the address the proxy forwards). Each request costs
units by what it asks (``cost_of``): a list of trains 1, a route 5 and 2 more per alternative, a
comparison 15, an OD matrix 20, a forecast 10, a what-if 30.
A request the bucket cannot pay is answered 429 with
``Retry-After``: the seconds until it could. Heavy requests (``pool``) also count against the
client's concurrency cap while they wait and run; beyond it, 429 as well.

The buckets live in the service process: with several instances, a client's rate is per
instance (a reverse proxy in front caps it across them).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

MAX_CLIENTS = 100_000  # buckets kept; beyond, the longest idle is dropped (a full bucket again)


@dataclass(frozen=True)
class ClientPolicy:
    """What one client may do: ``rate`` cost units a second, up to ``burst`` at once, and
    ``concurrency`` heavy requests in flight (waiting or running)."""

    rate: float
    burst: float
    concurrency: int

    def __post_init__(self) -> None:
        if not (self.rate > 0 and self.burst >= 1 and self.concurrency >= 1):
            raise ValueError(
                f"a client policy needs rate > 0, burst >= 1 and concurrency >= 1 (got {self.rate}, "
                f"{self.burst}, {self.concurrency})"
            )

    @classmethod
    def parse(cls, text: str, what: str) -> ClientPolicy:
        """``RATE,BURST,CONCURRENCY`` (``10,60,2``); a ValueError names ``what`` and the form."""
        try:
            rate, burst, conc = (x.strip() for x in text.split(","))
            return cls(float(rate), float(burst), int(conc))
        except ValueError as exc:
            raise ValueError(
                f"{what}={text!r}: give RATE,BURST,CONCURRENCY, for example 10,60,2 ({exc})"
            ) from None


@dataclass(frozen=True)
class Quotas:
    """The per-client policies: for reads without a token, and for each token."""

    anonymous: ClientPolicy = field(
        default_factory=lambda: ClientPolicy(rate=10.0, burst=60.0, concurrency=2)
    )
    token: ClientPolicy = field(
        default_factory=lambda: ClientPolicy(rate=1000.0, burst=5000.0, concurrency=4)
    )


# what a request costs, by path; /health, /ready, the dashboard and its files cost nothing
COSTS = {
    "/api/v1/route": 5,
    "/api/v1/compare": 15,
    "/api/v1/od": 20,
    "/api/v1/trains": 1,
    "/api/v1/gtfs-rt/trip-updates": 5,
    "/api/v1/gtfs-rt/vehicle-positions": 5,
    "/api/v1/forecast": 10,
    "/api/v1/forecast/what-if": 30,
}
PER_ALTERNATIVE = 2
FREE = ("/health", "/ready", "/static/", "/docs")


def cost_of(method: str, path: str, query: bytes) -> float:
    """The units a request costs (0: not counted)."""
    if (
        path in FREE
        or path == "/"
        or path.startswith(FREE[2])
        or not (path.startswith("/api/") or path == "/openapi.json")
    ):
        return 0.0
    cost = COSTS.get(path)
    if cost is None:
        prefix = next((p for p in COSTS if path.startswith(p + "/")), None)
        cost = COSTS[prefix] if prefix else 1
    if path == "/api/v1/trains" and method == "POST":
        cost = 5  # plans a route
    if path == "/api/v1/route" and b"alternatives=" in query:
        raw = parse_qs(query.decode("latin-1")).get("alternatives", ["0"])[-1]
        if raw.isdigit():
            cost += PER_ALTERNATIVE * min(int(raw), 10)
    return float(cost)


class _Bucket:
    __slots__ = ("in_flight", "tokens", "updated")

    def __init__(self, tokens: float, now: float) -> None:
        self.tokens = tokens
        self.updated = now
        self.in_flight = 0


class ClientLimits:
    """The buckets and in-flight counts of every client (one event loop: no lock needed)."""

    def __init__(self, quotas: Quotas, now: Callable[[], float] = time.monotonic) -> None:
        self.quotas = quotas
        self._clients: OrderedDict[str, _Bucket] = OrderedDict()
        self._now = now

    def policy(self, client: str) -> ClientPolicy:
        return self.quotas.token if client.startswith("token:") else self.quotas.anonymous

    def _bucket(self, client: str) -> _Bucket:
        b = self._clients.get(client)
        now = self._now()
        if b is None:
            b = self._clients[client] = _Bucket(self.policy(client).burst, now)
            while len(self._clients) > MAX_CLIENTS:
                oldest, idle = next(iter(self._clients.items()))
                if idle.in_flight:  # never forget a client with work in flight
                    self._clients.move_to_end(oldest)
                    break
                del self._clients[oldest]
        else:
            self._clients.move_to_end(client)
            p = self.policy(client)
            b.tokens = min(p.burst, b.tokens + (now - b.updated) * p.rate)
            b.updated = now
        return b

    def charge(self, client: str, cost: float) -> float:
        """Take ``cost`` units from the client's bucket: 0 when paid, else the seconds until the
        bucket could pay it (nothing is taken then). A cost beyond the burst waits for a full
        bucket."""
        if cost <= 0:
            return 0.0
        b = self._bucket(client)
        p = self.policy(client)
        need = min(cost, p.burst)
        if b.tokens >= need:
            b.tokens -= need
            return 0.0
        return (need - b.tokens) / p.rate

    def enter(self, client: str) -> bool:
        """Count one more heavy request of the client in flight; False when at its cap."""
        b = self._bucket(client)
        if b.in_flight >= self.policy(client).concurrency:
            return False
        b.in_flight += 1
        return True

    def leave(self, client: str) -> None:
        b = self._clients.get(client)
        if b is not None and b.in_flight > 0:
            b.in_flight -= 1

    def in_flight(self, client: str) -> int:
        b = self._clients.get(client)
        return 0 if b is None else b.in_flight


def retry_after(seconds: float) -> str:
    """A Retry-After value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))
