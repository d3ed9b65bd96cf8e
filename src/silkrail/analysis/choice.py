"""Corridor choice: which corridor published services take, which corridor the model picks, and
the generalised cost's penalties fitted as a discrete choice between them.

The evidence is ``service_routes.yaml``: named services with the countries and crossings their
sources state. A route *matches* a service when its country sequence is the service's and it
uses every crossing the source names (:func:`matches`).

The fit (:func:`fit_choice`) is a discrete choice. Each service gets a choice set: the routes the
model gives under time, under money and under a coarse grid of generalised weights, and the best
route through the published corridor (its countries held, its crossings passed). A weight vector
over (hours, US$, CO2, customs borders, transshipments) picks the candidate of least generalised
cost; the penalties (and the value of time, within its sourced range) are chosen to pick the
published corridor of as many services as possible. Ties go to the weights under which the
misses come closest (the least relative regret), then to the value of time nearest the middle
of its sourced range, then to the smallest penalties. Whole lanes are held out in turn: the
held-out hit rate is of each lane's services routed under weights fitted to the other lanes.

Every hit rate reported is of real routes (the router under the weights), not of the choice
sets. Services whose choice the source explains by something the model does not price
(sanctions, a partnership of railways) keep that statement beside their outcome; a sanctions
service is also routed as a user would ask it (``--avoid`` the country), separately.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field, field_validator

from silkrail.errors import DataError, NoRouteError, SilkrailError
from silkrail.network.loader import Country, Sourced, Strict, check_country, check_id, validate_file

if TYPE_CHECKING:
    from silkrail.routing.generalised import GeneralisedWeights
    from silkrail.routing.query import RouteQuery
    from silkrail.routing.results import Route
    from silkrail.routing.router import Router

DATA_FILE = "service_routes.yaml"
UnpricedKind = Literal["sanctions", "partnership"]
Progress = Callable[[str, int], None]
Coef = tuple[float, float, float, float, float]

CANDIDATE_VOT = (10.9, 25.2, 40.2)
"""Values of time (US$ per TEU-hour) the choice sets are routed under: the sourced range's ends and middle."""
CANDIDATE_PENALTIES = (0.0, 400.0, 1500.0)
"""Penalties per border and per transshipment (US$ per TEU) the choice sets are routed under."""
FIT_PENALTIES = (0.0, 100.0, 200.0, 300.0, 500.0, 750.0, 1000.0, 1500.0, 2000.0, 3000.0)
"""Penalties the fit tries (US$ per TEU), for borders and for transshipments alike."""
FIT_VOT_STEPS = 7
"""Values of time the fit tries, evenly over the sourced range."""
CONTESTED_DETOUR = 1.5
"""A service is contested when its choice set holds another corridor within this many times the
fastest candidate's hours: there is a real choice to get right."""


# -- the evidence -------------------------------------------------------------------------------


class _Unpriced(Strict):
    kind: UnpricedKind
    statement: str = Field(min_length=10, max_length=600)
    avoid: list[Country] = Field(default_factory=list, max_length=10)

    _c = field_validator("avoid")(lambda v: [check_country(x) for x in v])


class _ServiceRecord(Sourced):
    id: str
    name: str = Field(min_length=3, max_length=200)
    lane: str = Field(min_length=2, max_length=60)
    origin: str = Field(min_length=1, max_length=200)
    destination: str = Field(min_length=1, max_length=200)
    mode: Literal["rail", "any"] = "rail"
    countries: list[Country] = Field(min_length=1, max_length=30)
    crossings: list[str] = Field(default_factory=list, max_length=20)
    note: str | None = None
    unpriced: _Unpriced | None = None

    _i = field_validator("id")(lambda v: check_id(v))
    _c = field_validator("countries")(lambda v: [check_country(x) for x in v])


class _ServicesFile(Strict):
    services: list[_ServiceRecord] = Field(min_length=1, max_length=1000)


@dataclass(frozen=True)
class Unpriced:
    """What the source says drove the choice, which the model does not price."""

    kind: UnpricedKind
    statement: str
    avoid: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServiceRoute:
    """A published service and the corridor its source states."""

    id: str
    name: str
    lane: str
    origin: str
    destination: str
    mode: Literal["rail", "any"]
    countries: tuple[str, ...]
    crossings: tuple[str, ...]
    sources: tuple[str, ...]
    as_of: str
    note: str | None = None
    unpriced: Unpriced | None = None

    @property
    def corridor(self) -> str:
        """The published corridor in words: its countries, and the crossings named."""
        text = " → ".join(self.countries)
        return text + (f" (via {', '.join(self.crossings)})" if self.crossings else "")


def load_service_routes(path: Path | None = None) -> tuple[ServiceRoute, ...]:
    """The services of ``path`` (default: the package's ``service_routes.yaml``); a bad record
    raises :class:`DataError` naming the file, line and field."""
    if path is None:
        return _packaged()
    return _load(Path(path))


@cache
def _packaged() -> tuple[ServiceRoute, ...]:
    # evidence, like data/evidence: the package's, whatever data directory the network is built from
    return _load(Path(__file__).resolve().parent.parent / "data" / DATA_FILE)


def _load(path: Path) -> tuple[ServiceRoute, ...]:
    parsed, _ = validate_file(path, _ServicesFile)
    f: _ServicesFile = parsed
    ids = [s.id for s in f.services]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise DataError(f"{path.name}: service id '{dup[0]}' is given twice; ids must be unique", field="id")
    return tuple(
        ServiceRoute(
            id=s.id,
            name=s.name,
            lane=s.lane,
            origin=s.origin,
            destination=s.destination,
            mode=s.mode,
            countries=tuple(s.countries),
            crossings=tuple(s.crossings),
            sources=tuple(s.sources),
            as_of=s.as_of,
            note=" ".join(s.note.split()) if s.note else None,
            unpriced=(
                Unpriced(s.unpriced.kind, " ".join(s.unpriced.statement.split()), tuple(s.unpriced.avoid))
                if s.unpriced
                else None
            ),
        )
        for s in f.services
    )


# -- matching ------------------------------------------------------------------------------------


def country_path(countries: Iterable[str]) -> tuple[str, ...]:
    """A country sequence without repeats in a row (a leg that stays in a country adds nothing)."""
    out: list[str] = []
    for c in countries:
        if c and (not out or out[-1] != c):
            out.append(c)
    return tuple(out)


def corridor_path(countries: Iterable[str], union: frozenset[str]) -> tuple[str, ...]:
    """The country sequence as corridors differ: a run of countries of ``union`` (the EU's
    single market, where the railways a train takes from its entry to its last country are a
    routing detail, not another corridor) kept by its first and last country."""
    out: list[str] = []
    run: list[str] = []
    for c in [*country_path(countries), ""]:
        if c in union:
            run.append(c)
            continue
        if run:
            out += [run[0]] if len(run) == 1 else [run[0], "…", run[-1]]
            run = []
        if c:
            out.append(c)
    return tuple(out)


def crossing_records(route: Route, crossing_ids: Sequence[str]) -> set[str]:
    """The ids of the crossings (borders.yaml) a route uses, by the network's crossing list."""
    return {crossing_ids[i] for i in route.crossing_ids if 0 <= i < len(crossing_ids)}


def matches(
    route: Route, s: ServiceRoute, crossing_ids: Sequence[str], union: frozenset[str] = frozenset()
) -> bool:
    """Whether ``route`` takes the service's corridor: the same country sequence (inside
    ``union``, the same first and last country: see :func:`corridor_path`), and every crossing
    the source names."""
    if corridor_path(route.countries, union) != corridor_path(s.countries, union):
        return False
    return set(s.crossings) <= crossing_records(route, crossing_ids)


def single_market(router: Router) -> frozenset[str]:
    """The European Union's members: the customs union of the cost model (borders.yaml's
    ``customs_unions``) that holds Germany."""
    unions = [u for u in router.graph.model.unions if "DE" in u]
    return unions[0] if unions else frozenset()


# -- choice sets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """One route of a choice set: its corridor and its values per TEU over the generalised
    cost's terms (hours, US$, kg CO2, customs borders, transshipments)."""

    countries: tuple[str, ...]
    crossings: tuple[str, ...]
    values: tuple[float, float, float, float, float]
    matches: bool

    def cost(self, coef: Sequence[float]) -> float:
        return float(np.dot(coef, self.values))

    def describe(self) -> str:
        return " → ".join(self.countries) + (f" ({', '.join(self.crossings)})" if self.crossings else "")


@dataclass(frozen=True)
class ChoiceSet:
    """A service with the routes it could take."""

    service: ServiceRoute
    candidates: tuple[Candidate, ...]
    published_found: bool  # the network has a route through the published corridor

    @property
    def contested(self) -> bool:
        """Whether another corridor lies within :data:`CONTESTED_DETOUR` of the fastest hours."""
        if not self.candidates:
            return False
        fastest = min(c.values[0] for c in self.candidates)
        near = {
            (c.countries, c.crossings) for c in self.candidates if c.values[0] <= CONTESTED_DETOUR * fastest
        }
        return len(near) > 1

    @property
    def dominated(self) -> bool | None:
        """Whether every route through the published corridor is dominated: another corridor
        of the set is no slower, no dearer, crosses no more customs borders and has no more
        transshipments, and is better in one of them. Then no non-negative weights pick the
        published corridor: what chose it is not in the model's figures. None when no candidate
        matches."""
        mine = [c for c in self.candidates if c.matches]
        if not mine:
            return None
        others = [c for c in self.candidates if not c.matches]
        return all(any(_dominates(o, c) for o in others) for c in mine)

    def pick(self, coef: Sequence[float]) -> Candidate | None:
        """The candidate of least generalised cost under ``coef``."""
        if not self.candidates:
            return None
        return min(self.candidates, key=lambda c: c.cost(coef))

    def regret(self, coef: Sequence[float]) -> float:
        """How much more the best matching candidate costs than the pick (relative; 0 for a hit,
        NaN when no candidate matches)."""
        pick = self.pick(coef)
        best = [c.cost(coef) for c in self.candidates if c.matches]
        if pick is None or not best:
            return math.nan
        return max(min(best) - pick.cost(coef), 0.0) / max(pick.cost(coef), 1e-9)


def _dominates(a: Candidate, b: Candidate) -> bool:
    """Whether ``a`` is no worse than ``b`` in hours, US$, borders and transshipments, and better
    in one (CO2 is no part of the generalised cost)."""
    va = np.asarray(a.values)[[0, 1, 3, 4]]
    vb = np.asarray(b.values)[[0, 1, 3, 4]]
    return bool((va <= vb + 1e-9).all() and (va < vb - 1e-9).any())


def _candidate(
    route: Route, s: ServiceRoute, crossing_ids: Sequence[str], union: frozenset[str]
) -> Candidate:
    from silkrail.routing.generalised import term_values

    return Candidate(
        country_path(route.countries),
        tuple(sorted(crossing_records(route, crossing_ids))),
        term_values(route),
        matches(route, s, crossing_ids, union),
    )


def objective_of(coef: Sequence[float]) -> dict[str, float]:
    """A weight vector as the objective mapping a :class:`~silkrail.routing.query.RouteQuery` takes."""
    from silkrail.routing.generalised import TERMS

    return {t: float(w) for t, w in zip(TERMS, coef, strict=True) if w}


def service_query(
    s: ServiceRoute, objective: str | dict[str, float], avoid: Iterable[str] = ()
) -> RouteQuery:
    from silkrail.routing.query import RouteQuery

    return RouteQuery(s.origin, s.destination, mode=s.mode, objective=objective, avoid=tuple(avoid))


def published_route(router: Router, s: ServiceRoute) -> Route | None:
    """The best route (by time) through the published corridor: the countries of the service
    only, through the crossings its source names; None where the network has none."""
    from silkrail.analysis._routing import route_with

    others = sorted(set(router.net.countries) - set(s.countries) - {""})
    try:
        query = service_query(s, "time", avoid=[c for c in others if _known(c)])
        return route_with(router, query, via=list(s.crossings))
    except SilkrailError:
        return None


@cache
def _known(code: str) -> bool:
    from silkrail.network.loader import known_country_codes

    return code in known_country_codes()


def candidate_grid() -> list[Coef]:
    """The weights the choice sets are routed under: time, money, and the generalised grid."""
    grid: list[Coef] = [(1.0, 0.0, 0.0, 0.0, 0.0), (0.0, 1.0, 0.0, 0.0, 0.0)]
    for vot, b, t in itertools.product(CANDIDATE_VOT, CANDIDATE_PENALTIES, CANDIDATE_PENALTIES):
        grid.append((vot, 1.0, 0.0, b, t))
    return grid


def build_choice_set(router: Router, s: ServiceRoute, grid: Sequence[Coef] | None = None) -> ChoiceSet:
    """The service's choice set: its routes under every weight vector of ``grid`` (default:
    :func:`candidate_grid`) and through its published corridor, one candidate per distinct route."""
    ids = [c.id for c in router.net.crossings]
    union = single_market(router)
    found: dict[tuple[tuple[str, ...], tuple[str, ...], tuple[float, ...]], Candidate] = {}

    def add(r: Route) -> None:
        c = _candidate(r, s, ids, union)
        key = (c.countries, c.crossings, tuple(round(v, 3) for v in c.values))
        found.setdefault(key, c)

    for coef in grid if grid is not None else candidate_grid():
        try:
            add(router.route(service_query(s, objective_of(coef))))
        except NoRouteError:
            continue
    pub = published_route(router, s)
    if pub is not None:
        add(pub)
    return ChoiceSet(s, tuple(found.values()), pub is not None)


# -- the fit -------------------------------------------------------------------------------------


def fit_grid(vot_range: tuple[float, float]) -> list[Coef]:
    """The weight vectors the fit tries: values of time over the sourced range, penalties of
    :data:`FIT_PENALTIES` for borders and transshipments."""
    lo, hi = vot_range
    vots = np.linspace(lo, hi, FIT_VOT_STEPS).round(1).tolist()
    return [(v, 1.0, 0.0, b, t) for v, b, t in itertools.product(vots, FIT_PENALTIES, FIT_PENALTIES)]


@dataclass(frozen=True)
class Fit:
    """The weights a fit chose and how many services of its choice sets they pick right."""

    coef: Coef
    hits: int
    services: int
    regret: float


def fit_weights(sets: Sequence[ChoiceSet], grid: Sequence[Coef], vot_mid: float) -> Fit:
    """The weights of ``grid`` that pick the published corridor of the most choice sets; ties
    to the least summed relative regret, then the value of time nearest ``vot_mid``, then the
    smallest penalties."""
    if not grid:
        raise DataError("the fit needs at least one weight vector to try", field="grid")
    best: tuple[tuple[float, ...], Coef, int, float] | None = None
    for coef in grid:
        hits = sum(1 for cs in sets if (p := cs.pick(coef)) is not None and p.matches)
        regrets = [cs.regret(coef) for cs in sets]
        regret = float(sum(r for r in regrets if not math.isnan(r)))
        key = (-hits, round(regret, 6), abs(coef[0] - vot_mid), coef[3] + coef[4], coef[3])
        if best is None or key < best[0]:
            best = (key, coef, hits, regret)
    assert best is not None
    return Fit(best[1], best[2], len(sets), best[3])


# -- outcomes on real routes ---------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """A service routed under one objective: the corridor the model picks, and whether it is
    the published one."""

    service: ServiceRoute
    objective: str
    countries: tuple[str, ...] = ()
    crossings: tuple[str, ...] = ()
    hit: bool = False
    duration_h: float | None = None
    cost_usd: float | None = None
    customs_borders: int | None = None
    transshipments: int | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"objective": self.objective, "hit": self.hit}
        if self.error:
            return out | {"error": self.error}
        return out | {
            "countries": list(self.countries),
            "crossings": list(self.crossings),
            "duration_h": round(self.duration_h or 0.0, 1),
            "cost_usd": round(self.cost_usd or 0.0, 0),
            "customs_borders": self.customs_borders,
            "transshipments": self.transshipments,
        }


def route_service(
    router: Router,
    s: ServiceRoute,
    objective: str | dict[str, float],
    *,
    label: str | None = None,
    avoid: Iterable[str] = (),
) -> Outcome:
    """The service routed under ``objective`` (and ``avoid``), compared with its corridor."""
    name = label or (objective if isinstance(objective, str) else "weights")
    ids = [c.id for c in router.net.crossings]
    try:
        r = router.route(service_query(s, objective, avoid=avoid))
    except SilkrailError as exc:
        return Outcome(s, name, error=str(exc))
    return Outcome(
        s,
        name,
        country_path(r.countries),
        tuple(sorted(crossing_records(r, ids))),
        matches(r, s, ids, single_market(router)),
        r.duration_h,
        r.cost_usd / r.teu,
        r.customs_borders,
        r.transshipments,
    )


@dataclass(frozen=True)
class ServiceResult:
    """One service: its choice set's summary and its outcomes."""

    service: ServiceRoute
    contested: bool
    published_found: bool
    outcomes: dict[str, Outcome]  # by objective: time, cost, generalised, held_out, as_asked
    dominated: bool | None = None  # see ChoiceSet.dominated (None: not known without a fit)

    def to_dict(self) -> dict[str, object]:
        s = self.service
        out: dict[str, object] = {
            "id": s.id,
            "name": s.name,
            "lane": s.lane,
            "origin": s.origin,
            "destination": s.destination,
            "published": {"countries": list(s.countries), "crossings": list(s.crossings)},
            "contested": self.contested,
            "dominated": self.dominated,
            "published_route_in_network": self.published_found,
            "outcomes": {k: o.to_dict() for k, o in self.outcomes.items()},
            "source": list(s.sources),
            "as_of": s.as_of,
        }
        u = s.unpriced
        if u is None:
            return out
        unpriced: dict[str, object] = {"kind": u.kind, "statement": u.statement}
        return out | {"unpriced": unpriced | ({"avoid": list(u.avoid)} if u.avoid else {})}


@dataclass(frozen=True)
class ChoiceReport:
    """Published service routes against the model's choice, before and after the fit."""

    services: list[ServiceResult]
    weights: Coef  # the weights of the generalised objective evaluated (fitted, or the package's)
    fitted: bool
    held_out_weights: dict[str, Coef] = field(default_factory=dict)  # per lane held out

    def hits(self, objective: str, *, contested_only: bool = False) -> tuple[int, int]:
        """(hits, services) of one objective's outcomes."""
        rows = [r for r in self.services if objective in r.outcomes and (r.contested or not contested_only)]
        return sum(r.outcomes[objective].hit for r in rows), len(rows)

    def summary(self) -> dict[str, object]:
        """Hits per objective (all services, and the contested ones), and how many published
        corridors no weights can pick (dominated in the model's figures)."""
        out: dict[str, object] = {}
        for name in ("time", "cost", "generalised", "held_out", "as_asked"):
            h, n = self.hits(name)
            if n:
                hc, nc = self.hits(name, contested_only=True)
                out[name] = {"hits": h, "services": n, "contested_hits": hc, "contested": nc}
        known = [r for r in self.services if r.dominated is not None]
        return out | ({"dominated": sum(bool(r.dominated) for r in known)} if known else {})

    def to_dict(self) -> dict[str, object]:
        from silkrail.routing.generalised import TERMS

        return {
            "weights": dict(zip(TERMS, self.weights, strict=True)),
            "fitted": self.fitted,
            "held_out_weights": {
                k: dict(zip(TERMS, v, strict=True)) for k, v in self.held_out_weights.items()
            },
            "summary": self.summary(),
            "services": [r.to_dict() for r in self.services],
        }


def fit_choice(
    router: Router,
    services: Sequence[ServiceRoute] | None = None,
    *,
    fit: bool = True,
    weights: GeneralisedWeights | None = None,
    progress: Progress | None = None,
) -> ChoiceReport:
    """The published services against the model: each routed under time, money and the
    generalised cost (the fitted weights with ``fit``, else ``weights`` or the package's); with
    ``fit``, also each lane held out (routed under weights fitted to the other lanes); the
    sanctions services also as a user would ask them (``--avoid``)."""
    from silkrail.routing.generalised import load_weights

    services = list(services if services is not None else load_service_routes())
    w = weights if weights is not None else load_weights()
    steps = len(services) * (2 if fit else 1)

    def tick(label: str) -> None:
        if progress is not None:
            progress(label, steps)

    sets: list[ChoiceSet] = []
    if fit:
        for s in services:
            sets.append(build_choice_set(router, s))
            tick(f"choice set: {s.name}")
    vot_mid = sum(w.value_of_time_range) / 2
    grid = fit_grid(w.value_of_time_range)
    coef: Coef = fit_weights(sets, grid, vot_mid).coef if fit else w.coef
    held: dict[str, Coef] = {}
    if fit:
        for lane in sorted({s.lane for s in services}):
            rest = [cs for cs in sets if cs.service.lane != lane]
            held[lane] = fit_weights(rest, grid, vot_mid).coef
    results = []
    for i, s in enumerate(services):
        asked = s.unpriced.avoid if s.unpriced is not None else ()
        outcomes = {
            "time": route_service(router, s, "time"),
            "cost": route_service(router, s, "cost"),
            "generalised": route_service(router, s, objective_of(coef), label="generalised"),
            **(
                {"held_out": route_service(router, s, objective_of(held[s.lane]), label="held_out")}
                if fit
                else {}
            ),
            **(
                {"as_asked": route_service(router, s, objective_of(coef), label="as_asked", avoid=asked)}
                if asked
                else {}
            ),
        }
        tick(s.name)
        cs = sets[i] if sets else None
        results.append(
            ServiceResult(
                s,
                contested=cs.contested if cs is not None else False,
                published_found=cs.published_found if cs is not None else True,
                outcomes=outcomes,
                dominated=cs.dominated if cs is not None else None,
            )
        )
    return ChoiceReport(results, coef, fit, held)


def write_weights(report: ChoiceReport, path: Path, base: GeneralisedWeights, *, fingerprint: str) -> Path:
    """Write the fitted weights to ``path`` (``generalised.yaml``): the value of time's sources
    and range from ``base``, the fitted point and penalties, and the fit's hit rates (``fingerprint``:
    the cost model's, which the fit's routes were priced by)."""
    import datetime as dt

    import yaml

    from silkrail.routing.generalised import TERMS
    from silkrail.settings import get_settings

    if not report.fitted:
        raise DataError("only a fit's weights are written: run with --fit", field="fit")
    vot, _, _, border, transfer = report.weights
    today = get_settings().reference_date().isoformat()
    n = len(report.services)
    lanes = len(report.held_out_weights)
    how = (
        f"silkrail corridors choice --fit: a discrete choice on the {n} published service routes of "
        f"service_routes.yaml (the share whose corridor the model picks), {lanes} lanes held out in turn"
    )
    lo, hi = base.value_of_time_range
    doc = {
        "value_of_time": {
            "value": float(vot),
            "range": [float(lo), float(hi)],
            "note": (
                "US$ per TEU-hour: the cargo's value per TEU (US$340 bn in 7.4 million TEU, 2013-2023; "
                "US$380 bn in 8.7 million TEU, to May 2024) times the share of its value a day in transit "
                "costs (0.6-2.1 %), over 24 h; the range's ends 0.6 % of 43,700 and 2.1 % of 45,900. The "
                "point is the fit's, within the range."
            ),
            "source": list(base.sources),
            "as_of": base.as_of,
        },
        "customs_border": {
            "value": float(border),
            "basis": "fitted",
            "bounds": [0.0, float(max(FIT_PENALTIES))],
            "note": "US$ per TEU for each customs border, beyond its dwell, queue and fees",
            "source": how,
            "as_of": today,
        },
        "transshipment": {
            "value": float(transfer),
            "basis": "fitted",
            "bounds": [0.0, float(max(FIT_PENALTIES))],
            "note": (
                "US$ per TEU for each change of gauge, rail-ship transfer or ferry crossing, beyond its time "
                "and fees"
            ),
            "source": how,
            "as_of": today,
        },
        "fit": {
            "fitted_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "cost_model": fingerprint,
            "services": n,
            "summary": report.summary(),
            "held_out_weights": {
                lane: dict(zip(TERMS, (float(x) for x in w), strict=True))
                for lane, w in report.held_out_weights.items()
            },
            "grid": {
                "value_of_time_steps": FIT_VOT_STEPS,
                "penalties": [float(x) for x in FIT_PENALTIES],
            },
        },
    }
    header = (
        "# The generalised cost per TEU, the default objective of route, compare and od for freight\n"
        "# (silkrail.routing.generalised): value of time x hours + money + a penalty per customs border\n"
        "# and per transshipment. Written by `silkrail corridors choice --fit --write`; the value of\n"
        "# time's range and sources are curated, the point and the penalties fitted.\n"
    )
    p = Path(path)
    p.write_text(
        header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8"
    )
    return p


__all__ = [
    "Candidate",
    "ChoiceReport",
    "ChoiceSet",
    "Fit",
    "Outcome",
    "ServiceResult",
    "ServiceRoute",
    "Unpriced",
    "build_choice_set",
    "candidate_grid",
    "country_path",
    "fit_choice",
    "fit_grid",
    "fit_weights",
    "load_service_routes",
    "matches",
    "published_route",
    "route_service",
    "write_weights",
]
