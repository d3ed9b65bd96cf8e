"""The service's live forecast: computed in the read pool (``service.pool``) from the tracker's
trains, kept in the service process, refreshed on a timer and soon after an ingest batch moves a
train past a crossing, and never in ingest's way.

- The refresh is a job of the read pool like any heavy read: it waits for a free worker, within
  the pool's queue limit and deadline. Its simulation runs in a thread of lowered priority
  (``FORECAST_NICE``), so ingest processes get the cores first.
- Ingest only pokes the keeper (an event set, no work): a batch with a border exit, a finished
  gauge change or an arrival asks for a refresh, at most one per ``forecast_min_gap_s``.
- ``GET /api/v1/forecast`` answers the kept forecast while it is fresh (younger than twice the
  refresh period, and at least two minutes); an older or missing one is computed for that
  request, in the pool, and kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import pickle
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from pydantic import JsonValue

from silkrail.forecast.result import iso_time
from silkrail.service.forecast_schemas import AffectedOut, CrossingForecastOut, TrainForecastOut, WhatIfOut
from silkrail.service.pool import Answer, ReadContext
from silkrail.service.views import ROUND_DEGREES

if TYPE_CHECKING:
    from silkrail.forecast.result import Forecast, TrainForecast
    from silkrail.service.deps import Runtime
    from silkrail.service.settings import PublicView, ServiceSettings
    from silkrail.service.views import Viewer

log = logging.getLogger("silkrail.service")
KEEPER_CLIENT = "service:forecast"
FORECAST_NICE = 10
MIN_FRESH_S = 120.0
MOVED = (b'"border_exit"', b'"gauge_change_done"', b'"arrived"')
T = TypeVar("T")


@dataclass(frozen=True)
class KnownCrossing:
    """A curated crossing as the forecast keeps it (to tell an unknown crossing from one no
    train passes)."""

    name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class ForecastContent:
    """What a forecast job answers: the document as JSON bytes (answered as it is), the
    forecast's records pickled (read only when a view, a crossing or a train is asked for: no
    work for the service process while ingest runs), the curated crossings, and whose each train
    is."""

    document: bytes
    records: bytes
    known: dict[str, KnownCrossing]
    operators: dict[str, str | None]


@dataclass(frozen=True)
class WhatIfContent:
    """What a what-if job answers: the answer as the API declares it, and whose each train is."""

    what_if: WhatIfOut
    operators: dict[str, str | None]


@dataclass(frozen=True)
class ForecastOptions:
    """What a forecast job needs besides the read context (plain data, sent to a worker)."""

    horizon_h: float = 72.0
    replications: int = 100
    seed: int = 0
    scheduler: str | None = None
    nice: bool = True

    @classmethod
    def of(cls, settings: ServiceSettings, *, nice: bool = True) -> ForecastOptions:
        return cls(
            settings.forecast_horizon_h,
            settings.forecast_replications,
            0,
            settings.forecast_scheduler,
            nice,
        )


def low_priority(work: Callable[[], T], nice: bool = True) -> T:
    """``work()`` in a thread of its own whose priority is lowered by FORECAST_NICE (Linux keeps a
    nice value per thread; elsewhere, or when not allowed, it runs as it is)."""
    if not nice:
        return work()
    values: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        with contextlib.suppress(AttributeError, OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), FORECAST_NICE)
        try:
            values.append(work())
        except BaseException as exc:  # raised again in the caller's thread
            errors.append(exc)

    worker = threading.Thread(target=run, name="silkrail-forecast", daemon=True)
    worker.start()
    worker.join()
    if errors:
        raise errors[0]
    return values[0]


def forecast_job(ctx: ReadContext, options: ForecastOptions) -> Answer:
    """The live forecast of the service's trains (in a read worker), with the curated crossings'
    ids, names and places (to tell an unknown crossing from one no train passes). All of it, the
    reading of the live state included, runs at lowered priority."""
    net = ctx.network()
    tracker = ctx.tracker()

    def work() -> ForecastContent:
        from silkrail.forecast import run_forecast, snapshot

        state = snapshot(tracker, net, horizon_h=options.horizon_h)
        forecast = run_forecast(
            state, replications=options.replications, seed=options.seed, scheduler=options.scheduler
        )
        known = {
            c.id: KnownCrossing(c.name, round(c.lat, 5), round(c.lon, 5)) for c in net.crossings if c.curated
        }
        return ForecastContent(
            document=_json(forecast.to_dict()),
            records=pickle.dumps(forecast, protocol=pickle.HIGHEST_PROTOCOL),
            known=known,
            operators={t.id: t.operator for t in state.trains},
        )

    return Answer(content=low_priority(work, options.nice))


def what_if_job(ctx: ReadContext, body: dict[str, JsonValue], options: ForecastOptions) -> Answer:
    """A what-if on the service's live state (in a read worker)."""
    net = ctx.network()
    tracker, router = ctx.tracker(), ctx.router()

    def work() -> WhatIfContent:
        from silkrail.forecast import WhatIfRequest, snapshot, what_if

        request = WhatIfRequest.model_validate(body)
        state = snapshot(tracker, net, horizon_h=options.horizon_h)
        result = what_if(
            state, request, net=net, router=router, replications=options.replications, seed=options.seed
        )
        return WhatIfContent(
            WhatIfOut.model_validate(result.to_dict()), {t.id: t.operator for t in state.trains}
        )

    return Answer(content=low_priority(work, options.nice))


class ForecastKeeper:
    """The kept forecast and its refresh (see the module docstring)."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.every_s = settings.forecast_every_s
        self.min_gap_s = settings.forecast_min_gap_s
        self.raw: bytes | None = None  # the kept forecast document, as JSON
        self._pickled: bytes | None = None  # its records, pickled (read on first use)
        self._forecast: Forecast | None = None
        self.known: dict[str, KnownCrossing] = {}  # the curated crossings
        self.operators: dict[str, str | None] = {}  # whose each train of the forecast is
        self._views: dict[str, bytes] = {}  # the document as each kind of viewer sees it (JSON)
        self.at = 0.0  # when the live state of the kept forecast was read, about (monotonic)
        self.poked_at = 0.0  # when a batch last moved a train past a crossing (monotonic)
        self.runs = 0
        self.failures = 0
        self._poke: asyncio.Event | None = None
        self._running = False

    @property
    def max_age_s(self) -> float:
        return max(2.0 * self.every_s, MIN_FRESH_S)

    def fresh(self) -> bool:
        """A forecast is kept, younger than ``max_age_s``, and no train has passed a crossing
        since its live state was read."""
        return (
            self.raw is not None and time.monotonic() - self.at <= self.max_age_s and self.poked_at <= self.at
        )

    def keep(self, content: ForecastContent, asked: float | None = None) -> None:
        """Keep a forecast job's answer (asked for at ``asked``, monotonic): the document's JSON,
        its records and the curated crossings."""
        self.raw, self._pickled, self._forecast = content.document, content.records, None
        self.known = content.known
        self.operators = content.operators
        self._views = {}
        self.at = time.monotonic() if asked is None else asked
        self.runs += 1

    @property
    def forecast(self) -> Forecast | None:
        """The kept forecast's records, unpickled on first use (they come from the service's
        own read worker)."""
        if self._forecast is None and self._pickled is not None:
            self._forecast = pickle.loads(self._pickled)  # our own read worker pickled it
        return self._forecast

    def view(self, viewer: Viewer, policy: PublicView) -> bytes | None:
        """The kept document as ``viewer`` may see it, as JSON: as it is where it sees every train
        in full, else with the others' trains as the public view shows them (made once per kind
        of viewer and forecast)."""
        if self.raw is None:
            return None
        if policy == "full" or viewer.admin:
            return self.raw
        key = viewer.key()
        if key not in self._views:
            assert self.forecast is not None
            self._views[key] = _json(forecast_view(self.forecast, self.operators, viewer, policy).to_dict())
        return self._views[key]

    def poke(self, body: bytes) -> None:
        """Ask for a refresh if ``body`` (a stored batch) moves a train past a crossing; until
        then, the kept forecast is not fresh."""
        if any(m in body for m in MOVED):
            self.poked_at = time.monotonic()
            if self._poke is not None and self.every_s > 0:
                self._poke.set()

    async def run(self, rt: Runtime) -> None:
        """Refresh on the timer and when poked, no more often than ``min_gap_s``."""
        self._poke = asyncio.Event()
        last = 0.0
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poke.wait(), timeout=self.every_s)
            self._poke.clear()
            wait = last + self.min_gap_s - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            last = time.monotonic()
            await self.refresh(rt)

    async def refresh(self, rt: Runtime) -> bool:
        """One refresh in the read pool; False (and logged) when it could not be made."""
        if rt.reads is None or self._running:
            return False
        self._running = True
        asked = time.monotonic()
        try:
            answer = await rt.reads.run(KEEPER_CLIENT, forecast_job, (ForecastOptions.of(self.settings),))
        finally:
            self._running = False
        if answer.status != 200 or not isinstance(answer.content, ForecastContent):
            self.failures += 1
            log.warning("forecast refresh: %s %s", answer.status, answer.content)
            return False
        self.keep(answer.content, asked)
        return True

    def train(self, train_id: str) -> TrainForecastOut | None:
        """The kept forecast of one train, with when it was made (None: none kept, or the train
        is not in it)."""
        forecast = self.forecast
        t = None if forecast is None else forecast.train(train_id)
        if forecast is None or t is None:
            return None
        now = forecast.now
        return TrainForecastOut.model_validate(
            {
                "generated_at": _seconds(forecast.generated_at),
                "state_at": _seconds(now),
                "eta": t.eta_h.times(now),
                "eta_h": t.eta_h.to_dict(1),
                "suggested_hold_h": round(t.suggested_hold_h, 1),
                "holds": [h.to_dict(now) for h in t.holds],
                "crossings": [c.to_dict(now) for c in t.crossings],
            }
        )


def _seconds(t: datetime) -> datetime:
    """A time in UTC to the second, as the forecast document gives it."""
    return t.astimezone(UTC).replace(microsecond=0)


def _json(doc: Mapping[str, object]) -> bytes:
    """A document as compact UTF-8 JSON (a forecast's own ``to_dict()`` or a view's)."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def crossing_view(forecast: Forecast, crossing_id: str, known: KnownCrossing) -> CrossingForecastOut:
    """One crossing of a forecast, and the trains heading to it (a crossing no train passes: an
    empty queue over the horizon)."""
    now = forecast.now
    c = forecast.crossing(crossing_id)
    trains = [
        (t, visit)
        for t in forecast.trains
        if (visit := next((v for v in t.crossings if v.crossing == crossing_id), None)) is not None
    ]
    trains.sort(key=lambda tv: iso_time(now, tv[1].arrive_h.p50) or "")
    return CrossingForecastOut.model_validate(
        {
            "generated_at": _seconds(forecast.generated_at),
            "state_at": _seconds(now),
            "horizon_h": forecast.horizon_h,
            "crossing": _no_queue(crossing_id, known, now) if c is None else c.to_dict(now),
            "trains": [
                {
                    "id": t.id,
                    "name": t.name,
                    "status": t.status,
                    "arrive": visit.arrive_h.times(now),
                    "wait_h": visit.wait_h.to_dict(1),
                    "holds": [h.to_dict(now) for h in t.holds if h.crossing == crossing_id],
                }
                for t, visit in trains
            ],
            "alerts": [a.to_dict(now) for a in forecast.alerts if a.crossing == crossing_id],
        }
    )


def _no_queue(crossing_id: str, known: KnownCrossing, now: datetime) -> dict[str, JsonValue]:
    """A curated crossing no train of the forecast passes: no queue, no wait."""
    return {
        "id": crossing_id,
        "name": known.name,
        "lat": known.lat,
        "lon": known.lon,
        "servers": 0,
        "capacity_trains_per_day": 0.0,
        "trains": 0.0,
        "queue": [],
        "wait": [],
        "wait_h": {"p10": 0.0, "p50": 0.0, "p90": 0.0},
        "peak": {"t": _seconds(now).isoformat(), "h": 0.0, "queue": 0.0},
        "closed": [],
    }


def _rounded(x: float) -> float:
    """A coordinate as the trains' public view shows it (the document's 5 decimals, then
    ``ROUND_DEGREES``)."""
    return round(round(x, 5), ROUND_DEGREES) if math.isfinite(x) else x


def forecast_view(
    forecast: Forecast, operators: dict[str, str | None], viewer: Viewer, policy: PublicView
) -> Forecast:
    """A forecast as ``viewer`` sees it: the crossings (aggregates of every train) as they are;
    the others' trains and their holds not at all where the public sees nothing, else with their
    position rounded as the trains' view rounds it."""
    if policy == "full" or viewer.admin:
        return forecast
    trains: list[TrainForecast] = []
    for t in forecast.trains:
        if viewer.owns(operators.get(t.id)):
            trains.append(t)
        elif policy != "none":
            trains.append(replace(t, lat=_rounded(t.lat), lon=_rounded(t.lon)))
    kept = {t.id for t in trains}
    slots = forecast.slots
    if slots is not None and slots.holds:
        slots = replace(slots, holds=tuple(h for h in slots.holds if h[2] in kept))
    return replace(forecast, trains=tuple(trains), slots=slots)


def what_if_view(content: WhatIfContent, viewer: Viewer, policy: PublicView) -> WhatIfOut:
    """A what-if answer as ``viewer`` sees it (the trains it adds are the asker's own): the
    others' trains not at all where the public sees nothing, else with their position rounded
    and no re-route track (it would show where the train is)."""
    doc = content.what_if
    if policy == "full" or viewer.admin:
        return doc
    seen: list[AffectedOut] = []
    for a in doc.affected:
        if viewer.owns(content.operators.get(a.id)):
            seen.append(a)
        elif policy != "none":
            seen.append(
                a.model_copy(
                    update={
                        "lat": None if a.lat is None else round(a.lat, ROUND_DEGREES),
                        "lon": None if a.lon is None else round(a.lon, ROUND_DEGREES),
                        "reroute": None if a.reroute is None else a.reroute.model_copy(update={"path": []}),
                    }
                )
            )
    return doc.model_copy(update={"affected": seen})
