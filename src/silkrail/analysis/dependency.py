"""Dependency of a flow on each country: shares of distance, time and cost, and their
Herfindahl–Hirschman index (HHI).

Distance is counted per country along the track (rail by the country of each edge, water by
the country whose waters it uses; open sea belongs to no country). Running time is split like
the cost model's own edge times. Money: the rail tariff by rail km per country, the sea
freight by sea km, and each event's fees to its country. An event between two countries (a
border crossing, a gauge change at a border, a ferry) is split half and half between them.
The HHI is taken over the countries' shares of the national part (open sea left out), on the
usual 0–10,000 scale: 10,000 when one country holds everything.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from silkrail.analysis import _records as rec
from silkrail.errors import DataError, NoRouteError

logger = logging.getLogger("silkrail.analysis.dependency")

OPEN_SEA = "open sea"
MEASURES = ("distance", "time", "cost")


def hhi(values: Iterable[float]) -> float:
    """The Herfindahl–Hirschman index of the parts ``values`` (any non-negative amounts; they are
    turned into shares of their sum): the sum of squared percentage shares, 0 to 10,000."""
    parts = [float(v) for v in values]
    if any(v < 0 for v in parts):
        raise ValueError("HHI parts must be non-negative")
    total = sum(parts)
    if total <= 0:
        return 0.0
    return sum((100.0 * v / total) ** 2 for v in parts)


@dataclass(frozen=True)
class CountryShare:
    country: str
    km: float
    hours: float
    usd: float
    shares: dict[str, float]  # measure -> share of the whole route (0..1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "country": self.country,
            "km": round(self.km, 1),
            "hours": round(self.hours, 2),
            "usd": round(self.usd, 2),
            "distance_share": round(self.shares["distance"], 4),
            "time_share": round(self.shares["time"], 4),
            "cost_share": round(self.shares["cost"], 4),
        }


@dataclass(frozen=True)
class Dependency:
    label: str
    origin: str
    destination: str
    countries: list[str]
    distance_km: float
    duration_h: float
    cost_usd: float
    shares: list[CountryShare]
    hhi: dict[str, float]
    route: Any = field(default=None, repr=False, compare=False)
    note: str | None = None  # why a variant has no route

    def top(self, measure: str = "distance") -> CountryShare | None:
        national = [s for s in self.shares if s.country != OPEN_SEA]
        return max(national, key=lambda s: s.shares[measure], default=None)

    def to_dict(self) -> dict[str, Any]:
        top = self.top()
        return {
            "label": self.label,
            "origin": self.origin,
            "destination": self.destination,
            "countries": self.countries,
            "distance_km": round(self.distance_km, 1),
            "duration_h": round(self.duration_h, 2),
            "cost_usd": round(self.cost_usd, 2),
            "shares": [s.to_dict() for s in self.shares],
            "hhi": {k: round(v, 1) for k, v in self.hhi.items()},
            "largest": None
            if top is None
            else {"country": top.country, "distance_share": top.shares["distance"]},
        }


def route_dependency(router: Any, route: Any, *, label: str = "best") -> Dependency:
    """The shares of one route."""
    km: dict[str, float] = defaultdict(float)
    hours: dict[str, float] = defaultdict(float)
    usd: dict[str, float] = defaultdict(float)
    rail_km: dict[str, float] = defaultdict(float)
    sea_km: dict[str, float] = defaultdict(float)
    for leg in route.legs:
        parts = _leg_parts(router, leg)
        total = sum(parts.values()) or 1.0
        for cc, k in parts.items():
            km[cc] += k
            hours[cc] += leg.duration_h * k / total
            (sea_km if leg.mode == "sea" else rail_km)[cc] += k
    comp = route.components or {}
    rail_usd = float(comp.get("rail_tariff_usd_per_teu", 0.0)) * route.teu
    sea_usd = float(comp.get("sea_usd_per_teu", 0.0)) * route.teu
    _spread(usd, rail_usd, rail_km)
    _spread(usd, sea_usd, sea_km)
    event_usd = 0.0
    for e in route.events:
        sides = [c for c in dict.fromkeys([e.from_country, e.to_country]) if c] or [OPEN_SEA]
        for cc in sides:
            hours[cc] += e.duration_h / len(sides)
            usd[cc] += e.cost_usd / len(sides)
        event_usd += e.cost_usd
    # fees the events do not name (per-country charges inside the tariff): by distance
    rest = route.cost_usd - rail_usd - sea_usd - event_usd
    if abs(rest) > 0.01:
        _spread(usd, rest, km)
    names = sorted(set(km) | set(hours) | set(usd), key=lambda c: (c == OPEN_SEA, -km.get(c, 0.0), c))
    totals = {"distance": sum(km.values()), "time": sum(hours.values()), "cost": sum(usd.values())}
    shares = []
    for cc in names:
        amounts = {"distance": km.get(cc, 0.0), "time": hours.get(cc, 0.0), "cost": usd.get(cc, 0.0)}
        shares.append(
            CountryShare(
                cc,
                amounts["distance"],
                amounts["time"],
                amounts["cost"],
                {m: (amounts[m] / totals[m] if totals[m] else 0.0) for m in MEASURES},
            )
        )
    index = {m: hhi(s.shares[m] for s in shares if s.country != OPEN_SEA) for m in MEASURES}
    return Dependency(
        label,
        route.origin.name,
        route.destination.name,
        list(route.countries),
        route.distance_km,
        route.duration_h,
        route.cost_usd,
        shares,
        index,
        route,
    )


def _spread(into: dict[str, float], amount: float, weights: dict[str, float]) -> None:
    total = sum(weights.values())
    if not total or not amount:
        return
    for cc, w in weights.items():
        into[cc] += amount * w / total


def _leg_parts(router: Any, leg: Any) -> dict[str, float]:
    """km of a leg per country: rail by each edge's country, water by whose waters it uses;
    a leg without track (or a ferry) is split evenly between its countries."""
    track = rec.leg_track(leg)
    out: dict[str, float] = defaultdict(float)
    if track is None or not len(track.edges) or leg.mode == "ferry":
        sides = list(leg.countries) or [OPEN_SEA]
        for cc in sides:
            out[cc] += leg.distance_km / len(sides)
        return out
    km = rec.edge_km(router.net, track.edges)
    if leg.mode == "sea":
        codes = rec.water_countries(router.net, track.edges)
    else:
        codes = [rec.node_country(router.net, int(n)) for n in track.from_nodes.tolist()]
    for cc, k in zip(codes, km.tolist(), strict=True):
        out[cc or OPEN_SEA] += k
    return out


# --- variants: the same flow through named corridors ------------------------------------


@dataclass(frozen=True)
class Variant:
    """A named set of route options: ``label:avoid=RU+KZ;year=2031;mode=rail;via=id+id``."""

    label: str
    avoid: tuple[str, ...] = ()
    year: int | None = None
    mode: str | None = None
    via: tuple[str, ...] = ()


def parse_variant(text: str) -> Variant:
    """A variant from its command-line form; a bad one raises DataError naming the part."""
    label, sep, rest = text.partition(":")
    if not sep or not label.strip():
        raise DataError(
            f"'{text}' is not a variant; write LABEL:avoid=CC+CC;year=YYYY;mode=rail;via=crossing+crossing",
            field="variant",
        )
    opts: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in rest.split(";"))):
        key, eq, value = part.partition("=")
        key = key.strip()
        if not eq or key not in ("avoid", "year", "mode", "via"):
            raise DataError(
                f"variant '{label}': '{part}' is not an option; use avoid=, year=, mode= or via=",
                field="variant",
            )
        if key == "year":
            try:
                opts["year"] = int(value)
            except ValueError:
                raise DataError(f"variant '{label}': year '{value}' is not a year", field="variant") from None
        elif key == "mode":
            opts["mode"] = value.strip()
        else:
            opts[key] = tuple(v.strip() for v in value.replace(",", "+").split("+") if v.strip())
    return Variant(label.strip(), **opts)


def compute_dependency(
    router: Any,
    origin: str,
    destination: str,
    *,
    alternatives: int = 0,
    variants: Sequence[Variant] = (),
    mode: str = "any",
    objective: str = "time",
    avoid: Sequence[str] = (),
    year: int | None = None,
    teu: float = 1.0,
) -> list[Dependency]:
    """The best route's dependency, then each alternative corridor's, then each variant's."""
    from silkrail.analysis._routing import route_with

    out: list[Dependency] = []
    best = router.route(
        origin,
        destination,
        objective=objective,
        mode=mode,
        avoid=avoid,
        year=year,
        teu=teu,
        alternatives=alternatives,
    )
    out.append(route_dependency(router, best, label="best"))
    for i, alt in enumerate(best.alternatives, 1):
        out.append(route_dependency(router, alt, label=f"alternative {i}"))
    for v in variants:
        try:
            r = route_with(
                router,
                origin,
                destination,
                objective=objective,
                mode=v.mode or mode,
                avoid=(*avoid, *v.avoid),
                year=v.year if v.year is not None else year,
                teu=teu,
                via=v.via,
            )
        except NoRouteError as exc:  # a corridor that does not exist is an answer too
            out.append(Dependency(v.label, origin, destination, [], 0.0, 0.0, 0.0, [], {}, None, str(exc)))
            continue
        out.append(route_dependency(router, r, label=v.label))
    return out


def flow_set_dependency(
    router: Any, flows: Sequence[Any], *, objective: str = "time", year: int | None = None
) -> list[Dependency]:
    """Each flow's dependency (through its via crossings), then the whole set's: the
    TEU-weighted sums of km, hours and money per country, and their HHI."""
    from silkrail.analysis._routing import route_with

    out: list[Dependency] = []
    km: dict[str, float] = defaultdict(float)
    hours: dict[str, float] = defaultdict(float)
    usd: dict[str, float] = defaultdict(float)
    for f in flows:
        try:
            r = route_with(
                router, f.origin, f.destination, objective=objective, mode=f.mode, year=year, via=f.via
            )
        except NoRouteError as exc:
            out.append(Dependency(f.name, f.origin, f.destination, [], 0.0, 0.0, 0.0, [], {}, None, str(exc)))
            continue
        d = route_dependency(router, r, label=f.name)
        out.append(d)
        for s in d.shares:
            km[s.country] += s.km * f.teu_per_year
            hours[s.country] += s.hours * f.teu_per_year
            usd[s.country] += s.usd * f.teu_per_year
    totals = {"distance": sum(km.values()), "time": sum(hours.values()), "cost": sum(usd.values())}
    shares = [
        CountryShare(
            cc,
            km[cc],
            hours[cc],
            usd[cc],
            {
                "distance": km[cc] / totals["distance"] if totals["distance"] else 0.0,
                "time": hours[cc] / totals["time"] if totals["time"] else 0.0,
                "cost": usd[cc] / totals["cost"] if totals["cost"] else 0.0,
            },
        )
        for cc in sorted(km, key=lambda c: (c == OPEN_SEA, -km[c], c))
    ]
    index = {m: hhi(s.shares[m] for s in shares if s.country != OPEN_SEA) for m in MEASURES}
    countries = [s.country for s in shares if s.country != OPEN_SEA]
    total = Dependency("all flows (TEU-weighted)", "", "", countries, 0.0, 0.0, 0.0, shares, index)
    return [total, *out]
