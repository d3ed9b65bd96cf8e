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
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from silkrail.service.pool import Answer, ReadContext
from silkrail.service.views import ROUND_DEGREES

if TYPE_CHECKING:
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
    out: dict[str, Any] = {}

    def run() -> None:
        with contextlib.suppress(AttributeError, OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), FORECAST_NICE)
        try:
            out["value"] = work()
        except BaseException as exc:  # raised again in the caller's thread
            out["error"] = exc

    worker = threading.Thread(target=run, name="silkrail-forecast", daemon=True)
    worker.start()
    worker.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


def forecast_job(ctx: ReadContext, options: ForecastOptions) -> Answer:
    """The live forecast of the service's trains (in a read worker), with the curated crossings'
    ids, names and places (to tell an unknown crossing from one no train passes). All of it, the
    reading of the live state included, runs at lowered priority."""
    net = ctx.network()
    tracker = ctx.tracker()

    def work() -> dict[str, Any]:
        from silkrail.forecast import run_forecast, snapshot

        state = snapshot(tracker, net, horizon_h=options.horizon_h)
        forecast = run_forecast(
            state, replications=options.replications, seed=options.seed, scheduler=options.scheduler
        )
        known = {c.id: [c.name, round(c.lat, 5), round(c.lon, 5)] for c in net.crossings if c.curated}
        # the document as JSON bytes: the service process keeps them as they are and reads them
        # only when a crossing or a train is asked for (no work for it while ingest runs)
        doc = json.dumps(forecast.to_dict(), ensure_ascii=False, separators=(",", ":")).encode()
        return {"forecast": doc, "known": known, "operators": {t.id: t.operator for t in state.trains}}

    return Answer(content=low_priority(work, options.nice))


def what_if_job(ctx: ReadContext, body: dict[str, Any], options: ForecastOptions) -> Answer:
    """A what-if on the service's live state (in a read worker)."""
    net = ctx.network()
    tracker, router = ctx.tracker(), ctx.router()

    def work() -> dict[str, Any]:
        from silkrail.forecast import WhatIfRequest, snapshot, what_if

        request = WhatIfRequest.model_validate(body)
        state = snapshot(tracker, net, horizon_h=options.horizon_h)
        result = what_if(
            state, request, net=net, router=router, replications=options.replications, seed=options.seed
        )
        return {"what_if": result.to_dict(), "operators": {t.id: t.operator for t in state.trains}}

    return Answer(content=low_priority(work, options.nice))


class ForecastKeeper:
    """The kept forecast and its refresh (see the module docstring)."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.every_s = settings.forecast_every_s
        self.min_gap_s = settings.forecast_min_gap_s
        self.raw: bytes | None = None  # the kept forecast document, as JSON
        self._parsed: dict[str, Any] | None = None
        self.known: dict[str, list[Any]] = {}  # the curated crossings: id -> [name, lat, lon]
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
            self.raw is not None
            and time.monotonic() - self.at <= self.max_age_s
            and self.poked_at <= self.at
        )

    def keep(self, content: dict[str, Any], asked: float | None = None) -> None:
        """Keep a forecast job's answer (asked for at ``asked``, monotonic): the document's JSON
        and the curated crossings."""
        self.raw, self._parsed = content["forecast"], None
        self.known = content["known"]
        self.operators = content.get("operators", {})
        self._views = {}
        self.at = time.monotonic() if asked is None else asked
        self.runs += 1

    @property
    def doc(self) -> dict[str, Any] | None:
        """The kept forecast document (``GET /api/v1/forecast``), read on first use."""
        if self._parsed is None and self.raw is not None:
            self._parsed = json.loads(self.raw)
        return self._parsed

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
            assert self.doc is not None
            seen = forecast_view(self.doc, self.operators, viewer, policy)
            self._views[key] = json.dumps(seen, ensure_ascii=False, separators=(",", ":")).encode()
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
        if answer.status != 200:
            self.failures += 1
            log.warning("forecast refresh: %s %s", answer.status, (answer.content or {}).get("error", ""))
            return False
        self.keep(answer.content, asked)
        return True

    def train(self, train_id: str) -> dict[str, Any] | None:
        """The kept forecast of one train, with when it was made (None: none kept, or the train
        is not in it)."""
        if self.doc is None:
            return None
        t = next((x for x in self.doc["trains"] if x["id"] == train_id), None)
        if t is None:
            return None
        keys = ("eta", "eta_h", "suggested_hold_h", "holds", "crossings")
        return {
            "generated_at": self.doc["generated_at"],
            "state_at": self.doc["state_at"],
            **{k: t[k] for k in keys},
        }


def crossing_view(doc: dict[str, Any], crossing_id: str, known: list[Any]) -> dict[str, Any]:
    """One crossing of a forecast document, and the trains heading to it (a crossing no train
    passes: an empty queue over the horizon)."""
    c = next((x for x in doc["crossings"] if x["id"] == crossing_id), None)
    if c is None:
        c = {
            "id": crossing_id,
            "name": known[0],
            "lat": known[1],
            "lon": known[2],
            "servers": 0,
            "capacity_trains_per_day": 0.0,
            "trains": 0.0,
            "queue": [],
            "wait": [],
            "wait_h": {"p10": 0.0, "p50": 0.0, "p90": 0.0},
            "peak": {"t": doc["state_at"], "h": 0.0, "queue": 0.0},
            "closed": [],
        }
    trains = []
    for t in doc["trains"]:
        visit = next((v for v in t["crossings"] if v["crossing"] == crossing_id), None)
        if visit is None:
            continue
        trains.append(
            {
                "id": t["id"],
                "name": t["name"],
                "status": t["status"],
                "arrive": visit["arrive"],
                "wait_h": visit["wait_h"],
                "holds": [h for h in t["holds"] if h["crossing"] == crossing_id],
            }
        )
    trains.sort(key=lambda x: x["arrive"]["p50"] or "")
    return {
        "generated_at": doc["generated_at"],
        "state_at": doc["state_at"],
        "horizon_h": doc["horizon_h"],
        "crossing": c,
        "trains": trains,
        "alerts": [a for a in doc["alerts"] if a["crossing"] == crossing_id],
    }


def _seen_train(
    t: dict[str, Any], owner: str | None, viewer: Viewer, policy: PublicView
) -> dict[str, Any] | None:
    """A train of a forecast as ``viewer`` sees it: in full if it owns it (or the view is full),
    not at all where the public sees nothing, else its position rounded as the trains' view
    rounds it and no re-route track (it would show where the train is)."""
    if policy == "full" or viewer.owns(owner):
        return t
    if policy == "none":
        return None
    out = dict(t)
    for k in ("lat", "lon"):
        if out.get(k) is not None:
            out[k] = round(out[k], ROUND_DEGREES)
    if out.get("reroute"):
        out["reroute"] = {**out["reroute"], "path": []}
    return out


def forecast_view(
    doc: dict[str, Any], operators: dict[str, str | None], viewer: Viewer, policy: PublicView
) -> dict[str, Any]:
    """A forecast document as ``viewer`` sees it: the crossings (aggregates of every train) as
    they are, the trains and their holds as the public view shows others' trains."""
    trains = [v for t in doc["trains"] if (v := _seen_train(t, operators.get(t["id"]), viewer, policy))]
    kept = {t["id"] for t in trains}
    out = {**doc, "trains": trains}
    if doc.get("slots"):
        out["slots"] = {**doc["slots"], "holds": [h for h in doc["slots"]["holds"] if h["train"] in kept]}
    return out


def what_if_view(content: dict[str, Any], viewer: Viewer, policy: PublicView) -> dict[str, Any]:
    """A what-if answer as ``viewer`` sees it (the trains it adds are the asker's own)."""
    doc, operators = content["what_if"], content["operators"]
    if policy == "full" or viewer.admin:
        return doc
    seen = [v for a in doc["affected"] if (v := _seen_train(a, operators.get(a["id"]), viewer, policy))]
    return {**doc, "affected": seen}
