"""Central Asia to the sea: the best land route from one origin to each of its exits to the
sea, compared, and what the planned links change year by year.

An exit is a group of rail-linked seaports (Karachi and Port Qasim, Bandar Abbas, Chabahar,
Poti and Batumi, Lianyungang, the Russian Baltic ports, Rotterdam). Its route is the best
rail route (rail ferries included) to the terminal of any of its ports in the network of the
year asked for. For each exit the comparison gives the route's distance, time, cost and CO2e
with their ranges, its breaks of gauge and borders, the shares of each country and operator
with their HHI, the planned links it depends on (those opening after the reference year), and
the security or sanctions statements sources make about the countries it crosses.

**Before and after.** Links only ever open as years pass, so an exit's best route can only
change in a year some planned link opens. The comparison finds the links the best routes use
once every planned link is open, and routes each exit again in each of their opening years:
the years where an exit's route changes are its before/after.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from silkrail.analysis import _records as rec
from silkrail.analysis._records import PlannedLink
from silkrail.analysis.dependency import Dependency, route_dependency
from silkrail.analysis.risks import RiskNote, load_risks, risks_for
from silkrail.errors import DataError, NoRouteError

if TYPE_CHECKING:
    import pandas

    from silkrail.routing.places import Place
    from silkrail.routing.query import RouteOptions
    from silkrail.routing.results import Route
    from silkrail.routing.router import Router

logger = logging.getLogger("silkrail.analysis.sea")

Progress = Callable[[str, int], None]
"""Told before each route is searched: what it is, and how many there are in all (known once
the planned links the routes use are known)."""


@dataclass(frozen=True)
class SeaExit:
    """A way out to the sea: one or more rail-linked seaports (UN/LOCODEs) and the name of
    the corridor that usually leads there."""

    id: str
    name: str
    corridor: str
    ports: tuple[str, ...]


SEA_EXITS: tuple[SeaExit, ...] = (
    SeaExit("karachi", "Karachi / Port Qasim", "Pakistan: Trans-Afghan or through Iran", ("PKKHI", "PKBQM")),
    SeaExit("bandar-abbas", "Bandar Abbas", "Turkmenistan–Iran", ("IRBND",)),
    SeaExit("chabahar", "Chabahar", "Iran's eastern corridor", ("IRZBR",)),
    SeaExit("poti-batumi", "Poti / Batumi", "Middle Corridor (Caspian, Caucasus)", ("GEPTI", "GEBUS")),
    SeaExit("lianyungang", "Lianyungang", "China", ("CNLYG",)),
    SeaExit("baltic", "St Petersburg / Ust-Luga", "Russia to the Baltic", ("RULED", "RUULU")),
    SeaExit("rotterdam", "Rotterdam", "Russia, Belarus and Poland to the North Sea", ("NLRTM",)),
)
"""The exits compared by default: the seas Central Asia's diversified and Chinese-led
corridors lead to."""


@dataclass(frozen=True, slots=True)
class ExitSummary:
    """An exit's route in one year of the timeline: its headline figures, rounded as shown."""

    year: int
    port: str | None
    distance_km: float
    duration_h: float
    cost_usd: float
    co2_kg: float
    countries: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "year": self.year,
            "port": self.port,
            "distance_km": self.distance_km,
            "duration_h": self.duration_h,
            "cost_usd": self.cost_usd,
            "co2_kg": self.co2_kg,
            "countries": list(self.countries),
        }


@dataclass(frozen=True)
class ExitRoute:
    """The best route to one exit in one year, or why there is none."""

    exit: SeaExit
    year: int
    route: Route | None = field(default=None, repr=False)
    port: str | None = None  # the port reached (name)
    locode: str | None = None
    note: str | None = None  # why there is no route
    dependency: Dependency | None = field(default=None, repr=False)
    planned: tuple[PlannedLink, ...] = ()
    risks: tuple[RiskNote, ...] = ()

    @property
    def ok(self) -> bool:
        return self.route is not None

    def same_route(self, other: ExitRoute) -> bool:
        """Whether ``other`` takes the same path to the same port."""
        if self.route is None or other.route is None:
            return self.route is None and other.route is None
        return self.locode == other.locode and list(self.route.arcs) == list(other.route.arcs)

    def headline(self) -> ExitSummary | None:
        """The headline figures, for the before/after tables (None without a route)."""
        r = self.route
        if r is None:
            return None
        return ExitSummary(
            year=self.year,
            port=self.port,
            distance_km=round(r.distance_km, 1),
            duration_h=round(r.duration_h, 2),
            cost_usd=round(r.cost_usd, 2),
            co2_kg=round(r.co2_kg, 1),
            countries=tuple(r.countries),
        )

    def summary(self) -> dict[str, object] | None:
        """The headline figures' JSON form (None without a route)."""
        h = self.headline()
        return None if h is None else h.to_dict()

    def to_dict(self) -> dict[str, object]:
        base: dict[str, object] = {
            "id": self.exit.id,
            "name": self.exit.name,
            "corridor": self.exit.corridor,
            "year": self.year,
            "port": self.port,
            "locode": self.locode,
            "note": self.note,
        }
        r = self.route
        if r is None:
            return base | {"route": None}
        dep = self.dependency
        return base | {
            "distance_km": round(r.distance_km, 1),
            "duration_h": round(r.duration_h, 2),
            "duration_h_range": [round(x, 2) for x in r.duration_h_range],
            "cost_usd": round(r.cost_usd, 2),
            "cost_usd_range": [round(x, 2) for x in r.cost_usd_range],
            "co2_kg": round(r.co2_kg, 1),
            "co2_kg_range": [round(x, 1) for x in r.co2_kg_range],
            "co2_basis": r.co2_basis,
            "countries": list(r.countries),
            "gauge_changes": [
                {"at": e.at, "from_gauge_mm": e.from_gauge_mm, "to_gauge_mm": e.to_gauge_mm, "basis": e.basis}
                for e in r.gauge_changes
            ],
            "borders": [
                {"at": e.at, "from_country": e.from_country, "to_country": e.to_country, "basis": e.basis}
                for e in r.border_crossings
            ],
            "country_shares": [s.to_dict() for s in dep.shares] if dep else [],
            "hhi": {k: round(v, 1) for k, v in dep.hhi.items()} if dep else {},
            "operator_shares": [s.to_dict() for s in dep.operators] if dep else [],
            "operator_hhi": {k: round(v, 1) for k, v in dep.operator_hhi.items()} if dep else {},
            "planned_links": [p.to_dict() for p in self.planned],
            "risks": [x.to_dict() for x in self.risks],
            "route": r.to_dict(),
        }


@dataclass(frozen=True)
class ExitChange:
    """What the links opening in ``year`` change for one exit: its route in the timeline year
    before (``was``; None: the exit had no route) and from ``year`` on (``becomes``)."""

    year: int
    exit: SeaExit
    links: tuple[PlannedLink, ...]
    was: ExitSummary | None
    becomes: ExitSummary | None

    @property
    def before(self) -> dict[str, object] | None:
        """``was`` in its JSON form."""
        return None if self.was is None else self.was.to_dict()

    @property
    def after(self) -> dict[str, object] | None:
        """``becomes`` in its JSON form."""
        return None if self.becomes is None else self.becomes.to_dict()

    def to_dict(self) -> dict[str, object]:
        return {
            "year": self.year,
            "exit": self.exit.id,
            "links": [p.to_dict() for p in self.links],
            "before": self.before,
            "after": self.after,
        }


@dataclass(frozen=True)
class SeaComparison:
    """The exits from one origin in the year asked for, and year by year."""

    origin: Place
    year: int
    reference_year: int
    objective: str
    exits: tuple[ExitRoute, ...]
    years: tuple[int, ...]  # the timeline: the reference year, the year asked for, the openings
    by_year: dict[int, tuple[ExitRoute, ...]] = field(repr=False)
    changes: tuple[ExitChange, ...] = ()

    def exit_route(self, exit_id: str, year: int | None = None) -> ExitRoute:
        """The route to an exit in a year of the timeline (default: the year asked for)."""
        rows = self.exits if year is None else self.by_year[year]
        for x in rows:
            if x.exit.id == exit_id:
                return x
        raise KeyError(exit_id)

    def to_dict(self) -> dict[str, object]:
        return {
            "origin": {"name": self.origin.name, "lat": self.origin.lat, "lon": self.origin.lon},
            "year": self.year,
            "reference_year": self.reference_year,
            "objective": self.objective,
            "exits": [x.to_dict() for x in self.exits],
            "timeline": {
                "years": list(self.years),
                "exits": {
                    x.exit.id: [self.exit_route(x.exit.id, y).summary() for y in self.years]
                    for x in self.exits
                },
            },
            "changes": [c.to_dict() for c in self.changes],
        }

    def to_frame(self) -> pandas.DataFrame:
        """One row per exit (the year asked for): the headline figures and the HHI."""
        from silkrail.frames import require

        pd = require("pandas", "frames")
        rows = []
        for x in self.exits:
            r, dep = x.route, x.dependency
            rows.append(
                {
                    "exit": x.exit.id,
                    "port": x.port,
                    "distance_km": r.distance_km if r else None,
                    "duration_h": r.duration_h if r else None,
                    "cost_usd": r.cost_usd if r else None,
                    "co2_kg": r.co2_kg if r else None,
                    "gauge_changes": len(r.gauge_changes) if r else None,
                    "borders": len(r.border_crossings) if r else None,
                    "countries": " ".join(r.countries) if r else None,
                    "hhi_distance": dep.hhi.get("distance") if dep else None,
                    "operator_hhi_distance": dep.operator_hhi.get("distance") if dep else None,
                    "planned_links": len(x.planned),
                    "note": x.note,
                }
            )
        return pd.DataFrame(rows)


def compare_sea_exits(
    router: Router,
    origin: str | Place,
    *,
    year: int | None = None,
    objective: str = "time",
    exits: Sequence[SeaExit] = SEA_EXITS,
    risks: tuple[RiskNote, ...] | None = None,
    progress: Progress | None = None,
) -> SeaComparison:
    """The best route from ``origin`` to each exit in the network of ``year`` (default: the
    reference year), and year by year through the openings of the planned links they use.

    Raises DataError for a bad year, objective or exit, UnknownPlaceError for an unknown place.
    """
    from silkrail.routing.query import RouteOptions, check_query

    net = router.net
    options = RouteOptions(mode="rail", objective=objective, year=year)
    q = check_query(net, options)
    if not exits:
        raise DataError("no exit to compare; give at least one", field="exits")
    for x in exits:
        unknown = [c for c in x.ports if c not in net.meta.get("locodes", {})]
        if unknown:
            verb = "is not a port" if len(unknown) == 1 else "are not ports"
            raise DataError(f"exit '{x.id}': {', '.join(unknown)} {verb} of the network", field="exits")
    asked = q.constraints.year
    today = net.current_year()
    o = router.resolve(origin)
    notes = load_risks() if risks is None else risks
    horizon = _horizon(router)
    cache: dict[int, tuple[ExitRoute, ...]] = {}
    total = [len(exits) * 2]  # the horizon and the year asked for, until the openings are known

    def routes_in(y: int) -> tuple[ExitRoute, ...]:
        if y not in cache:
            rows = []
            for x in exits:
                if progress is not None:
                    progress(f"{x.name}, network of {y}", total[0])
                rows.append(_exit_route(router, o, x, replace(options, year=y), q.coef, today, notes))
            cache[y] = tuple(rows)
        return cache[y]

    final = routes_in(horizon)
    openings = {p.opens for x in final for p in x.planned if today < p.opens <= horizon}
    years = tuple(sorted({today, asked} | openings))
    total[0] = len(exits) * len({horizon, *years})
    by_year = {y: routes_in(y) for y in years}
    return SeaComparison(
        origin=o,
        year=asked,
        reference_year=today,
        objective=q.objective,
        exits=by_year[asked],
        years=years,
        by_year=by_year,
        changes=tuple(_changes(years, by_year, exits)),
    )


def _horizon(router: Router) -> int:
    """The year every planned link of the network is open (the reference year if none is)."""
    from silkrail.routing.graph import CLOSED_YEAR

    years = router.graph.year
    planned = years[years < CLOSED_YEAR]
    return max(int(planned.max()) if len(planned) else 0, router.net.current_year())


def _exit_route(
    router: Router,
    o: Place,
    x: SeaExit,
    options: RouteOptions,
    coef: tuple[float, ...],
    today: int,
    notes: tuple[RiskNote, ...],
) -> ExitRoute:
    """The best route to any port of ``x`` in the options' year (by their objective), with
    its analysis."""
    from silkrail.routing.strategies import rank_value

    year = int(options.year or today)
    best: tuple[float, Route, str] | None = None
    reasons = []
    for code in x.ports:
        try:
            r = router.route(options.between(o, code))
        except NoRouteError as exc:
            reasons.append(str(exc))
            continue
        value = rank_value(r, coef)
        if best is None or value < best[0]:
            best = (value, r, code)
    if best is None:
        return ExitRoute(x, year, note="; ".join(dict.fromkeys(reasons)) or "no route")
    _, r, code = best
    return ExitRoute(
        x,
        year,
        route=r,
        port=r.destination.name,
        locode=code,
        dependency=route_dependency(router, r, label=x.name),
        planned=tuple(rec.planned_on_route(router, r, today)),
        risks=tuple(risks_for(r.countries, notes)),
    )


def _changes(
    years: tuple[int, ...], by_year: dict[int, tuple[ExitRoute, ...]], exits: Sequence[SeaExit]
) -> list[ExitChange]:
    """Each year of the timeline in which an exit's route changes, with the links that open
    that year on its new route."""
    out: list[ExitChange] = []
    for i, x in enumerate(exits):
        for before_year, year in itertools.pairwise(years):
            before, after = by_year[before_year][i], by_year[year][i]
            if before.same_route(after):
                continue
            links = tuple(p for p in after.planned if before_year < p.opens <= year)
            out.append(ExitChange(year, x, links, before.headline(), after.headline()))
    return sorted(out, key=lambda ch: ch.year)
