"""Dependency of a flow on each country: shares of distance, time and cost, and their
Herfindahl–Hirschman index (HHI).

Distance is counted per country along the track (rail by the country of each edge, water by
the country whose waters it uses; open sea belongs to no country). Running time is split like
the cost model's own edge times. Money: the rail tariff by rail km per country, the sea
freight by sea km, and each event's fees to its country. An event between two countries (a
border crossing, a gauge change at a border, a ferry) is split half and half between them.
The HHI is taken over the countries' shares of the national part (open sea left out), on the
usual 0–10,000 scale: 10,000 when one country holds everything.

The same amounts are split per operator where the curated records name one (see
:mod:`silkrail.analysis.operators`): a rail edge's line or section operator, else its
country's railway; a ferry's operator; a border event half to each side's railway. What no
record names is "unknown", a bucket of its own left out of the operators' HHI like open sea.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from silkrail.analysis import _records as rec
from silkrail.analysis.operators import UNKNOWN_OPERATOR, OperatorIndex, operator_index
from silkrail.errors import DataError, NoRouteError
from silkrail.routing.query import Mode, RouteOptions, RouteQuery, check_mode

if TYPE_CHECKING:
    from silkrail.analysis.flows import Flow
    from silkrail.routing.results import Event, Leg, Route
    from silkrail.routing.router import Router

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
    return min(sum((100.0 * v / total) ** 2 for v in parts), 10_000.0)  # shares summing to 1 + 1e-16


@dataclass(frozen=True, slots=True, eq=False)
class Measures(Mapping[str, float]):
    """One number for each measure of a route or its part: distance, time and cost. Also a
    read-only mapping by the measure's name (``MEASURES``), for tables that loop over them."""

    distance: float
    time: float
    cost: float

    def __getitem__(self, measure: str) -> float:
        if measure == "distance":
            return self.distance
        if measure == "time":
            return self.time
        if measure == "cost":
            return self.cost
        raise KeyError(f"no measure '{measure}'; the measures are {', '.join(MEASURES)}")

    def __iter__(self) -> Iterator[str]:
        return iter(MEASURES)

    def __len__(self) -> int:
        return len(MEASURES)

    def share_of(self, total: Measures) -> Measures:
        """Each measure as a share of ``total``'s (0 where the total is 0)."""

        def part(v: float, whole: float) -> float:
            return v / whole if whole else 0.0

        return Measures(
            part(self.distance, total.distance), part(self.time, total.time), part(self.cost, total.cost)
        )


@dataclass(frozen=True)
class CountryShare:
    country: str
    km: float
    hours: float
    usd: float
    shares: Measures  # of the whole route (0..1)

    def to_dict(self) -> dict[str, object]:
        return {
            "country": self.country,
            "km": round(self.km, 1),
            "hours": round(self.hours, 2),
            "usd": round(self.usd, 2),
            "distance_share": round(self.shares.distance, 4),
            "time_share": round(self.shares.time, 4),
            "cost_share": round(self.shares.cost, 4),
        }


@dataclass(frozen=True)
class OperatorShare:
    """An operator's part of a route, with the records it rests on ("unknown": the part no
    record names -- sea, ports, and track whose operator no source gives)."""

    operator: str
    km: float
    hours: float
    usd: float
    shares: Measures  # of the whole route (0..1)
    name: str | None = None
    sources: tuple[str, ...] = ()
    weak: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "operator": self.operator,
            "name": self.name,
            "km": round(self.km, 1),
            "hours": round(self.hours, 2),
            "usd": round(self.usd, 2),
            "distance_share": round(self.shares.distance, 4),
            "time_share": round(self.shares.time, 4),
            "cost_share": round(self.shares.cost, 4),
            "source": list(self.sources),
            "weak": self.weak,
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
    route: Route | None = field(default=None, repr=False, compare=False)
    note: str | None = None  # why a variant has no route
    operators: list[OperatorShare] = field(default_factory=list)
    operator_hhi: dict[str, float] = field(default_factory=dict)  # unknown left out; none if all unknown

    def top(self, measure: str = "distance") -> CountryShare | None:
        national = [s for s in self.shares if s.country != OPEN_SEA]
        return max(national, key=lambda s: s.shares[measure], default=None)

    def to_dict(self) -> dict[str, object]:
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
            "operator_shares": [s.to_dict() for s in self.operators],
            "operator_hhi": {k: round(v, 1) for k, v in self.operator_hhi.items()},
            "largest": None
            if top is None
            else {"country": top.country, "distance_share": top.shares.distance},
        }


def route_dependency(
    router: Router, route: Route, *, label: str = "best", operators: OperatorIndex | None = None
) -> Dependency:
    """The shares of one route, per country and per operator (``operators``: the operator
    records; by default the shipped interoperability data's)."""
    ops = operators if operators is not None else _shipped_operators()
    km: dict[Key, float] = defaultdict(float)
    hours: dict[Key, float] = defaultdict(float)
    usd: dict[Key, float] = defaultdict(float)
    rail_km: dict[Key, float] = defaultdict(float)
    sea_km: dict[Key, float] = defaultdict(float)
    for leg in route.legs:
        parts = _leg_parts(router, leg, ops)
        total = sum(parts.values()) or 1.0
        for key, k in parts.items():
            km[key] += k
            hours[key] += leg.duration_h * k / total
            (sea_km if leg.mode == "sea" else rail_km)[key] += k
    comp = route.components or {}
    rail_usd = float(comp.get("rail_tariff_usd_per_teu", 0.0)) * route.teu
    sea_usd = float(comp.get("sea_usd_per_teu", 0.0)) * route.teu
    _spread(usd, rail_usd, rail_km)
    _spread(usd, sea_usd, sea_km)
    event_usd = 0.0
    for e in route.events:
        sides = _event_sides(e, ops)
        for key in sides:
            hours[key] += e.duration_h / len(sides)
            usd[key] += e.cost_usd / len(sides)
        event_usd += e.cost_usd
    # fees the events do not name (per-country charges inside the tariff): by distance
    rest = route.cost_usd - rail_usd - sea_usd - event_usd
    if abs(rest) > 0.01:
        _spread(usd, rest, km)
    shares = _shares(_by(km, 0), _by(hours, 0), _by(usd, 0), OPEN_SEA)
    op_shares = _shares(_by(km, 1), _by(hours, 1), _by(usd, 1), UNKNOWN_OPERATOR)
    return Dependency(
        label,
        route.origin.name,
        route.destination.name,
        list(route.countries),
        route.distance_km,
        route.duration_h,
        route.cost_usd,
        [CountryShare(*r) for r in shares],
        _index(shares, OPEN_SEA),
        route,
        operators=[_operator_share(ops, *r) for r in op_shares],
        operator_hhi=_operator_index(op_shares),
    )


Key = tuple[str, str]
"""(country, operator): each amount is kept per both, then summed per one or the other."""

_Row = tuple[str, float, float, float, Measures]


def _by(amounts: dict[Key, float], part: int) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for key, v in amounts.items():
        out[key[part]] += v
    return out


def _shares(km: dict[str, float], hours: dict[str, float], usd: dict[str, float], outside: str) -> list[_Row]:
    """Per name (largest distance first, ``outside`` last): km, hours, money and shares."""
    names = sorted(set(km) | set(hours) | set(usd), key=lambda c: (c == outside, -km.get(c, 0.0), c))
    totals = Measures(sum(km.values()), sum(hours.values()), sum(usd.values()))
    rows: list[_Row] = []
    for name in names:
        part = Measures(km.get(name, 0.0), hours.get(name, 0.0), usd.get(name, 0.0))
        rows.append((name, part.distance, part.time, part.cost, part.share_of(totals)))
    return rows


def _index(rows: list[_Row], outside: str) -> dict[str, float]:
    """The HHI per measure over the named part (``outside`` left out)."""
    return {m: hhi(r[4][m] for r in rows if r[0] != outside) for m in MEASURES}


def _operator_index(rows: list[_Row]) -> dict[str, float]:
    """The operators' HHI per measure, only for a measure some known operator has a part of:
    a route whose operators are all unknown has no concentration to show (0 would read as
    perfectly spread)."""
    return {
        m: v
        for m, v in _index(rows, UNKNOWN_OPERATOR).items()
        if any(r[4][m] > 0 for r in rows if r[0] != UNKNOWN_OPERATOR)
    }


def _operator_share(
    ops: OperatorIndex, name: str, km: float, hours: float, usd: float, shares: Measures
) -> OperatorShare:
    records = ops.records(name)
    sources = tuple(dict.fromkeys(x for r in records for x in r.sources))
    full = next((r.name for r in records if r.name), None)
    return OperatorShare(name, km, hours, usd, shares, full, sources, any(r.weak for r in records))


def _shipped_operators() -> OperatorIndex:
    from silkrail.network.interop import load_interoperability

    return operator_index(load_interoperability())


def _spread(into: dict[Key, float], amount: float, weights: dict[Key, float]) -> None:
    total = sum(weights.values())
    if not total or not amount:
        return
    for key, w in weights.items():
        into[key] += amount * w / total


def _event_sides(e: Event, ops: OperatorIndex) -> list[Key]:
    """Who bears an event: half each side's country; a ferry's operator, the railways at a
    border or gauge change, nobody known at a port."""
    countries = [c for c in dict.fromkeys([e.from_country, e.to_country]) if c] or [OPEN_SEA]
    if e.kind == "ferry":
        return [(cc, ops.ferry(getattr(e, "record", None))) for cc in countries]
    if e.kind == "port_transfer":
        return [(cc, UNKNOWN_OPERATOR) for cc in countries]
    return [(cc, ops.railway(cc) if cc != OPEN_SEA else UNKNOWN_OPERATOR) for cc in countries]


def _leg_parts(router: Router, leg: Leg, ops: OperatorIndex) -> dict[Key, float]:
    """km of a leg per country and operator: rail by each edge's country and operator, water by
    whose waters it uses (operator unknown); a leg without track (or a ferry) is split evenly
    between its countries (a rail leg's to their railways, a ferry's to its operator)."""
    track = rec.leg_track(leg)
    out: dict[Key, float] = defaultdict(float)
    if track is None or not len(track.edges) or leg.mode == "ferry":
        sides = list(leg.countries) or [OPEN_SEA]
        ferry = getattr(leg, "record", None)
        if leg.mode == "ferry" and ferry is None and track is not None and len(track.edges):
            ferry = rec.edge_ferry(router.net, int(track.edges[0]))
        for cc in sides:
            if leg.mode == "ferry":
                op = ops.ferry(ferry)
            elif leg.mode == "rail" and cc != OPEN_SEA:
                op = ops.railway(cc)
            else:
                op = UNKNOWN_OPERATOR
            out[cc, op] += leg.distance_km / len(sides)
        return out
    km = rec.edge_km(router.net, track.edges)
    if leg.mode == "sea":
        codes = [c or OPEN_SEA for c in rec.water_countries(router.net, track.edges)]
        names = [UNKNOWN_OPERATOR] * len(codes)
    else:
        codes = [rec.node_country(router.net, int(n)) or OPEN_SEA for n in track.from_nodes.tolist()]
        names = ops.rail_edges(router.net, track.edges, track.from_nodes, codes)
        if leg.mode != "rail":
            names = [UNKNOWN_OPERATOR] * len(codes)
    for cc, op, k in zip(codes, names, km.tolist(), strict=True):
        out[cc, op] += k
    return out


# --- variants: the same flow through named corridors ------------------------------------


@dataclass(frozen=True)
class Variant:
    """A named set of route options: ``label:avoid=RU+KZ;year=2031;mode=rail;via=id+id``."""

    label: str
    avoid: tuple[str, ...] = ()
    year: int | None = None
    mode: Mode | None = None
    via: tuple[str, ...] = ()


def parse_variant(text: str) -> Variant:
    """A variant from its command-line form; a bad one raises DataError naming the part."""
    label, sep, rest = text.partition(":")
    if not sep or not label.strip():
        raise DataError(
            f"'{text}' is not a variant; write LABEL:avoid=CC+CC;year=YYYY;mode=rail;via=crossing+crossing",
            field="variant",
        )
    year: int | None = None
    mode: Mode | None = None
    avoid: tuple[str, ...] = ()
    via: tuple[str, ...] = ()
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
                year = int(value)
            except ValueError:
                raise DataError(f"variant '{label}': year '{value}' is not a year", field="variant") from None
        elif key == "mode":
            try:
                mode = check_mode(value)
            except DataError as exc:
                raise DataError(f"variant '{label}': {exc.reason}", field="variant") from None
        else:
            names = tuple(v.strip() for v in value.replace(",", "+").split("+") if v.strip())
            avoid, via = (names, via) if key == "avoid" else (avoid, names)
    return Variant(label.strip(), avoid, year, mode, via)


def compute_dependency(
    router: Router, query: RouteQuery, *, variants: Sequence[Variant] = ()
) -> list[Dependency]:
    """The best route's dependency, then each alternative corridor's (``query.alternatives``),
    then each variant's (the query with the variant's countries to avoid, year, mode and via
    crossings)."""
    from silkrail.analysis._routing import route_with

    out: list[Dependency] = []
    best = router.route(query)
    out.append(route_dependency(router, best, label="best"))
    for i, alt in enumerate(best.alternatives, 1):
        out.append(route_dependency(router, alt, label=f"alternative {i}"))
    origin, destination = best.origin.name, best.destination.name
    for v in variants:
        changed = dataclasses.replace(
            query,
            alternatives=0,
            mode=v.mode or query.mode,
            avoid=(*query.avoid, *v.avoid),
            year=v.year if v.year is not None else query.year,
        )
        try:
            r = route_with(router, changed, via=v.via)
        except NoRouteError as exc:  # a corridor that does not exist is an answer too
            out.append(Dependency(v.label, origin, destination, [], 0.0, 0.0, 0.0, [], {}, None, str(exc)))
            continue
        out.append(route_dependency(router, r, label=v.label))
    return out


def flow_set_dependency(
    router: Router, flows: Sequence[Flow], options: RouteOptions | None = None
) -> list[Dependency]:
    """Each flow's dependency (through its via crossings; its own mode), routed with
    ``options``, then the whole set's: the TEU-weighted sums of km, hours and money per
    country, and their HHI."""
    from silkrail.analysis._routing import route_with

    ops = _shipped_operators()
    base = options if options is not None else RouteOptions()
    out: list[Dependency] = []
    km: dict[Key, float] = defaultdict(float)
    hours: dict[Key, float] = defaultdict(float)
    usd: dict[Key, float] = defaultdict(float)
    for f in flows:
        try:
            query = dataclasses.replace(base, mode=check_mode(f.mode)).between(f.origin, f.destination)
            r = route_with(router, query, via=f.via)
        except NoRouteError as exc:
            out.append(Dependency(f.name, f.origin, f.destination, [], 0.0, 0.0, 0.0, [], {}, None, str(exc)))
            continue
        d = route_dependency(router, r, label=f.name, operators=ops)
        out.append(d)
        parts: list[tuple[Key, CountryShare | OperatorShare]] = [((s.country, ""), s) for s in d.shares]
        parts += [(("", s.operator), s) for s in d.operators]
        for key, s in parts:
            km[key] += s.km * f.teu_per_year
            hours[key] += s.hours * f.teu_per_year
            usd[key] += s.usd * f.teu_per_year
    country_km, country_h, country_usd = ({k[0]: v for k, v in m.items() if k[0]} for m in (km, hours, usd))
    op_km, op_h, op_usd = ({k[1]: v for k, v in m.items() if k[1]} for m in (km, hours, usd))
    rows = _shares(country_km, country_h, country_usd, OPEN_SEA)
    op_rows = _shares(op_km, op_h, op_usd, UNKNOWN_OPERATOR)
    shares = [CountryShare(*r) for r in rows]
    countries = [s.country for s in shares if s.country != OPEN_SEA]
    total = Dependency(
        "all flows (TEU-weighted)",
        "",
        "",
        countries,
        0.0,
        0.0,
        0.0,
        shares,
        _index(rows, OPEN_SEA),
        operators=[_operator_share(ops, *r) for r in op_rows],
        operator_hhi=_operator_index(op_rows),
    )
    return [total, *out]
