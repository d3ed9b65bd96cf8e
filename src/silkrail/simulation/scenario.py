"""Scenario files: services, network changes and closures, validated with file, line and field.

A scenario is compiled into plain data (:class:`SimInput`): each service's departures and its
itineraries (running hours between the crossings it queues at, from the router), and each
crossing's servers and processing-time distribution. Workers simulate from that alone.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from silkrail.errors import DataError, NoRouteError, UnknownPlaceError

if TYPE_CHECKING:  # routing is imported when a scenario is compiled
    from silkrail.network.model import Network
    from silkrail.routing.engine import Engine
    from silkrail.routing.graph import Constraints, StateGraph
    from silkrail.routing.places import Place
    from silkrail.routing.results import Route
    from silkrail.timetable.feed import Feed, Trip
    from silkrail.timetable.trip_route import TripRoute, TripStop

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "data" / "scenarios"
REVISIT_H = 6.0  # a crossing passed again within this running time is the same visit
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)  # a scenario's dates lie in this window
MAX_ITEMS = 1000  # services, changes, via points or departures in one file


def _plausible(d: date) -> date:
    if not EARLIEST <= d <= LATEST:
        raise ValueError(f"{d.isoformat()} is outside {EARLIEST.isoformat()} to {LATEST.isoformat()}")
    return d


Day = Annotated[date, AfterValidator(_plausible)]


class _Strict(BaseModel):
    # finite numbers only: .inf or .nan would run a simulation for ever or poison its means
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Departure(_Strict):
    days: Literal["daily"] | list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]]
    time: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")


class Service(_Strict):
    name: str = Field(min_length=1)
    service: str | None = Field(
        default=None,
        description="a trip of the timetables (data/services.yaml or an imported feed) that the "
        "trains run: its route through its stops, its times and its departure days",
    )
    origin: str | None = None
    destination: str | None = None
    trains_per_week: float | None = Field(default=None, gt=0, le=500)
    timetable: list[Departure] | None = Field(default=None, max_length=MAX_ITEMS)
    teu: float = Field(default=80, gt=0, le=400)
    via: list[str] = Field(default=[], max_length=50)
    priority: int = Field(default=0, ge=0, le=9)
    traffic: Literal["freight", "passenger"] = Field(
        default="freight",
        description="what the trains carry (a passenger train carries no TEU flow); a service that runs "
        "a timetable trip carries its service's unless this says otherwise (then it must agree)",
    )
    source: str | list[str] | None = None
    as_of: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _one_schedule(self) -> Service:
        if self.service is not None:
            given = [k for k in ("timetable", "via") if getattr(self, k)]
            if given:
                raise ValueError(
                    f"a service that runs the timetable trip '{self.service}' takes its route, stops and "
                    f"times from it: drop {', '.join(given)} (origin and destination name the places "
                    "its first and last stop serve)"
                )
            return self
        if self.origin is None or self.destination is None:
            raise ValueError("give origin and destination, or the timetable trip the trains run (service)")
        if (self.trains_per_week is None) == (self.timetable is None):
            raise ValueError("give either trains_per_week or a timetable")
        return self


class Processing(_Strict):
    low: float = Field(ge=0, le=720)
    mode: float = Field(ge=0, le=720)
    high: float = Field(gt=0, le=720)  # hours: a month at one crossing is a closure, not processing

    @model_validator(mode="after")
    def _ordered(self) -> Processing:
        if not self.low <= self.mode <= self.high:
            raise ValueError(f"need low <= mode <= high (got {self.low}, {self.mode}, {self.high})")
        return self


class Closure(_Strict):
    start: Day = Field(alias="from")
    end: Day | None = Field(default=None, alias="to")
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


class Change(_Strict):
    open_line: str | None = None
    close_line: str | None = None
    crossing: str | None = None
    capacity_trains_per_day: float | None = Field(default=None, gt=0, le=1000)
    processing_h: Processing | None = None
    closed: Closure | None = None
    line: str | None = None
    paths_per_day: float | None = Field(default=None, gt=0, le=1000)
    service: str | None = None
    trains_per_week: float | None = Field(default=None, gt=0, le=500)
    scale: float | None = Field(default=None, gt=0, le=20)
    note: str | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Change:
        targets = [x for x in (self.open_line, self.close_line, self.crossing, self.line, self.service) if x]
        if len(targets) != 1:
            raise ValueError("each change names one of open_line, close_line, crossing, line or service")
        return self


class ScenarioFile(_Strict):
    name: str
    extends: str | None = None
    start: Day | None = None
    days: int | None = Field(default=None, gt=0, le=3660)
    seed: int | None = Field(default=None, ge=0, lt=2**63)
    description: str | None = None
    services: list[Service] = Field(default=[], max_length=MAX_ITEMS)
    changes: list[Change] = Field(default=[], max_length=MAX_ITEMS)


@dataclass(frozen=True)
class Scenario:
    name: str
    start: date
    days: int
    seed: int
    services: list[Service]
    changes: list[Change]
    files: list[str]


def _load_doc(path: Path) -> tuple[ScenarioFile, object]:
    from silkrail.network.loader import LineLoader, locate
    from silkrail.network.yaml_limits import too_deep

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot read the scenario ({exc.strerror})", file=str(path)) from None
    try:
        doc = yaml.load(text, Loader=LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise DataError(
            f"not valid YAML: {exc.problem}", file=path.name, line=mark.line + 1 if mark else None
        ) from None
    except RecursionError:
        raise too_deep(text, path.name) from None
    if not isinstance(doc, dict):
        raise DataError(
            "a scenario is a mapping with name, start, days, services, changes", file=path.name, line=1
        )
    try:
        parsed = ScenarioFile.model_validate(doc)
    except ValidationError as exc:
        err = next((e for e in exc.errors() if e["type"] == "extra_forbidden"), exc.errors()[0])
        loc = tuple(err["loc"])
        line, where = locate(doc, loc)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        elif not isinstance(err.get("input"), dict | list):
            msg += f" (got {err.get('input')!r})"
        raise DataError(msg, file=path.name, line=line, field=where) from None
    names = [s.name for s in parsed.services]
    for i, name in enumerate(names):
        if name in names[:i]:
            line, where = locate(doc, ("services", i, "name"))
            raise DataError(
                f"the service name '{name}' is given twice in this file; each service needs its own",
                file=path.name,
                line=line,
                field=where,
            )
    return parsed, doc


def find_scenario(name_or_path: str | Path) -> Path:
    """A scenario file by path, or by the name of a shipped scenario (``baseline-2025``)."""
    p = Path(name_or_path)
    if p.exists():
        return p
    shipped = SCENARIO_DIR / f"{name_or_path}.yaml"
    if shipped.exists():
        return shipped
    names = sorted(f.stem for f in SCENARIO_DIR.glob("*.yaml"))
    raise DataError(
        f"no scenario file '{name_or_path}'; give a YAML file or a shipped scenario: {', '.join(names)} "
        "(silkrail simulate list describes them)"
    )


@dataclass(frozen=True)
class ScenarioSummary:
    """A shipped scenario as ``silkrail simulate list`` shows it."""

    name: str
    description: str
    extends: str | None
    start: date
    days: int
    services: int
    changes: int

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "description": self.description,
            "extends": self.extends,
            "start": self.start.isoformat(),
            "days": self.days,
            "services": self.services,
            "changes": self.changes,
        }


def shipped_scenarios() -> list[ScenarioSummary]:
    """The scenarios shipped with silkrail (usable by name), with what each describes."""
    out = []
    for path in sorted(SCENARIO_DIR.glob("*.yaml")):
        f, _ = _load_doc(path)
        merged, _ = load_scenario(path)
        out.append(
            ScenarioSummary(
                path.stem,
                " ".join((f.description or "").split()),
                Path(f.extends).stem if f.extends else None,
                merged.start,
                merged.days,
                len(merged.services),
                len(merged.changes),
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class Written:
    """Where a service or change was written: the YAML document of its file (with the lines the
    loader marked), its dotted path there (``services.3``) and the file's name."""

    doc: object
    path: str
    file: str


def load_scenario(path: str | Path, *, _seen: tuple[Path, ...] = ()) -> tuple[Scenario, dict[str, Written]]:
    """The scenario with its ``extends`` chain merged, and where each service and change was written
    (for error messages that name the file and line)."""
    path = find_scenario(path).resolve()
    if path in _seen:
        raise DataError("extends forms a cycle", file=path.name)
    f, doc = _load_doc(path)
    where: dict[str, Written] = {}
    if f.extends:
        base_path = (path.parent / f.extends) if (path.parent / f.extends).exists() else f.extends
        base, where = load_scenario(base_path, _seen=(*_seen, path))
        services = {s.name: s for s in base.services}
        changes = list(base.changes)
        start, days, seed, files = base.start, base.days, base.seed, base.files
    else:
        services, changes, start, days, seed, files = {}, [], None, None, 0, []
    for i, s in enumerate(f.services):
        services[s.name] = s
        where[f"service:{s.name}"] = Written(doc, f"services.{i}", path.name)
    for i, c in enumerate(f.changes):
        where[f"change:{len(changes)}"] = Written(doc, f"changes.{i}", path.name)
        changes.append(c)
    start = f.start or start
    days = f.days or days
    if start is None or days is None:
        raise DataError(
            "a scenario needs start and days (its own or from the scenario it extends)",
            file=path.name,
            line=1,
        )
    return Scenario(
        f.name,
        start,
        days,
        f.seed if f.seed is not None else seed,
        list(services.values()),
        changes,
        [*files, path.name],
    ), where


# --- compiled, plain-data form ----------------------------------------------------------


@dataclass
class ResourceSpec:
    name: str
    servers: int
    low: float
    mode: float
    high: float
    closures: list[tuple[float, float]] = field(default_factory=list)  # hours since start


Triangle = tuple[float, float, float]
"""(low, mode, high) hours of a triangular processing time."""
Step = tuple[float, int, Triangle | None]
"""Running hours, then the resource to queue at (-1: the end), and the processing this train
takes there (None: the resource's own)."""


@dataclass
class ServiceSpec:
    name: str
    departures: list[float]
    teu: float
    priority: int
    itinerary: list[Step]  # (running hours, then the resource to queue at or -1, its own processing)
    alternatives: list[tuple[frozenset[int], list[Step]]]  # (resources avoided, itinerary)
    planned_h: float
    countries: list[str]


@dataclass
class SimInput:
    name: str
    start: str
    horizon_h: float
    resources: list[ResourceSpec]
    services: list[ServiceSpec]
    notes: list[str] = field(default_factory=list)


def _fail(where: dict[str, Written], key: str, field_name: str, message: str) -> DataError:
    from silkrail.network.loader import locate

    w = where.get(key, Written(None, "", "scenario"))
    doc, file = w.doc, w.file
    loc: list[int | str] = []
    for part in w.path.split("."):
        if part:
            loc.append(int(part) if part.isdigit() else part)
    line, fld = locate(doc, (*loc, field_name)) if doc is not None else (None, field_name)
    return DataError(message, file=file, line=line, field=fld)


def _departures(s: Service, start: date, horizon_h: float, phase: float) -> list[float]:
    if s.trains_per_week:
        gap = 168.0 / s.trains_per_week
        t = phase * gap
        out = []
        while t < horizon_h:
            out.append(t)
            t += gap
        return out
    out = []
    base = datetime.combine(start, time())
    for day in range(math.ceil(horizon_h / 24) + 1):
        weekday = WEEKDAYS[(start.weekday() + day) % 7]
        for dep in s.timetable or []:
            if dep.days == "daily" or weekday in dep.days:
                hh, mm = map(int, dep.time.split(":"))
                t = (datetime.combine(start, time(hh, mm)) - base).total_seconds() / 3600 + 24 * day
                if 0 <= t < horizon_h:
                    out.append(t)
    return sorted(out)


def compile_scenario(
    scenario: Scenario,
    where: dict[str, Written],
    net: Network,
    *,
    days: int | None = None,
    timetables: Feed | None = None,
) -> SimInput:
    """Routes, itineraries and resources for a scenario on ``net``; the trips its services run
    come from ``timetables`` (default: the package's services and the imported feeds)."""
    from silkrail.routing.engine import engine_for
    from silkrail.routing.graph import MODE_RAIL, Constraints
    from silkrail.timetable.trip_route import trip_route
    from silkrail.traffic import Traffic, traffic_of

    engine = engine_for(net)
    g = engine.graph
    horizon_h = 24.0 * (days or scenario.days)
    crossing_ids = {c.id: i for i, c in enumerate(net.crossings) if c.curated}
    line_ids = {ln.id: i for i, ln in enumerate(net.lines)}

    def check_id(kind: str, value: str, valid: dict[str, int], key: str, fld: str) -> int:
        if value not in valid:
            close = difflib.get_close_matches(value, list(valid), n=3, cutoff=0.4)
            hint = (
                f"; did you mean {', '.join(close)}?"
                if close
                else f"; valid: {', '.join(sorted(valid)[:12])}, ..."
            )
            raise _fail(where, key, fld, f"no {kind} '{value}' in the network data{hint}")
        return valid[value]

    open_lines, closed_lines = set(), set()
    capacity: dict[int, float] = {}
    processing: dict[int, Processing] = {}
    closures: dict[int, list[tuple[float, float]]] = {}
    line_paths: dict[int, float] = {}
    services = {s.name: s for s in scenario.services}
    scale: dict[str, float] = {}
    for i, ch in enumerate(scenario.changes):
        key = f"change:{i}"
        if ch.open_line:
            open_lines.add(check_id("line", ch.open_line, line_ids, key, "open_line"))
        elif ch.close_line:
            closed_lines.add(check_id("line", ch.close_line, line_ids, key, "close_line"))
        elif ch.line:
            lid = check_id("line", ch.line, line_ids, key, "line")
            if ch.paths_per_day is None:
                raise _fail(where, key, "paths_per_day", "a line change needs paths_per_day")
            line_paths[lid] = ch.paths_per_day
        elif ch.crossing:
            cid = check_id("crossing", ch.crossing, crossing_ids, key, "crossing")
            if ch.capacity_trains_per_day:
                capacity[cid] = ch.capacity_trains_per_day
            if ch.processing_h:
                processing[cid] = ch.processing_h
            if ch.closed:
                a = (ch.closed.start - scenario.start).days * 24.0
                b = math.inf if ch.closed.end is None else (ch.closed.end - scenario.start).days * 24.0
                if b <= a:
                    raise _fail(where, key, "closed", "a closure must end after it starts")
                closures.setdefault(cid, []).append((a, b))
        elif ch.service:
            if ch.service not in services:
                raise _fail(
                    where,
                    key,
                    "service",
                    f"no service '{ch.service}' in this scenario; services: {', '.join(services)}",
                )
            s = services[ch.service]
            if ch.trains_per_week:
                services[ch.service] = s.model_copy(
                    update={"trains_per_week": ch.trains_per_week, "timetable": None}
                )
            if ch.scale:
                scale[ch.service] = ch.scale
    year = net.clamp_year(scenario.start.year)
    base = Constraints(
        modes="rail", year=year, open_lines=frozenset(open_lines), closed_lines=frozenset(closed_lines)
    )

    resources: list[ResourceSpec] = []
    res_index: dict[tuple[str, int], int] = {}

    def resource_for(kind: str, idx: int) -> int:
        if (kind, idx) in res_index:
            return res_index[(kind, idx)]
        if kind == "crossing":
            c = net.crossings[idx]
            if idx in processing:
                p = processing[idx]
                low, mode, high = p.low, p.mode, p.high
            else:
                low, mode, high = _dwell_triangle(g, idx)
            per_day = capacity.get(idx, float(c.capacity_trains_per_day))
            mean = (low + mode + high) / 3
            servers = max(1, round(per_day * mean / 24))
            spec = ResourceSpec(c.id, servers, low, mode, high, closures.get(idx, []))
        else:
            headway = 24.0 / line_paths[idx]
            spec = ResourceSpec(f"line:{net.lines[idx].id}", 1, headway, headway, headway)
        res_index[(kind, idx)] = len(resources)
        resources.append(spec)
        return res_index[(kind, idx)]

    def itinerary(
        route: Route,
        timed: TripRoute | None = None,
        *,
        traffic: Traffic = Traffic.CONTAINER,
        pace: float = 1.0,
    ) -> list[Step]:
        """(running hours, then the resource queued at, its own processing or None) along a
        route: the model's hours for ``traffic`` (running times ``pace``), or a timetable trip's
        (its timed running and dwell, the published halts at its stops; no terminal time: the
        trip runs from departure to arrival)."""
        steps: list[Step] = []
        arcs = route.arcs
        # terminal time at each rail end (the cost model's): before the first and after the last step
        term = 0.0 if timed is not None else float(g.model.params.traffic(traffic).terminal_h)
        weights, costs = g.weights_of(traffic), g.costs_of(traffic)
        acc = term if len(arcs) and g.mode[arcs[0]] == MODE_RAIL else 0.0
        halts = _halts(timed)
        seen_lines: set[int] = set()
        for i, a in enumerate(arcs.tolist()):
            acc += halts.get(i, 0.0)
            e = int(g.edge[a])
            line = int(net.line[e])
            if line in line_paths and line not in seen_lines:
                seen_lines.add(line)
                steps.append((acc, resource_for("line", line), None))
                acc = 0.0
            cid = int(net.crossing[e])
            if timed is None:
                fixed = float(costs.fixed_time_h[e])
                w = fixed + (float(weights[0, a]) - fixed) * pace
            else:
                fixed = float(timed.arc_dwell_h[i])
                w = float(timed.arc_run_h[i]) + fixed
            if cid >= 0 and net.crossings[cid].curated:
                res = resource_for("crossing", cid)
                own = None if timed is None else _scaled(resources[res], fixed)
                if steps and steps[-1][1] == res and acc < REVISIT_H:
                    acc += w - fixed  # the same crossing again (parallel or spur track): one visit
                    continue
                steps.append((acc + w - fixed, res, own))
                acc = 0.0
            else:
                acc += w
        acc += halts.get(len(arcs), 0.0)
        steps.append((acc + (term if len(arcs) and g.mode[arcs[-1]] == MODE_RAIL else 0.0), -1, None))
        return steps

    specs: list[ServiceSpec] = []
    feed = (
        timetables
        if timetables is not None
        else _feed()
        if any(s.service for s in services.values())
        else None
    )
    for n, s in enumerate(services.values()):
        key = f"service:{s.name}"
        phase = (n * 0.381966) % 1.0
        timed: TripRoute | None = None
        if s.service is not None:
            assert feed is not None
            trip = _trip_of(feed, s.service, where, key)
            kind = carried = feed.service_by_id[trip.service].traffic
            if "traffic" in s.model_fields_set and s.traffic != kind:
                raise _fail(
                    where, key, "traffic", f"the trip '{trip.id}' is a {kind} service, not {s.traffic}"
                )
            try:
                timed = trip_route(engine, feed, trip.id, year=year)
            except (NoRouteError, DataError) as exc:
                raise _fail(where, key, "service", str(exc)) from None
            route = timed.route
            o, d = route.origin, route.destination
            for fld, text, stop in (
                ("origin", s.origin, timed.stops[0]),
                ("destination", s.destination, timed.stops[-1]),
            ):
                if text is not None:
                    _check_served(engine, text, stop, where, key, fld)
            primary = itinerary(route, timed)
            deps = (
                _departures(s, scenario.start, horizon_h, phase)
                if s.trains_per_week
                else _trip_departures(trip, feed, scenario.start, horizon_h)
            )
        else:
            carried = s.traffic
            try:
                o = engine.places.resolve(str(s.origin))
            except UnknownPlaceError as exc:
                raise _fail(where, key, "origin", str(exc)) from None
            try:
                d = engine.places.resolve(str(s.destination))
            except UnknownPlaceError as exc:
                raise _fail(where, key, "destination", str(exc)) from None
            via = [check_id("crossing", v, crossing_ids, key, "via") for v in s.via]
            found = _route(engine, o, d, via, dataclasses.replace(base, traffic=traffic_of(s.traffic)))
            if found is None:
                raise _fail(
                    where,
                    key,
                    "via" if via else "destination",
                    f"no rail route from {o.name} to {d.name}"
                    + (f" through {', '.join(s.via)}" if via else ""),
                )
            route = found
            primary = itinerary(route, traffic=traffic_of(s.traffic))
            deps = _departures(s, scenario.start, horizon_h, phase)
        alts = []
        for cid in {int(net.crossing[g.edge[a]]) for a in route.arcs.tolist()} & set(closures):
            c = Constraints(
                modes="rail",
                year=year,
                open_lines=base.open_lines,
                closed_lines=base.closed_lines,
                avoid_crossings=frozenset({cid}),
                traffic=traffic_of(carried),
            )
            alt = _route(engine, o, d, [], c)  # around a closure the train takes the best free route
            if alt is not None:
                # a trip's train around a closure: the model's route, at the trip's own pace
                pace = (
                    timed.sections[0].running_factor
                    if timed is not None and len(timed.sections) == 1
                    else 1.0
                )
                alts.append(
                    (
                        frozenset({res_index.get(("crossing", cid), -2)}),
                        itinerary(alt, traffic=traffic_of(carried), pace=pace),
                    )
                )
        factor = scale.get(s.name, 1.0)
        if factor != 1.0 and deps:
            gap = horizon_h / (len(deps) * factor)
            deps = [
                i * gap + deps[0] for i in range(int(len(deps) * factor)) if i * gap + deps[0] < horizon_h
            ]
        planned = timed.ride_h if timed is not None else route.duration_h
        specs.append(ServiceSpec(s.name, deps, s.teu, s.priority, primary, alts, planned, route.countries))
    return SimInput(scenario.name, scenario.start.isoformat(), horizon_h, resources, specs)


@dataclass(frozen=True)
class ServiceEnds:
    """What a scenario's service connects, as written or as its timetable trip runs: the two
    places, trains a week, the curated crossings it passes in order, and whether it carries
    passengers (no TEU) or freight."""

    origin: str
    destination: str
    per_week: float
    via: tuple[str, ...]
    traffic: str = "freight"


def service_ends(s: Service) -> ServiceEnds:
    """The places a scenario's service connects, its trains a week and its crossings: for a
    service that runs a timetable trip, its origin and destination (else its end stops'
    coordinates, as 'lat,lon'), the trip's departures a week (unless the file sets
    trains_per_week), and the curated crossings at its stops."""
    if s.service is None:
        per_week = s.trains_per_week or sum(
            7 if d.days == "daily" else len(d.days) for d in s.timetable or []
        )
        return ServiceEnds(str(s.origin), str(s.destination), float(per_week), tuple(s.via), s.traffic)
    from silkrail.network.curated import load_file
    from silkrail.network.geo import haversine_km
    from silkrail.settings import get_settings
    from silkrail.timetable.crossings import CROSSING_KM
    from silkrail.timetable.trip_route import frequency

    feed = _feed()
    trip = _trip_of(feed, s.service, {}, f"service:{s.name}")
    stops = [feed.stop_by_id[st.stop] for st in trip.stop_times]
    borders = load_file(Path(get_settings().data_dir) / "borders.yaml")
    via: list[str] = []
    for stop in stops:
        for c in borders.crossings:
            near = min(float(haversine_km(stop.lat, stop.lon, p.lat, p.lon)) for p in c.sides)
            if c.status == "open" and near <= CROSSING_KM and c.id not in via:
                via.append(c.id)
    first, last = stops[0], stops[-1]
    return ServiceEnds(
        s.origin or f"{first.lat},{first.lon}",
        s.destination or f"{last.lat},{last.lon}",
        float(s.trains_per_week or frequency(trip).per_week),
        tuple(via),
        feed.service_by_id[trip.service].traffic,
    )


def _feed() -> Feed:
    """The timetables a scenario's trains may run: the package's services and imported feeds."""
    from silkrail.timetable.services import load_timetables

    return load_timetables()


def _trip_of(feed: Feed, name: str, where: dict[str, Written], key: str) -> Trip:
    """The trip a scenario's service names: a trip id, or a service with one trip."""
    if name in feed.trip_by_id:
        return feed.trip_by_id[name]
    trips = [t for t in feed.trips if t.service == name]
    if len(trips) == 1:
        return trips[0]
    if trips:
        raise _fail(
            where,
            key,
            "service",
            f"the service '{name}' has {len(trips)} trips; name one: {', '.join(t.id for t in trips[:8])}",
        )
    known = sorted(feed.trip_by_id)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.4)
    hint = f"did you mean {', '.join(close)}?" if close else f"known trips: {', '.join(known[:12])}"
    raise _fail(where, key, "service", f"no timetable trip '{name}'; {hint}")


def _trip_departures(trip: Trip, feed: Feed, start: date, horizon_h: float) -> list[float]:
    """Hours after the scenario's start (midnight UTC) of a trip's departures within the horizon:
    its weekly pattern (weekdays, alternate days, or every headway), whatever dates the feed is
    published for: a scenario asks what happens when the service runs then."""
    from silkrail.timetable.feed import service_day_start

    t0 = trip.timed[0].departure_s if trip.timed[0].departure_s is not None else trip.timed[0].arrival_s
    assert t0 is not None
    base = datetime.combine(start, time(), tzinfo=UTC).timestamp()
    if trip.headway_s:
        gap = trip.headway_s / 3600.0
        first = (service_day_start(trip.timezone or feed.timezone, start) + t0 - base) / 3600.0 % gap
        return [
            first + k * gap for k in range(int((horizon_h - first) // gap) + 1) if first + k * gap < horizon_h
        ]
    cal = trip.calendar
    out = []
    for k in range(-1, math.ceil(horizon_h / 24) + 1):
        day = start + timedelta(days=k)
        runs = (
            (day - cal.start).days % cal.every_days == 0 if cal.every_days else day.weekday() in cal.weekdays
        )
        if not runs:
            continue
        t = (service_day_start(trip.timezone or feed.timezone, day) + t0 - base) / 3600.0
        if 0 <= t < horizon_h:
            out.append(t)
    return sorted(out)


def _check_served(
    engine: Engine, text: str, stop: TripStop, where: dict[str, Written], key: str, fld: str
) -> None:
    """A service's origin or destination must be a place its trip's end stop serves."""
    from silkrail.network.geo import haversine_km
    from silkrail.timetable.journey import NEAR_KM

    try:
        p = engine.places.resolve(text)
    except UnknownPlaceError as exc:
        raise _fail(where, key, fld, str(exc)) from None
    km = float(haversine_km(p.lat, p.lon, stop.lat, stop.lon))
    if km > NEAR_KM:
        raise _fail(
            where,
            key,
            fld,
            f"{p.name} lies {km:,.0f} km from the trip's {'first' if fld == 'origin' else 'last'} stop "
            f"{stop.name}; name a place within {NEAR_KM:.0f} km of it, or leave {fld} out",
        )


def _halts(timed: TripRoute | None) -> dict[int, float]:
    """Published halts at a trip's stops on the way, by the arc they lie before."""
    out: dict[int, float] = {}
    if timed is None:
        return out
    for st in timed.stops[1:-1]:
        halt = st.planned_departure_h - st.planned_arrival_h
        if halt > 0:
            out[st.arc] = out.get(st.arc, 0.0) + halt
    return out


def _scaled(r: ResourceSpec, mean: float) -> Triangle:
    """A processing time of ``mean`` hours with the resource's own relative spread."""
    own = (r.low + r.mode + r.high) / 3
    if own <= 0:
        return (mean, mean, mean)
    k = mean / own
    return (r.low * k, r.mode * k, r.high * k)


def _dwell_triangle(g: StateGraph, idx: int) -> tuple[float, float, float]:
    """(low, mode, high) of a crossing's dwell for the simulation: the cost model's 10th and
    90th percentiles, and the mode that gives the triangle the model's mean."""
    from silkrail.routing.distributions import lognormal_range

    dwell, _ = g.costs.crossing_parts[idx]
    mean = float(dwell.value)
    lo, hi = lognormal_range(mean, dwell.variance)
    mode = min(max(3 * mean - lo - hi, lo), hi)
    return lo, mode, max(hi, mode, 0.1)


def _route(engine: Engine, o: Place, d: Place, via: list[int], c: Constraints) -> Route | None:
    """The fastest route under ``c`` (through the crossings ``via``, in order), or None."""
    from silkrail.routing.strategies import route_via

    try:
        if via:
            return route_via(engine, o, d, via, c, (1.0, 0.0, 0.0), mode=c.modes)
        path = engine.shortest_path(o, d, c, (1.0, 0.0, 0.0), mode=c.modes)
    except NoRouteError:
        return None
    if path is None:
        return None
    return engine.assemble(path, o, d, objective="time", teu=1.0, traffic=c.traffic)
