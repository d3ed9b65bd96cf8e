"""What-if: one change applied to a copy of the live state, forecast on the same seeds as the live
forecast, and the difference: the trains it delays, the queues that grow, and for each delayed
train the best route from where it is that avoids the trouble (through the router's public API,
a :class:`~silkrail.routing.query.RouteQuery` with ``closed_crossings``).

The kinds of change, each one object of its own shape (``{"close": {...}}``):

- ``close``: a crossing closed for ``hours`` from ``from_h`` hours from now;
- ``capacity``: a crossing's capacity cut to ``trains_per_day`` (for ``hours``; by default the
  whole forecast);
- ``dwell``: a crossing's dwell changed to ``dwell_h`` for the trains served then;
- ``add_trains``: ``trains`` more trains from ``origin`` to ``destination``, the first leaving
  ``from_h`` hours from now, one every ``every_h`` hours.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from silkrail.errors import DataError, NoRouteError, UnknownPlaceError
from silkrail.forecast.result import Band, Forecast, iso_time, summarise
from silkrail.forecast.runner import simulate_state
from silkrail.forecast.state import (
    DEFAULT_SIGMA_LOG,
    MAX_HORIZON_H,
    CrossingSpec,
    Dwell,
    LiveState,
    LiveTrain,
    Window,
    crossing_specs,
    servers_for,
    visits_ahead,
)
from silkrail.routing.json_types import JsonObject
from silkrail.tracking.model import Name

if TYPE_CHECKING:
    from silkrail.network.model import Network
    from silkrail.routing.results import Route
    from silkrail.routing.router import Router

MAX_CHANGE_H = 30 * 24.0
MAX_ADDED = 200
MAX_WHAT_IF_REPLICATIONS = 500
AFFECTED_H = 1.0
"""A train is affected when its median ETA moves by this much or more."""
REROUTE_GAIN_H = 2.0
"""A re-route is suggested when it arrives this much earlier than the train's median ETA."""
MAX_REROUTES = 40
MAX_PATH_POINTS = 300

CrossingId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=80,
        pattern=r"^[a-z0-9][a-z0-9()._-]*$",
        description="a curated crossing's id, as GET /api/v1/forecast lists them (erenhot-zamyn-uud)",
    ),
]
FromH = Annotated[
    float, Field(default=0.0, ge=0.0, le=MAX_HORIZON_H, description="hours from now until it starts")
]


class _Change(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class CloseChange(_Change):
    """A crossing closed: no train starts its service there for ``hours``."""

    crossing: CrossingId
    hours: float = Field(gt=0, le=MAX_CHANGE_H, description="how long it stays closed")
    from_h: FromH = 0.0


class CapacityChange(_Change):
    """A crossing's capacity cut (or raised) to ``trains_per_day``."""

    crossing: CrossingId
    trains_per_day: float = Field(gt=0, le=500)
    hours: float | None = Field(
        default=None, gt=0, le=MAX_CHANGE_H, description="default: the whole forecast"
    )
    from_h: FromH = 0.0


class DwellChange(_Change):
    """A crossing's dwell changed: a train served there then takes ``dwell_h`` on average."""

    crossing: CrossingId
    dwell_h: float = Field(gt=0, le=720)
    hours: float | None = Field(
        default=None, gt=0, le=MAX_CHANGE_H, description="default: the whole forecast"
    )
    from_h: FromH = 0.0


class AddTrains(_Change):
    """More trains: ``trains`` from ``origin`` to ``destination``, one every ``every_h`` hours."""

    origin: Name
    destination: Name
    trains: int = Field(ge=1, le=MAX_ADDED)
    every_h: float = Field(default=24.0, ge=0.25, le=168)
    from_h: FromH = 0.0
    teu: float = Field(default=82.0, gt=0, le=1000)


class WhatIfRequest(_Change):
    """One change (exactly one of its fields), and how many replications to run (by default the
    service's)."""

    close: CloseChange | None = None
    capacity: CapacityChange | None = None
    dwell: DwellChange | None = None
    add_trains: AddTrains | None = None
    replications: int | None = Field(default=None, ge=1, le=MAX_WHAT_IF_REPLICATIONS)

    @model_validator(mode="after")
    def _one(self) -> WhatIfRequest:
        given = [k for k in ("close", "capacity", "dwell", "add_trains") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one change: close, capacity, dwell or add_trains "
                f"(got {', '.join(given) if given else 'none'})"
            )
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ("close", "capacity", "dwell", "add_trains") if getattr(self, k) is not None)

    @property
    def change(self) -> CloseChange | CapacityChange | DwellChange | AddTrains:
        change = getattr(self, self.kind)
        assert change is not None
        return change


# --- applying a change ------------------------------------------------------------------------


def _gate(state: LiveState, net: Network | None, crossing: str, field: str) -> tuple[LiveState, int]:
    """The state's index of ``crossing`` (added, with its figures, if no train passes it yet);
    an unknown id is a DataError naming ``field`` and the closest ids."""
    g = state.crossing_index(crossing)
    if g >= 0:
        return state, g
    known = {c.id: c for c in net.crossings if c.curated} if net is not None else {}
    rec = known.get(crossing)
    if rec is None:
        close = difflib.get_close_matches(crossing, list(known), n=3, cutoff=0.5)
        hint = (
            f"did you mean {', '.join(close)}?"
            if close
            else f"known ids include {', '.join(sorted(known)[:6])}"
        )
        raise DataError(f"no curated crossing '{crossing}'; {hint}", field=field)
    spec = CrossingSpec(
        rec.id,
        rec.name,
        float(rec.lat),
        float(rec.lon),
        float(rec.capacity_trains_per_day),
        servers_for(float(rec.capacity_trains_per_day), float(rec.dwell_h)),
        Dwell(float(rec.dwell_h), DEFAULT_SIGMA_LOG),
    )
    return replace(state, crossings=(*state.crossings, spec)), len(state.crossings)


def _window(from_h: float, hours: float | None, horizon_h: float) -> Window:
    return Window(from_h, from_h + hours if hours is not None else math.inf)


def apply_change(
    state: LiveState, request: WhatIfRequest, *, net: Network | None, router: Router | None = None
) -> tuple[LiveState, tuple[str, ...]]:
    """``state`` with the request's change, and the crossings it is about (for add_trains: none;
    the crossings whose queues grow are found from the forecast)."""
    kind, change = request.kind, request.change
    if isinstance(change, CloseChange | CapacityChange | DwellChange):
        state, g = _gate(state, net, change.crossing, f"{kind}.crossing")
        spec = state.crossings[g]
        w = _window(change.from_h, change.hours, state.horizon_h)
        if isinstance(change, CloseChange):
            spec = replace(spec, closures=(*spec.closures, w))
        elif isinstance(change, CapacityChange):
            spec = replace(
                spec, cuts=(*spec.cuts, (w, servers_for(change.trains_per_day, spec.dwell.mean_h)))
            )
        else:
            spec = replace(spec, dwell_changes=(*spec.dwell_changes, (w, change.dwell_h)))
        return state.with_crossing(g, spec), (spec.id,)
    assert isinstance(change, AddTrains)
    if router is None or net is None:
        raise ValueError("adding trains needs the network and a router")
    return add_trains(state, change, net=net, router=router), ()


def add_trains(state: LiveState, change: AddTrains, *, net: Network, router: Router) -> LiveState:
    """``state`` with the trains of ``change`` appended (planned on the router, like a tracked
    train; appended last, so the live trains keep their draws)."""
    from silkrail.routing.query import RouteQuery
    from silkrail.tracking.eta import build_profile

    year = net.clamp_year(state.now.year)
    try:
        route = router.route(
            RouteQuery(
                change.origin, change.destination, mode="rail", objective="time", teu=change.teu, year=year
            )
        )
    except UnknownPlaceError as exc:
        field = "origin" if change.origin in str(exc) else "destination"
        raise DataError(str(exc), field=f"add_trains.{field}") from None
    except NoRouteError as exc:
        raise DataError(str(exc), field="add_trains.destination") from None
    profile = build_profile(route, net.crossings)
    specs, index = crossing_specs(net, [profile])
    crossings = list(state.crossings)
    gate_of = {c.id: i for i, c in enumerate(crossings)}
    for key, i in index.items():
        if key not in gate_of:
            gate_of[key] = len(crossings)
            crossings.append(specs[i])
    visits, final = visits_ahead(profile, -2.0, gate_of, {}, DEFAULT_SIGMA_LOG)
    added = []
    for n in range(change.trains):
        start = change.from_h + n * change.every_h
        added.append(
            LiveTrain(
                id=f"what-if-{n + 1}",
                name=f"added {route.origin.name}–{route.destination.name} #{n + 1}",
                destination=route.destination.name,
                status="planned",
                start_h=start,
                visits=visits,
                final_run_h=final,
                departed=False,
                lat=float(profile.lat[0]),
                lon=float(profile.lon[0]),
                remaining_km=profile.total_km,
                year=year,
            )
        )
    return replace(state, crossings=tuple(crossings), trains=(*state.trains, *added))


# --- the difference -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reroute:
    """The best route of a train from where it is that avoids ``avoids``: where it goes, when it
    would arrive (its running and dwell, and the queues the what-if forecasts on it), and how
    much earlier than staying on its route (``better``: by REROUTE_GAIN_H or more)."""

    avoids: tuple[str, ...]
    via: tuple[str, ...]
    countries: tuple[str, ...]
    distance_km: float
    eta_h: float
    saves_h: float
    path: tuple[tuple[float, float], ...]

    @property
    def better(self) -> bool:
        return self.saves_h >= REROUTE_GAIN_H

    def to_dict(self, now: datetime) -> JsonObject:
        return {
            "avoids": list(self.avoids),
            "via": list(self.via),
            "countries": list(self.countries),
            "distance_km": round(self.distance_km, 1),
            "eta": iso_time(now, self.eta_h),
            "saves_h": round(self.saves_h, 1),
            "better": self.better,
            "path": [[round(x, 4), round(y, 4)] for x, y in self.path],
        }


@dataclass(frozen=True)
class AffectedTrain:
    """A train the change moves: its ETA band before and after, the median's move, and its
    re-route (None: it has none to take, or none was looked for)."""

    id: str
    name: str
    destination: str
    status: str
    lat: float
    lon: float
    before: Band
    after: Band
    reroute: Reroute | None
    note: str | None = None

    @property
    def delay_h(self) -> float:
        return self.after.p50 - self.before.p50

    def to_dict(self, now: datetime) -> JsonObject:
        return {
            "id": self.id,
            "name": self.name,
            "destination": self.destination,
            "status": self.status,
            "lat": None if not math.isfinite(self.lat) else round(self.lat, 5),
            "lon": None if not math.isfinite(self.lon) else round(self.lon, 5),
            "eta_before": self.before.times(now),
            "eta_after": self.after.times(now),
            "delay_h": round(self.delay_h, 1),
            "reroute": None if self.reroute is None else self.reroute.to_dict(now),
            "note": self.note,
        }


@dataclass(frozen=True)
class QueueChange:
    """A crossing whose forecast queue or wait changes."""

    id: str
    name: str
    lat: float
    lon: float
    peak_before: float
    peak_after: float
    wait_p90_before: float
    wait_p90_after: float
    trains_before: float
    trains_after: float

    def to_dict(self) -> JsonObject:
        return {
            "id": self.id,
            "name": self.name,
            "lat": round(self.lat, 5),
            "lon": round(self.lon, 5),
            "peak_queue_before": round(self.peak_before, 1),
            "peak_queue_after": round(self.peak_after, 1),
            "wait_p90_h_before": round(self.wait_p90_before, 1),
            "wait_p90_h_after": round(self.wait_p90_after, 1),
            "trains_before": round(self.trains_before, 1),
            "trains_after": round(self.trains_after, 1),
        }


@dataclass(frozen=True)
class WhatIf:
    """The difference a change makes to the live forecast."""

    request: WhatIfRequest
    live: Forecast
    after: Forecast
    affected: tuple[AffectedTrain, ...]
    queues: tuple[QueueChange, ...]
    added: tuple[str, ...]
    seconds: float = 0.0

    @property
    def rerouted(self) -> tuple[AffectedTrain, ...]:
        return tuple(a for a in self.affected if a.reroute is not None and a.reroute.better)

    def to_dict(self) -> JsonObject:
        now = self.live.now
        added = [t.to_dict(now) for t in self.after.trains if t.id in set(self.added)]
        return {
            "change": {self.request.kind: self.request.change.model_dump()},
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "state_at": now.astimezone(UTC).isoformat(timespec="seconds"),
            "horizon_h": self.live.horizon_h,
            "replications": self.live.replications,
            "affected": [a.to_dict(now) for a in self.affected],
            "queues": [q.to_dict() for q in self.queues],
            "added": added,
            "summary": {
                "affected": len(self.affected),
                "delay_h": round(sum(max(a.delay_h, 0.0) for a in self.affected), 1),
                "rerouted": len(self.rerouted),
                "saved_by_reroutes_h": round(sum(a.reroute.saves_h for a in self.rerouted if a.reroute), 1),
            },
            "alerts": [a.to_dict(now) for a in self.after.alerts],
            "seconds": round(self.seconds, 3),
        }


def what_if(
    state: LiveState,
    request: WhatIfRequest,
    *,
    net: Network | None,
    router: Router | None = None,
    replications: int = 100,
    seed: int = 0,
    reroutes: bool = True,
    run_factor: tuple[float, float, float] | None = None,
) -> WhatIf:
    """The live forecast of ``state`` and the forecast with the request's change, on the same
    seeds, and their difference (see the module docstring). ``router`` finds the re-routes (and
    plans added trains); without one, no re-route is looked for."""
    import time

    started = time.perf_counter()
    reps = request.replications or replications
    changed, about = apply_change(state, request, net=net, router=router)
    live, after = (
        summarise(s, simulate_state(s, replications=reps, seed=seed, run_factor=run_factor), seed=seed)
        for s in (state, changed)
    )
    queues = _queues(live, after, about)
    grown = {
        q.id for q in queues if q.peak_after > q.peak_before + 0.5 or q.wait_p90_after > q.wait_p90_before + 1
    }
    affected = _affected(changed, live, after, about, grown, router if reroutes else None)
    added = tuple(t.id for t in changed.trains[len(state.trains) :])
    return WhatIf(request, live, after, affected, queues, added, time.perf_counter() - started)


_RerouteKey = tuple[float, float, str, tuple[str, ...]]
"""Where a train is (lat, lon to 0.1 degree), its destination, and the crossings it avoids."""


def _queues(live: Forecast, after: Forecast, about: tuple[str, ...]) -> tuple[QueueChange, ...]:
    out = []
    for c in after.crossings:
        b = live.crossing(c.id)
        pb = b.peak.band.p50 if b else 0.0
        wb = b.wait_h.p90 if b else 0.0
        tb = b.trains if b else 0.0
        pa, wa = c.peak.band.p50, c.wait_h.p90
        if c.id in about or pa > pb + 0.5 or wa > wb + 1.0 or abs(c.trains - tb) >= 1:
            out.append(QueueChange(c.id, c.name, c.lat, c.lon, pb, pa, wb, wa, tb, c.trains))
    return tuple(
        sorted(out, key=lambda q: (-(q.peak_after - q.peak_before), -(q.wait_p90_after - q.wait_p90_before)))
    )


def _affected(
    state: LiveState,
    live: Forecast,
    after: Forecast,
    about: tuple[str, ...],
    grown: set[str],
    router: Router | None,
) -> tuple[AffectedTrain, ...]:
    trains = {t.id: t for t in state.trains}
    waits = {c.id: c.wait_h.p50 for c in after.crossings}
    found: list[AffectedTrain] = []
    cache: dict[_RerouteKey, Route | None] = {}
    for t in after.trains:
        b = live.train(t.id)
        if b is None or abs(t.eta_h.p50 - b.eta_h.p50) < AFFECTED_H:
            continue
        lt = trains[t.id]
        ahead = {state.crossings[v.crossing].id for v in lt.visits if v.crossing >= 0}
        avoid = tuple(sorted(ahead & (set(about) | grown)))
        reroute, note = None, None
        if router is not None and avoid and t.eta_h.p50 > b.eta_h.p50 and len(cache) < MAX_REROUTES:
            reroute, note = _reroute(router, state, lt, avoid, t.eta_h.p50, waits, cache)
        elif not avoid:
            note = "the change reaches it through queues elsewhere"
        found.append(
            AffectedTrain(
                t.id, t.name, t.destination, t.status, t.lat, t.lon, b.eta_h, t.eta_h, reroute, note
            )
        )
    found.sort(key=lambda a: -a.delay_h)
    return tuple(found)


def _reroute(
    router: Router,
    state: LiveState,
    t: LiveTrain,
    avoid: tuple[str, ...],
    eta_p50: float,
    waits: dict[str, float],
    cache: dict[_RerouteKey, Route | None],
) -> tuple[Reroute | None, str | None]:
    from silkrail.routing.query import RouteQuery

    if not (math.isfinite(t.lat) and math.isfinite(t.lon)):
        return None, "where it is is not known"
    origin = f"{t.lat:.4f},{t.lon:.4f}"
    key = (round(t.lat, 1), round(t.lon, 1), t.destination, avoid)
    if key not in cache:
        try:
            cache[key] = router.route(
                RouteQuery(
                    origin, t.destination, mode="rail", objective="time", year=t.year, closed_crossings=avoid
                )
            )
        except (NoRouteError, UnknownPlaceError, DataError):
            cache[key] = None
    route = cache[key]
    if route is None:
        return None, f"no route from where it is avoids {', '.join(avoid)}"
    via = tuple(e.crossing_id for e in route.events if e.crossing_id and e.kind != "terminal")
    queued = sum(waits.get(c, 0.0) for c in dict.fromkeys(via))
    eta = max(t.start_h, 0.0) + route.train_h + queued
    path: list[tuple[float, float]] = [tuple(p) for leg in route.legs for p in leg.coordinates]  # type: ignore[misc]
    step = max(1, len(path) // MAX_PATH_POINTS)
    path = path[::step] + ([path[-1]] if path and (len(path) - 1) % step else [])
    names = tuple(dict.fromkeys(e.at for e in route.events if e.crossing_id and e.kind != "terminal"))
    return (
        Reroute(avoid, names, tuple(route.countries), route.distance_km, eta, eta_p50 - eta, tuple(path)),
        None,
    )
