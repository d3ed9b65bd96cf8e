"""CO2e per ISO 14083 / GLEC, well-to-wheel and tank-to-wheel, by traction: one set of factors
per network edge that the transit model's edge costs (the co2 objective, the OD matrix, a route's
``co2_kg``) and every leg's ``co2e_wtw_kg``/``co2e_ttw_kg`` read alike, so a trip has one CO2 figure.

A rail edge's traction comes from the interoperability records: the record of its curated line,
else a section whose path it runs along (within the section's ``buffer_km``, in its country),
else its country's default (not electrified: diesel; electrified: electric; partly electrified
with a share: that share electric). What no record says takes the documented default of
``emissions.yaml`` (half electric, half diesel) and the leg says so. Electric traction emits
nothing tank-to-wheel and its energy (kWh per t-km) times the country's grid intensity
well-to-wheel; diesel traction its fuel's tank-to-wheel CO2e and the well-to-wheel uplift. Sea
and ferry legs take the transit model's factors for the mode (GLEC trade-lane and RoPax values),
on both bases; a passenger on rail the transit model's factor per passenger-km (a documented
default). Every leg lists the factors it used, so a user can audit them. The traction of every
edge is computed once per network and kept beside it in the home, keyed by the records' content.

:func:`edge_emissions` gives the per-edge factors; :func:`leg_emissions` one leg's CO2e;
:func:`electrification_saving` answers the what-if "this section electrified": the same legs
with the section's track counted electric.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, field_validator

from silkrail.network.loader import Sourced, Strict, known_country_codes, validate_file
from silkrail.network.model import EdgeKind, Network
from silkrail.routing.tables import emission_data_file
from silkrail.traffic import Traffic, is_freight, traffic_of

if TYPE_CHECKING:
    from silkrail.network.interop import Interoperability, SectionRecord
    from silkrail.routing.costs import CostModel
    from silkrail.routing.results import Leg, Route

DATA_FILE = "emissions.yaml"
Positive = Annotated[float, Field(gt=0)]


class _Note(Sourced):
    note: str | None = None
    weak: bool = False


class _Value(_Note):
    value: Positive


class _Electric(_Note):
    kwh_per_tkm: Positive


class _Diesel(_Note):
    fuel_g_per_tkm: Positive
    ttw_g_co2e_per_tkm: Positive
    wtw_over_ttw: Annotated[float, Field(ge=1, le=2)]


class _Unknown(_Note):
    electric_share: Annotated[float, Field(ge=0, le=1)]


class _GridDefault(_Note):
    g_per_kwh: Annotated[float, Field(ge=0, le=1500)]


class _Grid(_GridDefault):
    country: str

    @field_validator("country")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in known_country_codes():
            raise ValueError(f"'{v}' is not an ISO 3166-1 alpha-2 country code (for example CN, KZ, RU)")
        return v


class _Grids(Strict):
    default: _GridDefault
    countries: list[_Grid]


class Check(_Note):
    """A published CO2 figure for a route, to compare with silkrail's (never fitted to)."""

    id: str
    origin: str
    destination: str
    mode: Literal["rail", "sea", "any"]
    published_kg_per_teu: Positive
    basis: Literal["well-to-wheel", "tank-to-wheel"] = "well-to-wheel"


class EmissionsFile(Strict):
    teu_tonnes: _Value
    electric: _Electric
    diesel: _Diesel
    unknown_traction: _Unknown
    grid: _Grids
    checks: list[Check] = Field(default_factory=list)


def load_checks(path: Path | None = None) -> list[Check]:
    """The published figures of ``emissions.yaml`` to check the factors against."""
    parsed, _ = validate_file(path or emission_data_file(DATA_FILE), EmissionsFile)
    return list(parsed.checks)


@dataclass(frozen=True)
class Factors:
    """The factors of ``emissions.yaml``, per TEU-km: electric energy, diesel TTW and WTW, the
    grid intensity by country (g CO2e/kWh) and its default, the default electric share."""

    teu_tonnes: float
    kwh_per_teu_km: float
    diesel_ttw_per_teu_km: float  # kg CO2e
    diesel_wtw_per_teu_km: float
    grid: dict[str, float]
    grid_default: float
    unknown_share: float
    sources: dict[str, str]  # factor id -> its source (first one)

    def grid_of(self, country: str) -> tuple[float, str]:
        """(g CO2e per kWh, factor id) of ``country``'s grid; the default where none is known."""
        if country in self.grid:
            return self.grid[country], f"grid:{country}"
        return self.grid_default, "grid:default"

    def electric_per_teu_km(self, country: str) -> tuple[float, str]:
        """(kg CO2e WTW per TEU-km, grid factor id) of electric traction in ``country``."""
        g, fid = self.grid_of(country)
        return self.kwh_per_teu_km * g / 1000.0, fid


def load_factors(path: Path | None = None) -> Factors:
    """The emission factors (default: the package's ``emissions.yaml``); a bad record raises
    DataError with file, line and field."""
    if path is None:
        from silkrail.settings import get_settings

        path = get_settings().data_dir / DATA_FILE
    return _load(str(path))


@cache
def _load(path: str) -> Factors:
    parsed, _ = validate_file(Path(path), EmissionsFile)
    f: EmissionsFile = parsed
    t = f.teu_tonnes.value

    def first(src: str | list[str]) -> str:
        return src if isinstance(src, str) else src[0]

    sources = {
        "electric": first(f.electric.source),
        "diesel": first(f.diesel.source),
        "traction:default": first(f.unknown_traction.source),
        "grid:default": first(f.grid.default.source),
        "teu_tonnes": first(f.teu_tonnes.source),
    }
    for g in f.grid.countries:
        sources[f"grid:{g.country}"] = first(g.source)
    return Factors(
        teu_tonnes=t,
        kwh_per_teu_km=f.electric.kwh_per_tkm * t,
        diesel_ttw_per_teu_km=f.diesel.ttw_g_co2e_per_tkm * t / 1000.0,
        diesel_wtw_per_teu_km=f.diesel.ttw_g_co2e_per_tkm * f.diesel.wtw_over_ttw * t / 1000.0,
        grid={g.country: g.g_per_kwh for g in f.grid.countries},
        grid_default=f.grid.default.g_per_kwh,
        unknown_share=f.unknown_traction.electric_share,
        sources=sources,
    )


# -- traction of the track ----------------------------------------------------------------------


@dataclass(frozen=True)
class Traction:
    """Per edge: the electric share of its traction (0 diesel, 1 electric) and the record it
    comes from (``section:ID``, ``line:ID``, ``country:CC``, or ``traction:default``)."""

    electric_share: NDArray[np.float64]
    record: list[str]

    @property
    def default(self) -> NDArray[np.bool_]:
        return np.array([r == "traction:default" for r in self.record], dtype=bool)


def _share(record: SectionRecord | object | None) -> float | None:
    """The electric share a record gives, or None where it says nothing usable."""
    el = getattr(record, "electrification", None)
    if el is None:
        return None
    if el.system == "none":
        return 0.0
    if not el.partly:
        return 1.0
    return None if el.share is None else float(el.share)


def edge_traction(
    net: Network,
    edges: NDArray[np.int64],
    data: Interoperability,
    *,
    electrify: Iterable[str] = (),
) -> Traction:
    """The traction of each of ``edges`` (rail and border edges; others get 0 and ''), by the
    records of ``data``; the sections named in ``electrify`` count as electric (the what-if)."""
    edges = np.asarray(edges, dtype=np.int64)
    n = len(edges)
    share = np.full(n, np.nan)
    record = [""] * n
    rail = np.isin(net.edge_kind[edges], (EdgeKind.RAIL, EdgeKind.BORDER))
    wanted = set(electrify)
    # 1. curated lines with a record of their own
    by_line = {s.line: s for s in data.sections if s.line}
    line_idx = net.line[edges]
    for i in np.flatnonzero(rail & (line_idx >= 0)).tolist():
        rec = by_line.get(str(net.lines[int(line_idx[i])].id))
        if rec is None:
            continue
        v = 1.0 if rec.id in wanted else _share(rec)
        if v is not None:
            share[i], record[i] = v, f"section:{rec.id}"
    # 2. track along a section's path
    mid_lat = (net.lat[net.u[edges]] + net.lat[net.v[edges]]) / 2.0
    mid_lon = (net.lon[net.u[edges]] + net.lon[net.v[edges]]) / 2.0
    cc = np.array([net.countries[int(c)] for c in net.country[net.u[edges]]], dtype=object)
    for rec in data.sections:
        if not rec.path:
            continue
        v = 1.0 if rec.id in wanted else _share(rec)
        if v is None:
            continue
        todo = rail & np.isnan(share)
        if not todo.any():
            break
        countries = {p.country for p in rec.path if p.country}
        if countries:
            todo &= np.isin(cc, list(countries))
        idx = np.flatnonzero(todo)
        if not len(idx):
            continue
        d = _distance_to_path(mid_lat[idx], mid_lon[idx], [(p.lat, p.lon) for p in rec.path])
        hit = idx[d <= rec.buffer_km]
        share[hit] = v
        for i in hit.tolist():
            record[i] = f"section:{rec.id}"
    # 3. the country's default, 4. the documented default
    for i in np.flatnonzero(rail & np.isnan(share)).tolist():
        c = str(cc[i])
        v = _share(data.country(c))
        if v is not None:
            share[i], record[i] = v, f"country:{c}"
        else:
            record[i] = "traction:default"
    share[~rail] = 0.0
    return Traction(share, record)


def _distance_to_path(
    lat: NDArray[np.float64], lon: NDArray[np.float64], path: Sequence[tuple[float, float]]
) -> NDArray[np.float64]:
    """km from each point to the polyline ``path`` (an equirectangular projection about each
    segment: good to a fraction of a km at these buffers)."""
    best = np.full(len(lat), np.inf)
    for (a_lat, a_lon), (b_lat, b_lon) in itertools.pairwise(path):
        k = np.cos(np.radians((a_lat + b_lat) / 2.0)) * 111.2
        ax, ay = a_lon * k, a_lat * 111.2
        bx, by = b_lon * k, b_lat * 111.2
        px, py = lon * k, lat * 111.2
        dx, dy = bx - ax, by - ay
        t = np.clip(((px - ax) * dx + (py - ay) * dy) / max(dx * dx + dy * dy, 1e-12), 0.0, 1.0)
        best = np.minimum(best, np.hypot(px - (ax + t * dx), py - (ay + t * dy)))
    return best


# -- CO2e per edge -------------------------------------------------------------------------------

TRACTION_VERSION = "1"  # bump when edge_traction's rules change: part of the cache key
TRACTION_CACHE = "emissions.traction"


def network_traction(net: Network, *, home: Path | None = None) -> Traction:
    """The traction of every edge of ``net`` by the records of the data directory's
    ``interoperability.yaml``: kept in the network's caches, and in ``home`` (default: the
    settings' home) keyed by the network's inputs and the records' content."""
    from silkrail.network.interop import load_interoperability

    path = emission_data_file("interoperability.yaml")
    digest = hashlib.sha256(TRACTION_VERSION.encode() + path.read_bytes()).hexdigest()[:16]
    hit = net.caches.get(TRACTION_CACHE)
    if isinstance(hit, tuple) and hit[0] == digest:
        return hit[1]
    cache_path: Path | None = None
    tr: Traction | None = None
    if net.meta.get("inputs_hash"):
        if home is None:
            from silkrail.settings import get_settings

            home = get_settings().home
        cache_path = Path(home) / f"traction-{str(net.meta['inputs_hash'])[:16]}-{digest}.npz"
        tr = _read_traction(cache_path, net.n_edges)
    if tr is None:
        tr = edge_traction(net, np.arange(net.n_edges, dtype=np.int64), load_interoperability(path))
        if cache_path is not None:
            _write_traction(cache_path, tr)
    net.caches[TRACTION_CACHE] = (digest, tr)
    return tr


def _read_traction(path: Path, n_edges: int) -> Traction | None:
    if not path.exists():
        return None
    try:
        with np.load(path) as data:
            share, code = data["share"], data["code"]
            names = [str(x) for x in data["names"].tolist()]
    except (OSError, ValueError, KeyError, EOFError):
        return None
    if len(share) != n_edges or len(code) != n_edges:
        return None
    return Traction(share.astype(np.float64), [names[c] for c in code.tolist()])


def _write_traction(path: Path, tr: Traction) -> None:
    from silkrail import cache

    names = sorted(set(tr.record))
    index = {n: i for i, n in enumerate(names)}
    code = np.array([index[r] for r in tr.record], dtype=np.int32)
    try:
        with cache.locked(path), cache.atomic_write(path) as fh:
            np.savez(fh, share=tr.electric_share, code=code, names=np.array(names, dtype=str))
    except OSError:
        pass  # a home this process may not write to: computed again next time


@dataclass(frozen=True)
class EdgeEmissions:
    """Per network edge, CO2e per unit-km (a TEU-km for freight, a passenger-km for passengers),
    well-to-wheel and tank-to-wheel; the electric share of a rail edge's traction; whether the
    traction (or the factor) is the documented default; and the factors used, as an index into
    ``factor_sets``. The transit model's edge costs and every leg read the same arrays, so a
    route's CO2 and its legs' CO2e are one figure."""

    wtw: NDArray[np.float64]
    ttw: NDArray[np.float64]
    electric_share: NDArray[np.float64]
    default: NDArray[np.bool_]
    factor: NDArray[np.int32]  # -1: no emissions (port links)
    factor_sets: tuple[tuple[str, ...], ...]

    def factors_of(self, edges: NDArray[np.int64]) -> tuple[str, ...]:
        """The factors the ``edges`` used (sorted ids; 'diesel' and 'electric' last)."""
        codes = np.unique(self.factor[np.asarray(edges, dtype=np.int64)])
        used: set[str] = set()
        for c in codes.tolist():
            if c >= 0:
                used |= set(self.factor_sets[c])
        tail = [x for x in ("diesel", "electric") if x in used]
        return tuple(sorted(used - set(tail))) + tuple(tail)


def edge_emissions(
    net: Network,
    model: CostModel,
    traffic: Traffic | str = Traffic.CONTAINER,
    *,
    data: Interoperability | None = None,
    factors: Factors | None = None,
    electrify: Iterable[str] = (),
) -> EdgeEmissions:
    """CO2e factors of every edge of ``net`` for ``traffic``. Freight on rail by traction: the
    electric share of the edge's record times electric energy and its country's grid, the rest
    diesel (a default share where no record says); passengers on rail take the transit model's
    passenger factor (``rail_passenger``, a documented default); sea legs and ferries the transit
    model's factors for the mode. ``data``/``factors`` default to the data directory's files;
    sections named in ``electrify`` count as electric (the what-if). With the data directory's
    files, the factors of a network are computed once per model and traffic type (every route's
    legs read them)."""
    t = traffic_of(traffic)
    electrify = tuple(electrify)
    shared = data is None and factors is None and not electrify
    if shared:
        hit = model._emissions.get(t)
        if hit is not None and hit[0] is net and isinstance(hit[1], EdgeEmissions):
            return hit[1]
    out = _edge_emissions(net, model, t, data=data, factors=factors, electrify=electrify)
    if shared:
        for a in (out.wtw, out.ttw, out.electric_share, out.default, out.factor):
            a.setflags(write=False)  # shared by every route from now on
        model._emissions[t] = (net, out)
    return out


def _edge_emissions(
    net: Network,
    model: CostModel,
    t: Traffic,
    *,
    data: Interoperability | None,
    factors: Factors | None,
    electrify: tuple[str, ...],
) -> EdgeEmissions:
    from silkrail.network.interop import load_interoperability

    if data is None and not electrify:
        tr = network_traction(net)
    else:
        if data is None:
            data = load_interoperability(emission_data_file("interoperability.yaml"))
        tr = edge_traction(net, np.arange(net.n_edges, dtype=np.int64), data, electrify=electrify)
    f = factors if factors is not None else load_factors(emission_data_file(DATA_FILE))
    kind = net.edge_kind
    rail = (kind == EdgeKind.RAIL) | (kind == EdgeKind.BORDER)
    sea = (kind == EdgeKind.SEA) | (kind == EdgeKind.SEA_ACCESS)
    ferry = kind == EdgeKind.FERRY
    n = net.n_edges
    default = tr.default & rail
    share = np.where(default, f.unknown_share, np.nan_to_num(tr.electric_share, nan=0.0))
    share[~rail] = 0.0
    wtw, ttw = np.zeros(n), np.zeros(n)
    country = net.country[net.u].astype(np.int64)
    # factor sets: one per (record, country) on rail, one per mode elsewhere
    records = sorted(set(tr.record[i] for i in np.flatnonzero(rail).tolist()))
    rec_index = {r: i for i, r in enumerate(records)}
    rec_code = np.full(n, -1, np.int64)
    rail_idx = np.flatnonzero(rail)
    rec_code[rail_idx] = [rec_index[tr.record[i]] for i in rail_idx.tolist()]
    sets: list[tuple[str, ...]] = []
    code = np.full(n, -1, np.int32)
    if is_freight(t):
        grid = np.array([f.electric_per_teu_km(c)[0] for c in net.countries], dtype=np.float64)
        el = grid[country]
        wtw[rail] = share[rail] * el[rail] + (1.0 - share[rail]) * f.diesel_wtw_per_teu_km
        ttw[rail] = (1.0 - share[rail]) * f.diesel_ttw_per_teu_km
        n_c = max(len(net.countries), 1)
        key = rec_code * n_c * 4 + country * 4 + (share > 0) * 2 + (share < 1)
        keys, inverse = np.unique(key[rail_idx], return_inverse=True)
        for k in keys.tolist():
            rec, rest = divmod(int(k), n_c * 4)
            c, flags = divmod(rest, 4)
            ids = [records[rec]]
            if flags & 2:
                ids.append(f.electric_per_teu_km(net.countries[c])[1])
                ids.append("electric")
            if flags & 1:
                ids.append("diesel")
            sets.append(tuple(ids))
        code[rail_idx] = inverse.astype(np.int32)
    else:
        pw, pt = model.co2["rail_passenger"]
        wtw[rail], ttw[rail] = pw, pt
        default |= rail  # a passenger factor per passenger-km is an estimate (transit.yaml)
        sets.append(("transit.yaml:co2:rail_passenger",))
        code[rail] = 0
    for mode, mask in (("sea", sea), ("ferry", ferry)):
        w, tt = model.co2[mode]
        wtw[mask], ttw[mask] = w, tt
        sets.append((f"transit.yaml:co2:{mode}",))
        code[mask] = len(sets) - 1
    return EdgeEmissions(wtw, ttw, share, default, code, tuple(sets))


# -- a leg's CO2e -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LegEmissions:
    """One leg's CO2e for its cargo, on both bases, and the factors used (ids of
    ``emissions.yaml``, interoperability records, the transit model's modes)."""

    wtw_kg: float
    ttw_kg: float
    electric_km: float = 0.0
    diesel_km: float = 0.0
    default_km: float = 0.0  # km whose traction (or factor) is the documented default
    factors: tuple[str, ...] = ()

    @property
    def basis(self) -> str:
        return "default" if self.default_km > 0 else "curated"


def leg_emissions(
    net: Network,
    edges: NDArray[np.int64],
    mode: str,
    teu: float,
    *,
    data: Interoperability | None = None,
    factors: Factors | None = None,
    model: CostModel | None = None,
    electrify: Iterable[str] = (),
    km: NDArray[np.float64] | None = None,
    traffic: Traffic | str = Traffic.CONTAINER,
    per_edge: EdgeEmissions | None = None,
) -> LegEmissions:
    """The CO2e of a leg running over ``edges`` for ``teu`` TEU (one passenger for passenger
    traffic): per edge, its km (``km``, per network edge: the track's length; default the
    extract's) times the edge's factors (:func:`edge_emissions`, or ``per_edge`` already
    computed). ``mode`` is kept for the callers' sake: the edges say what they are."""
    del mode
    edges = np.asarray(edges, dtype=np.int64)
    if per_edge is None:
        from silkrail.routing.costs import CostModel

        per_edge = edge_emissions(
            net,
            model or CostModel.from_network(net),
            traffic,
            data=data,
            factors=factors,
            electrify=electrify,
        )
    k = (net.km if km is None else km)[edges].astype(np.float64)
    cargo = float(teu)
    rail = np.isin(net.edge_kind[edges], (EdgeKind.RAIL, EdgeKind.BORDER))
    share = per_edge.electric_share[edges]
    return LegEmissions(
        float(np.sum(k * per_edge.wtw[edges])) * cargo,
        float(np.sum(k * per_edge.ttw[edges])) * cargo,
        electric_km=float(np.sum(k * share)),
        diesel_km=float(np.sum(k[rail] * (1 - share[rail]))),
        default_km=float(k[per_edge.default[edges]].sum()),
        factors=per_edge.factors_of(edges),
    )


def with_emissions(
    net: Network,
    legs: Sequence[Leg],
    teu: float,
    *,
    model: CostModel | None = None,
    electrify: Iterable[str] = (),
    traffic: Traffic | str = Traffic.CONTAINER,
    km: NDArray[np.float64] | None = None,
) -> list[Leg]:
    """``legs`` with their CO2e (WTW and TTW for ``teu`` TEU, or one passenger), basis and
    factors filled in, from the same per-edge factors as the transit model's edge costs; ``km``
    per network edge (default: the model's track length)."""
    import dataclasses

    from silkrail.routing.costs import CostModel

    m = model or CostModel.from_network(net)
    per_edge = edge_emissions(net, m, traffic, electrify=electrify)
    track = m.track_km(net) if km is None else km
    cargo = float(teu) if is_freight(traffic_of(traffic)) else 1.0
    out = []
    for leg in legs:
        em = leg_emissions(net, leg.edges, leg.mode, cargo, km=track, per_edge=per_edge)
        out.append(
            dataclasses.replace(
                leg,
                co2e_wtw_kg=em.wtw_kg,
                co2e_ttw_kg=em.ttw_kg,
                co2e_basis=em.basis,
                co2e_factors=em.factors,
                electric_km=em.electric_km if leg.mode == "rail" else None,
            )
        )
    return out


@dataclass(frozen=True)
class ElectrificationSaving:
    """What electrifying one section would save on a route, per year at a flow of
    ``teu_per_year`` TEU: the route's CO2e before and after (per its own TEU), and the tonnes a
    year, well-to-wheel and tank-to-wheel."""

    section: str
    name: str
    km: float  # the route's track in the section
    teu_per_year: float
    route_teu: float
    before_wtw_kg: float
    after_wtw_kg: float
    before_ttw_kg: float
    after_ttw_kg: float

    @property
    def saved_wtw_t_per_year(self) -> float:
        return (self.before_wtw_kg - self.after_wtw_kg) / self.route_teu * self.teu_per_year / 1000.0

    @property
    def saved_ttw_t_per_year(self) -> float:
        return (self.before_ttw_kg - self.after_ttw_kg) / self.route_teu * self.teu_per_year / 1000.0

    def _per_teu(self, kg: float) -> float:
        return round(kg / self.route_teu, 1)

    def to_dict(self) -> dict[str, object]:
        return {
            "section": self.section,
            "name": self.name,
            "km": round(self.km, 1),
            "teu_per_year": self.teu_per_year,
            "co2e_wtw_kg_per_teu": {
                "before": self._per_teu(self.before_wtw_kg),
                "after": self._per_teu(self.after_wtw_kg),
            },
            "co2e_ttw_kg_per_teu": {
                "before": self._per_teu(self.before_ttw_kg),
                "after": self._per_teu(self.after_ttw_kg),
            },
            "saved_co2e_wtw_t_per_year": round(self.saved_wtw_t_per_year, 1),
            "saved_co2e_ttw_t_per_year": round(self.saved_ttw_t_per_year, 1),
        }


def electrification_saving(
    net: Network, route: Route, section: str, teu_per_year: float, *, model: CostModel | None = None
) -> ElectrificationSaving:
    """The CO2e a year that electrifying ``section`` (an id of ``interoperability.yaml``'s
    sections) would save on ``route`` at ``teu_per_year`` TEU a year: the route's rail legs
    with the section's track counted electric, against the legs as they are."""
    from silkrail.errors import DataError
    from silkrail.network.interop import load_interoperability

    data = load_interoperability(emission_data_file("interoperability.yaml"))
    ids = [s.id for s in data.sections]
    if section not in ids:
        raise DataError(
            f"'{section}' is not a section of interoperability.yaml; give one of: {', '.join(ids)}",
            field="electrify",
        )
    if not (0 < teu_per_year <= 1e8):
        raise DataError(
            f"a flow of {teu_per_year:g} TEU a year: give more than 0 and at most 100 million", field="flow"
        )
    rail = [leg for leg in route.legs if leg.mode == "rail"]
    edges = np.concatenate([leg.edges for leg in rail]) if rail else np.empty(0, np.int64)
    from silkrail.routing.costs import CostModel

    m = model or CostModel.from_network(net)
    track = m.track_km(net)
    tr = edge_traction(net, edges, data, electrify=[section])
    inside = np.array([r == f"section:{section}" for r in tr.record], dtype=bool)
    km = float(track[edges][inside].sum()) if len(edges) else 0.0
    if km == 0.0:
        raise DataError(f"the route does not run on section '{section}'", field="electrify")
    traffic = route.traffic or Traffic.CONTAINER
    before = with_emissions(net, route.legs, route.teu, model=m, traffic=traffic, km=track)
    after = with_emissions(
        net, route.legs, route.teu, model=m, traffic=traffic, km=track, electrify=[section]
    )
    name = next(s.name for s in data.sections if s.id == section)

    def total(legs: Sequence[Leg], basis: str) -> float:
        return float(sum(getattr(leg, f"co2e_{basis}_kg") or 0.0 for leg in legs))

    return ElectrificationSaving(
        section,
        name,
        km,
        teu_per_year,
        route.teu,
        total(before, "wtw"),
        total(after, "wtw"),
        total(before, "ttw"),
        total(after, "ttw"),
    )
