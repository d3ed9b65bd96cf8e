"""The programme's border links by year and what they change: each crossing of the country with
its opening year, and routes across them before and after they open (route, time, gauge
changes), from the routable network with ``year``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from silkrail.errors import SilkrailError
from silkrail.routing.query import RouteQuery

if TYPE_CHECKING:
    from silkrail.network.curated import BordersFile, LinesFile
    from silkrail.routing.results import Route
    from silkrail.routing.router import Router


@dataclass(frozen=True)
class BorderLink:
    """A crossing of the country's border: open now or planned for ``opens``."""

    id: str
    name: str
    countries: tuple[str, str]
    gauges_mm: tuple[int, int]
    method: str
    status: str
    opens: int | None
    lines: tuple[str, ...]
    note: str
    sources: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "countries": list(self.countries),
            "gauges_mm": list(self.gauges_mm),
            "method": self.method,
            "status": self.status,
            "opens": self.opens,
            "lines": list(self.lines),
            "note": self.note,
            "source": list(self.sources),
        }


def border_links(country: str, borders: BordersFile, lines: LinesFile) -> list[BorderLink]:
    """Every curated border crossing with ``country`` on one side, open ones first then by
    opening year, with the curated lines of a gauge of either side that end at it."""
    out = []
    for c in borders.crossings:
        if c.kind != "border" or country not in {s.country for s in c.sides}:
            continue
        gauges = {s.gauge_mm for s in c.sides}
        serving = tuple(
            line.id
            for line in lines.lines
            if line.gauge_mm in gauges
            and any(
                abs(end.lat - side.lat) + abs(end.lon - side.lon) < 0.02
                for end in (line.stations[0], line.stations[-1])
                for side in c.sides
            )
        )
        a, b = c.sides
        out.append(
            BorderLink(
                id=c.id,
                name=c.name,
                countries=(str(a.country), str(b.country)),
                gauges_mm=(int(a.gauge_mm or 0), int(b.gauge_mm or 0)),
                method=c.method,
                status=c.status,
                opens=c.opening_year if c.status == "planned" else None,
                lines=serving,
                note=c.note or "",
                sources=tuple(c.sources),
            )
        )
    return sorted(out, key=lambda link: (link.opens or 0, link.id))


@dataclass(frozen=True)
class RouteFigures:
    """One route in one year, summed up: time, km, the gauges of its rail legs, its gauge
    changes and border crossings by place."""

    year: int
    duration_h: float
    distance_km: float
    gauges_mm: tuple[int, ...]
    gauge_changes: tuple[str, ...]
    crossings: tuple[str, ...]
    countries: tuple[str, ...]
    legs: tuple[tuple[str, str, int | None, float], ...]
    coordinates: tuple[tuple[tuple[float, float], ...], ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "year": self.year,
            "duration_h": round(self.duration_h, 1),
            "distance_km": round(self.distance_km, 1),
            "gauges_mm": list(self.gauges_mm),
            "gauge_changes": list(self.gauge_changes),
            "border_crossings": list(self.crossings),
            "countries": list(self.countries),
            "legs": [
                {"from": a, "to": b, "gauge_mm": g, "distance_km": round(km, 1)} for a, b, g, km in self.legs
            ],
        }


def route_figures(route: Route, year: int) -> RouteFigures:
    rail = [leg for leg in route.legs if leg.mode == "rail"]
    gauges: list[int] = []
    for leg in rail:
        if leg.gauge_mm and (not gauges or gauges[-1] != leg.gauge_mm):
            gauges.append(int(leg.gauge_mm))
    return RouteFigures(
        year=year,
        duration_h=route.duration_h,
        distance_km=route.distance_km,
        gauges_mm=tuple(gauges),
        gauge_changes=tuple(e.at for e in route.events if e.kind == "gauge_change"),
        crossings=tuple(e.at for e in route.events if e.kind == "border_crossing"),
        countries=tuple(route.countries),
        legs=tuple((leg.from_, leg.to, leg.gauge_mm, leg.distance_km) for leg in route.legs),
        coordinates=tuple(
            tuple((float(x), float(y)) for x, y in leg.coordinates)
            for leg in route.legs
            if len(leg.coordinates)
        ),
    )


@dataclass(frozen=True)
class RouteChange:
    """A route before and after a link opens: the time it saves and the gauge changes it drops.
    A year without a route says why (``before_error``, ``after_error``)."""

    origin: str
    destination: str
    link: str
    before_year: int
    after_year: int
    before: RouteFigures | None
    after: RouteFigures | None
    before_error: str | None = None
    after_error: str | None = None

    @property
    def saved_h(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.before.duration_h - self.after.duration_h

    def to_dict(self) -> dict[str, object]:
        return {
            "origin": self.origin,
            "destination": self.destination,
            "link": self.link,
            "years": [self.before_year, self.after_year],
            "before": None if self.before is None else self.before.to_dict(),
            "after": None if self.after is None else self.after.to_dict(),
            "saved_h": None if self.saved_h is None else round(self.saved_h, 1),
            "before_error": self.before_error,
            "after_error": self.after_error,
        }


ROUTES: tuple[tuple[str, str, str], ...] = (
    ("Kunming", "Haiphong", "hekou-north-lao-cai-standard"),
    ("Nanning", "Hanoi", "pingxiang-dong-dang"),
    ("Vientiane", "Vung Ang port", "mu-gia"),
)
"""The routes the report compares before and after a link opens: (origin, destination, crossing)."""


def route_changes(
    router: Router,
    links: list[BorderLink],
    *,
    routes: tuple[tuple[str, str, str], ...] = ROUTES,
    lines: LinesFile | None = None,
) -> list[RouteChange]:
    """Each route of ``routes`` by rail the year before its link (or the standard-gauge line
    through it) opens and the year after; a link with no planned change is left out. A route that
    cannot be found says why, the others stand."""
    by_id = {link.id: link for link in links}
    out = []
    for origin, destination, link_id in routes:
        link = by_id.get(link_id)
        year = change_year(link, lines) if link is not None else None
        if year is None:
            continue
        figures: list[RouteFigures | None] = []
        errors: list[str | None] = []
        for y in (year - 1, year + 1):
            try:
                r = router.route(RouteQuery(origin, destination, mode="rail", year=y))
                figures.append(route_figures(r, y))
                errors.append(None)
            except SilkrailError as exc:
                figures.append(None)
                errors.append(str(exc))
        out.append(
            RouteChange(
                origin, destination, link_id, year - 1, year + 1, figures[0], figures[1], errors[0], errors[1]
            )
        )
    return out


def change_year(link: BorderLink, lines: LinesFile | None) -> int | None:
    """The year something changes at ``link``: its own opening, else the first planned line that
    serves it."""
    if link.opens is not None:
        return link.opens
    if lines is None:
        return None
    years = [line.opening_year for line in lines.lines if line.id in link.lines and line.status != "open"]
    return min(years) if years else None
