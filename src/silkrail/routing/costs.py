"""The cost model: time, money and CO2 of every edge and of a whole route, as distributions.

A route's time is the sum of components, each with a value, a spread and a ``basis`` (where
the value comes from): terminal time at each rail end (handling, train formation, waiting for
a departure), running time at a commercial speed by gauge (or a curated line's speed), border
dwell per crossing (published figures; customs unions; otherwise a fitted dwell), gauge change
by method, port handling, sea legs at service speed, rail ferries (handling, the mean wait for a
sailing, the sailing). Money: rail tariffs that taper with
distance per railway, fees at crossings and terminals, sea rates by trade lane as of a date,
block-train pricing. CO2 per TEU-km on one ISO 14083 basis at a time, well-to-wheel or
tank-to-wheel.

Per edge everything stays a precomputed array, so the search is untouched; what is not
additive along a path (terminal time, the tariff taper, block trains, sea rates as of a date,
ranges) is computed once per route by :func:`price_route`.

The parameters come from ``transit.yaml`` (priors, with sources) and ``fitted.yaml`` (what
``silkrail calibrate`` fitted to ``calibration.yaml``).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from silkrail.errors import DataError
from silkrail.network.model import GAUGES_MM, EdgeKind, Network
from silkrail.network.records import Crossing, Ferry

if TYPE_CHECKING:
    from silkrail.calibration.schema import CrossingFigure, SeaRate
    from silkrail.network.curated import BorderDefaults, FactorsFile

KNOT_KMH = 1.852
Z90 = 1.2815515655446004  # the 90th percentile of the standard normal
RUN_CLASSES = ("rail_speed_other_kmh", "rail_speed_1000_kmh", "rail_speed_1435_kmh", "rail_speed_1520_kmh")
CLASS_SEA, CLASS_FERRY, CLASS_CURATED, CLASS_NONE = 4, 5, 6, -1
BASES = ("curated", "modelled", "fitted", "default")


def _data_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True)
class Component:
    """A time component's value (its mean, h), log-spread and provenance."""

    value: float
    sigma_log: float
    basis: str
    record: str | None = None
    param: str | None = None  # the model parameter the value is, if any

    @property
    def variance(self) -> float:
        return lognormal_variance(self.value, self.sigma_log)


def lognormal_variance(mean: float, sigma_log: float) -> float:
    return float(mean * mean * math.expm1(sigma_log * sigma_log))


def lognormal_range(mean: float, variance: float, extra_sigma: float = 0.0) -> tuple[float, float]:
    """10th and 90th percentiles of a lognormal with this mean and variance (plus a model
    error of ``extra_sigma`` in log units): sums of skewed components stay skewed."""
    if mean <= 0:
        return (0.0, 0.0)
    s2 = math.log1p(variance / (mean * mean)) + extra_sigma * extra_sigma
    s = math.sqrt(s2)
    mu = math.log(mean) - s2 / 2
    return (math.exp(mu - Z90 * s), math.exp(mu + Z90 * s))


@dataclass(frozen=True)
class CostModel:
    """The model's parameter values, their provenance, and the tables it prices with."""

    params: dict[str, float]
    sigmas: dict[str, float]
    basis: dict[str, str]  # parameter -> fitted | default | curated
    gauge_change: dict[str, tuple[float, float, str]]  # method -> (h, sigma_log, basis)
    co2: dict[str, tuple[float, float]]  # mode -> (wtw, ttw) kg per TEU-km
    sea_rates: tuple[SeaRate, ...]  # by lane, then date
    crossing_figures: dict[str, CrossingFigure]  # by crossing id
    residual_sigma: dict[str, float]
    sea_speed_kmh: float
    unions: tuple[frozenset[str], ...] = ()  # customs unions: their railways share a through tariff
    emission_basis: str = "well-to-wheel"
    as_of: str | None = None
    fingerprint: str = ""

    # -- construction ------------------------------------------------------------------

    @classmethod
    def from_network(
        cls,
        net: Network | None = None,
        *,
        data_dir: Path | None = None,
        fitted: Path | bool | None = True,
        overrides: dict[str, float] | None = None,
    ) -> CostModel:
        """The model of ``transit.yaml`` with the fitted values of ``fitted.yaml`` (unless
        ``fitted`` is False), then ``overrides`` (the fit's trial values)."""
        d = Path(data_dir) if data_dir else _data_dir()
        fitted_path = (d / "fitted.yaml") if fitted is True else (Path(fitted) if fitted else None)
        if fitted_path is not None and not fitted_path.is_file():
            fitted_path = None
        t = _load_tables(d, fitted_path)
        params = dict(t.params)
        basis = dict(t.basis)
        for k, v in (overrides or {}).items():
            params[k] = float(v)
            basis[k] = "fitted"
        sea_kn = 16.0
        factors = network_factors(net) if net is not None else None
        if factors is not None:
            sea_kn = float(factors.sea.speed_knots)
        model = cls(
            params=params,
            sigmas=t.sigmas,
            basis=basis,
            gauge_change=t.gauge_change,
            co2=t.co2,
            sea_rates=t.sea_rates,
            crossing_figures=t.crossing_figures,
            residual_sigma=t.residual_sigma,
            sea_speed_kmh=sea_kn * KNOT_KMH,
            unions=t.unions,
        )
        return model._stamped()

    def _stamped(self) -> CostModel:
        blob = json.dumps(
            [
                self.params,
                self.gauge_change,
                self.co2,
                [r.model_dump() for r in self.sea_rates],
                {k: c.model_dump() for k, c in self.crossing_figures.items()},
                self.sea_speed_kmh,
            ],
            sort_keys=True,
            default=str,
        )
        return replace(self, fingerprint=hashlib.sha256(blob.encode()).hexdigest()[:16])

    def with_params(self, **values: float) -> CostModel:
        p = dict(self.params) | {k: float(v) for k, v in values.items()}
        b = dict(self.basis) | dict.fromkeys(values, "fitted")
        return replace(self, params=p, basis=b)._stamped()

    def with_basis(self, basis: str) -> CostModel:
        """The same model reporting CO2 well-to-wheel or tank-to-wheel (never a mix)."""
        if basis not in ("well-to-wheel", "tank-to-wheel"):
            raise DataError(
                f"'{basis}' is not an emission basis; use well-to-wheel or tank-to-wheel", field="basis"
            )
        return replace(self, emission_basis=basis)

    # -- tables ------------------------------------------------------------------------

    def sea_rate_entry(self, as_of: str | None = None) -> SeaRate:
        """The newest sea-rate entry on or before ``as_of`` (default: the model's date, else the
        newest). A date before every entry says which dates exist."""
        when = as_of or self.as_of
        rows = self.sea_rates
        if when is None:
            return max(rows, key=lambda r: r.as_of)
        ok = [r for r in rows if r.as_of <= str(when)]
        if not ok:
            dates = ", ".join(sorted({r.as_of for r in rows}))
            raise DataError(
                f"no sea rate is known as of {when}; the rates are dated {dates} - give a date on or after "
                f"{min(r.as_of for r in rows)}",
                field="as_of",
            )
        return max(ok, key=lambda r: r.as_of)

    def sea_usd_per_teu_km(self, as_of: str | None = None) -> float:
        r = self.sea_rate_entry(as_of)
        return float(r.usd_per_feu) / 2.0 / float(r.lane_km)

    def co2_factor(self, mode: str) -> float:
        wtw, ttw = self.co2[mode]
        return wtw if self.emission_basis == "well-to-wheel" else ttw

    def tariff_entry_usd(self) -> float:
        """The fixed part of a tariff area's charge per TEU: what makes the 500 km average the
        CAREC rate when the long-haul rate is charged per km."""
        long = self.params["rail_rate_long_usd_per_teu_km"]
        return max(self.params["rail_rate_500_usd_per_teu_km"] - long, 0.0) * 500.0

    def rail_tariff(self, km: float | NDArray[np.float64]) -> Any:
        """US$ per TEU for ``km`` in one tariff area: a two-part tariff, a fixed charge plus the
        long-haul rate per km, so the rate per km tapers with distance (the CAREC rate at 500 km,
        the long-haul rate far out). Never falls with more distance; additive along a path, so
        the search optimises exactly what the route is priced at."""
        d = np.asarray(km, dtype=np.float64)
        return np.where(
            d > 0, self.tariff_entry_usd() + self.params["rail_rate_long_usd_per_teu_km"] * d, 0.0
        )

    def block_factor(self, teu: float) -> float:
        """Price per TEU relative to a single box: falls in proportion to the share of a whole
        train booked, to (1 - discount) for a full block train; the total never falls with more boxes."""
        disc = min(self.params["block_train_discount"], 0.5)
        share = min(teu / self.params["block_train_teu"], 1.0)
        return 1.0 - disc * share

    def new_tariff_area(self, c: Crossing) -> bool:
        """A border between railways that do not share a through tariff (not one customs union)."""
        if c.kind != "border":
            return False
        pair = set(c.countries or [])
        return not any(pair <= u for u in self.unions)

    def speed_factor(self, country: str) -> float:
        """The fitted speed of a railway (country) relative to its gauge's; 1 where none is fitted."""
        return float(self.params.get(f"rail_speed_factor_{country}", 1.0))

    def uses_border_param(self, c: Crossing) -> bool:
        """Whether the crossing's dwell is the fitted border dwell (no published figure, not
        inside a customs union, between two countries)."""
        return self.crossing_dwell(c)[0].param == "border_dwell_h"

    def crossing_dwell(self, c: Crossing) -> tuple[Component, Component | None]:
        """(dwell at the crossing, gauge change if the crossing changes gauge) for one crossing
        record of the network: published figures first (borders.yaml or calibration.yaml,
        the newer), then customs unions, then the fitted dwell of a customs border."""
        countries = list(c.countries or [])
        border = c.kind == "border" and len(set(countries)) == 2
        figure = self.crossing_figures.get(str(c.id))
        published: tuple[float, Any, str] | None = None
        if c.curated and c.dwell_from == "curated":
            published = (float(c.dwell_h), c.dwell_range_h, str(c.as_of or ""))
        if figure is not None and (published is None or str(figure.as_of) > published[2]):
            published = (float(figure.dwell_h), figure.dwell_range_h, str(figure.as_of))
        method = c.method or "none"
        if c.gauge_change_h is not None:
            change: Component | None = Component(float(c.gauge_change_h), 0.3, "curated", c.id)
        elif method in self.gauge_change:
            h, s, b = self.gauge_change[method]
            change = Component(h, s, b)
        else:
            h, s, b = self.gauge_change["transshipment"]
            change = Component(h, s, b)
        if published is not None:
            mean, rng, _ = published
            sigma = _sigma_of_range(rng) if rng else self.params["curated_dwell_sigma_log"]
            dwell = Component(mean, sigma, "curated", c.id)
            if c.gauge_change_h is None and method in ("transshipment", "bogie_exchange"):
                change = Component(0.0, 0.0, "curated", c.id)  # the published dwell includes it
            return dwell, change
        if not border:
            return Component(0.0, 0.0, "modelled"), change
        if c.dwell_from == "customs union":
            p = "union_border_dwell_h"
            return Component(self.params[p], self.sigmas[p], "modelled"), change
        p = "border_dwell_h"
        return Component(self.params[p], self.sigmas[p], self.basis[p], None, p), change


def network_factors(net: Network) -> FactorsFile | None:
    """The factors (``factors.yaml``) the network was built with, typed again from its metadata."""
    from silkrail.network.curated import FactorsFile

    raw = net.meta.get("factors")
    return FactorsFile.model_validate(raw) if raw else None


def border_defaults(net: Network) -> BorderDefaults | None:
    """The border defaults (``borders.yaml``) the network was built with, typed again."""
    from silkrail.network.curated import BorderDefaults

    raw = net.meta.get("border_defaults")
    return BorderDefaults.model_validate(raw) if raw else None


TABLES_VERSION = "2"  # bump when _read_tables changes what it returns


@dataclass(frozen=True)
class CostTables:
    """What the cost model reads from its data files, validated once and cached in the home."""

    params: dict[str, float]
    sigmas: dict[str, float]
    basis: dict[str, str]
    residual_sigma: dict[str, float]
    gauge_change: dict[str, tuple[float, float, str]]
    co2: dict[str, tuple[float, float]]
    sea_rates: tuple[SeaRate, ...]
    crossing_figures: dict[str, CrossingFigure]
    unions: tuple[frozenset[str], ...]


def _load_tables(d: Path, fitted_path: Path | None) -> CostTables:
    """The model's tables read from ``transit.yaml``, ``calibration.yaml``, ``fitted.yaml`` and
    the customs unions of ``borders.yaml``, cached in the home by the files' contents: parsing
    and validating the YAML costs more than a whole routing query, and the schema is only
    needed when a file has changed."""
    import pickle

    from silkrail.settings import get_settings

    files = [d / "transit.yaml", d / "calibration.yaml", fitted_path, _data_dir() / "borders.yaml"]
    digest = hashlib.sha256(TABLES_VERSION.encode())
    for f in files:
        digest.update(b"\0" if f is None else f.name.encode() + b"\0" + f.read_bytes())
    path = get_settings().home / f"costmodel-{digest.hexdigest()[:16]}.pickle"
    try:
        with open(path, "rb") as fh:
            tables = pickle.load(fh)
        if isinstance(tables, CostTables):
            return tables
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError):
        pass
    tables = _read_tables(d, fitted_path)
    try:
        from silkrail import cache

        with cache.atomic_write(path) as fh:
            pickle.dump(tables, fh, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError:
        pass  # a home this process may not write to: read the YAML every time
    return tables


def _read_tables(d: Path, fitted_path: Path | None) -> CostTables:
    """The tables of :func:`_load_tables`, validated by the files' schemas."""
    from silkrail.calibration.schema import load_cached

    transit = load_cached(d / "transit.yaml", "transit")
    cal = load_cached(d / "calibration.yaml", "calibration")
    params = {p.name: float(p.value) for p in transit.parameters}
    sigmas = {p.name: float(p.sigma_log) for p in transit.parameters}
    basis = {p.name: ("default" if p.source == "estimate" else "modelled") for p in transit.parameters}
    residual = {"time": 0.0, "cost": float(params.get("cost_sigma_log", 0.25)), "co2": 0.0}
    if fitted_path is not None:
        f = load_cached(fitted_path, "fitted")
        for v in f.parameters:
            if v.name in params or v.name.startswith("rail_speed_factor_"):
                params[v.name] = float(v.value)
                basis[v.name] = "fitted"
        residual.update(f.residual_sigma_log)
    return CostTables(
        params=params,
        sigmas=sigmas,
        basis=basis,
        residual_sigma=residual,
        gauge_change={
            g.method: (
                float(g.hours),
                float(g.sigma_log),
                "default" if g.source == "estimate" else "modelled",
            )
            for g in transit.gauge_change
        },
        co2={c.mode: (float(c.wtw_kg_per_teu_km), float(c.ttw_kg_per_teu_km)) for c in transit.co2},
        sea_rates=tuple(sorted(transit.sea_rates, key=lambda r: (r.lane, r.as_of))),
        crossing_figures={c.crossing: c for c in cal.crossings},
        unions=_customs_unions(),
    )


@cache
def _customs_unions() -> tuple[frozenset[str], ...]:
    """The customs unions of borders.yaml (package data)."""
    from silkrail.network.curated import load_file

    borders = load_file(_data_dir() / "borders.yaml")
    return tuple(frozenset(u.members) for u in borders.customs_unions)


def _sigma_of_range(rng: Any) -> float:
    lo, hi = float(rng[0]), float(rng[1])
    if lo <= 0 or hi <= lo:
        return 0.5
    return math.log(hi / lo) / (2 * Z90)


@dataclass(frozen=True)
class EdgeCosts:
    """Per network edge, per TEU: traversal without a gauge change, and the extra for a change.

    ``cost_usd`` is the search's cost: the long-haul rail rate per km, each tariff area's fixed
    charge where one starts (a border between tariff areas, a port), the newest sea rate; sea
    rates as of a date and block trains are applied per route by :func:`price_route`."""

    time_h: NDArray[np.float64]
    cost_usd: NDArray[np.float64]
    co2_kg: NDArray[np.float64]
    change_time_h: NDArray[np.float64]
    change_cost_usd: NDArray[np.float64]
    fixed_time_h: NDArray[np.float64]  # the part of time_h spent at a crossing or port
    fixed_cost_usd: NDArray[np.float64]  # the part of cost_usd paid at a crossing or port
    fixed_var_h2: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    change_var_h2: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    run_class: NDArray[np.int8] = field(default_factory=lambda: np.zeros(0, np.int8))
    crossing_parts: list[tuple[Component, Component | None]] = field(default_factory=list)
    new_area: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, bool))  # a tariff area starts
    km: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))


def ferry_wait_h(ferry: Ferry) -> float:
    """The mean wait for a sailing: half the interval between sailings (cargo arrives at random)."""
    return 0.5 * 168.0 / float(ferry.sailings_per_week)


def edge_run_class(net: Network) -> NDArray[np.int8]:
    """Which speed runs each edge: a gauge class (0 other, 1 metre, 2 standard, 3 broad 1,520),
    sea, ferry, a curated line's own speed, or none (transfers)."""
    kind = net.edge_kind
    rail = (kind == EdgeKind.RAIL) | (kind == EdgeKind.BORDER)
    mask = net.edge_gauge.astype(np.int64)
    node_mask = net.gauge[net.u].astype(np.int64) | net.gauge[net.v].astype(np.int64)
    mask = np.where(mask == 0, node_mask, mask)
    bit = {mm: 1 << i for i, mm in enumerate(GAUGES_MM)}
    cls = np.zeros(net.n_edges, np.int8)
    cls[(mask & bit[1000]) > 0] = 1
    cls[(mask & bit[1435]) > 0] = 2
    cls[(mask & bit[1520]) > 0] = 3
    cls[~rail] = CLASS_NONE
    cls[(kind == EdgeKind.SEA) | (kind == EdgeKind.SEA_ACCESS)] = CLASS_SEA
    cls[kind == EdgeKind.FERRY] = CLASS_FERRY
    for i, line in enumerate(net.lines):
        if line.freight_speed_kmh:
            cls[(net.line == i) & rail] = CLASS_CURATED
    return cls


def compute_edge_costs(net: Network, model: CostModel) -> EdgeCosts:
    p = model.params
    km = net.km.astype(np.float64)
    kind = net.edge_kind
    cls = edge_run_class(net)
    speed = np.full(net.n_edges, np.inf)
    for k, name in enumerate(RUN_CLASSES):
        speed[cls == k] = p[name]
    edge_cc = net.country[net.u]
    for key, factor in p.items():
        code = key.removeprefix("rail_speed_factor_")
        if key.startswith("rail_speed_factor_") and code in net.countries:
            speed[(cls >= 0) & (cls < len(RUN_CLASSES)) & (edge_cc == net.countries.index(code))] *= factor
    speed[cls == CLASS_SEA] = model.sea_speed_kmh
    for i, line in enumerate(net.lines):
        if line.freight_speed_kmh:
            speed[(net.line == i) & (cls == CLASS_CURATED)] = float(line.freight_speed_kmh)
    rail = cls >= 0
    rail &= cls != CLASS_SEA
    rail &= cls != CLASS_FERRY
    sea = cls == CLASS_SEA
    time_h = np.where(np.isfinite(speed), km / speed, 0.0)
    time_h += np.where(cls == CLASS_SEA, km * p["sea_calls_h_per_1000km"] / 1000.0, 0.0)  # port calls
    cost = np.where(rail, km * p["rail_rate_long_usd_per_teu_km"], 0.0) + np.where(
        sea, km * model.sea_usd_per_teu_km(), 0.0
    )
    co2 = np.where(rail, km * model.co2_factor("rail"), 0.0) + np.where(
        sea, km * model.co2_factor("sea"), 0.0
    )
    run_time, run_cost = time_h.copy(), cost.copy()
    change_time = np.zeros(net.n_edges)
    change_cost = np.zeros(net.n_edges)
    fixed_var = np.zeros(net.n_edges)
    change_var = np.zeros(net.n_edges)
    parts = [model.crossing_dwell(rec) for rec in net.crossings]
    defaults = border_defaults(net)
    gc_fee = float(defaults.gauge_change_cost_usd_per_teu) if defaults is not None else 0.0
    entry = model.tariff_entry_usd()
    entry_cost = np.zeros(net.n_edges)
    new_area = np.zeros(net.n_edges, bool)
    for e in np.flatnonzero(net.crossing >= 0):
        c = net.crossings[int(net.crossing[e])]
        dwell, change = parts[int(net.crossing[e])]
        through = dwell.value
        if net.change[e] and change is not None and dwell.basis == "curated" and change.basis == "curated":
            # a published dwell covers the change; a train that keeps its gauge skips that part
            through = max(dwell.value - change.value, 0.0)
        time_h[e] += through
        fixed_var[e] = lognormal_variance(through, dwell.sigma_log)
        fee = float(c.cost_usd_per_teu or 0.0)
        if net.change[e] and change is not None:
            change_time[e] = change.value
            change_var[e] = change.variance
            if _includes_default_change_fee(c, defaults):
                # the default fee holds a gauge-change fee: only a train that changes pays it
                fee = max(fee - gc_fee, 0.0)
                change_cost[e] = gc_fee
        cost[e] += fee
        if model.new_tariff_area(c):
            entry_cost[e] = entry  # a new tariff area starts: its fixed charge
            new_area[e] = True
    sig_port = p["port_sigma_log"]
    for e in np.flatnonzero(kind == EdgeKind.PORT_LINK):
        port = net.ports[int(net.port[e])]
        time_h[e] += port.handling_h
        fixed_var[e] = lognormal_variance(float(port.handling_h), sig_port)
        cost[e] += port.handling_cost_usd_per_teu
        entry_cost[e] = entry  # rail starts or ends at the port: a tariff area's fixed charge
        new_area[e] = True
    for e in np.flatnonzero(kind == EdgeKind.FERRY):
        f = net.ferries[int(net.port[e])]
        wait = ferry_wait_h(f)
        run_time[e] = time_h[e] = f.sailing_h
        time_h[e] += f.handling_h + wait
        # handling spreads like a port's; the wait for a sailing is uniform over the interval
        fixed_var[e] = lognormal_variance(float(f.handling_h), sig_port) + (2 * wait) ** 2 / 12
        cost[e] += f.cost_usd_per_teu  # the fare: paid at the ferry, like a port's handling
        co2[e] = km[e] * model.co2_factor("ferry")
        entry_cost[e] = entry  # rail continues on the other shore: a new tariff area
        new_area[e] = True
    fixed_cost = cost - run_cost  # fees only; the tariff's fixed charges are rail tariff
    cost = cost + entry_cost
    return EdgeCosts(
        time_h,
        cost,
        co2,
        change_time,
        change_cost,
        time_h - run_time,
        fixed_cost,
        fixed_var,
        change_var,
        cls,
        parts,
        new_area,
        km,
    )


def _includes_default_change_fee(c: Crossing, defaults: BorderDefaults | None) -> bool:
    """Whether a crossing's fee is the default border fee plus the default gauge-change fee
    (uncurated breaks of gauge, and curated changing crossings with no fee of their own)."""
    if defaults is None:
        return False
    gc = float(defaults.gauge_change_cost_usd_per_teu)
    if not gc:
        return False
    fee = float(c.cost_usd_per_teu or 0.0)
    if not c.curated:
        return fee >= gc
    composite = float(defaults.border_cost_usd_per_teu) + gc
    return c.method in ("transshipment", "bogie_exchange") and abs(fee - composite) < 1e-6


def count_tariff_entries(costs: EdgeCosts, e: NDArray[np.int64]) -> int:
    """How many tariff-area charges the search's weights put on the edges ``e``."""
    return int(costs.new_area[e].sum())


def tariff_sections(
    costs: EdgeCosts, e: NDArray[np.int64], is_rail: NDArray[np.bool_]
) -> NDArray[np.float64]:
    """Kilometres per tariff area along a path: a new area starts at a border that is not inside
    a customs union (its members' railways sell a through rate), and after a stretch that is
    not rail (a port)."""
    idx = np.flatnonzero(is_rail)
    if not len(idx):
        return np.zeros(0)
    new = costs.new_area[e[idx]].copy()
    new[0] = False
    new[1:] |= np.diff(idx) != 1
    return np.bincount(np.cumsum(new), weights=costs.km[e[idx]]).astype(np.float64)


def water_share_variance(part: float, sigma_log: float) -> float:
    """Variance of a part of a total that is off by a log-normal factor of spread ``sigma_log``."""
    return lognormal_variance(max(part, 0.0), sigma_log)


@dataclass(frozen=True)
class RoutePrice:
    """A route's totals for ``teu`` TEU with 10th-90th percentile ranges, and its components."""

    duration_h: float
    duration_h_range: tuple[float, float]
    cost_usd: float
    cost_usd_range: tuple[float, float]
    co2_kg: float
    co2_kg_range: tuple[float, float]
    co2_basis: str
    terminal_h: float
    rail_ends: int
    components: dict[str, float]


def price_route(
    g: Any, arcs: NDArray[np.int64], teu: float, *, as_of: str | None = None, model: CostModel | None = None
) -> RoutePrice:
    """Totals and ranges of a path of the state graph ``g`` (arc ids), computed once after the
    search: time components summed with their variances (running time correlated per speed
    class, waits independent), the two-part tariff per tariff area, sea legs at the lane
    rate as of the date, block-train pricing for many boxes."""
    m: CostModel = model or g.model
    costs: EdgeCosts = g.costs
    net = g.net
    arcs = np.asarray(arcs, dtype=np.int64)
    e = g.edge[arcs].astype(np.int64)
    chg = g.change[arcs]
    km = net.km[e].astype(np.float64)
    cls = costs.run_class[e]
    w = g.weights[:, arcs]
    run_h = costs.time_h[e] - costs.fixed_time_h[e]
    is_rail = (cls >= 0) & (cls <= CLASS_CURATED) & (cls != CLASS_SEA) & (cls != CLASS_FERRY)
    # rail ends: a route that starts or ends on rail has a terminal there
    ends = int(len(e) > 0 and bool(is_rail[0])) + int(len(e) > 0 and bool(is_rail[-1]))
    t_term = m.params["terminal_h"]
    terminal = ends * t_term
    duration = float(w[0].sum()) + terminal
    # variance: running time per class (a slow railway is slow all along), waits independent
    var = 0.0
    comp: dict[str, float] = {"terminal_h": terminal}
    for c in np.unique(cls):
        if c < 0:
            continue
        r = float(run_h[cls == c].sum())
        if c < len(RUN_CLASSES):
            s = m.sigmas[RUN_CLASSES[c]]
            comp[RUN_CLASSES[c].replace("_kmh", "_h").replace("speed", "run")] = r
        elif c == CLASS_SEA:
            s = m.params["sea_sigma_log"]
            comp["sea_run_h"] = r
        elif c == CLASS_FERRY:
            s = m.params["sea_sigma_log"]
            comp["ferry_sailing_h"] = r
        else:
            s = 0.15
            comp["rail_run_curated_h"] = comp.get("rail_run_curated_h", 0.0) + r
        var += lognormal_variance(r, s)
    var += float(costs.fixed_var_h2[e].sum()) + float(np.where(chg, costs.change_var_h2[e], 0.0).sum())
    var += ends * lognormal_variance(t_term, m.sigmas["terminal_h"])
    comp["fixed_h"] = float(costs.fixed_time_h[e].sum() + np.where(chg, costs.change_time_h[e], 0.0).sum())
    # the model's own error (the spread of held-out errors, measured on land routes) applies to
    # the land part; sea legs, ferries and ports keep their components' spread
    water = (cls == CLASS_SEA) | (cls == CLASS_FERRY) | (net.edge_kind[e] == EdgeKind.PORT_LINK)
    water_h = float(costs.time_h[e][water].sum())
    var += water_share_variance(duration - water_h, m.residual_sigma.get("time", 0.0))
    t_range = lognormal_range(duration, var)

    # money per TEU: rail per tariff area, fees, terminals, sea at the lane rate as of the date
    rail_cost = float(np.sum(m.rail_tariff(tariff_sections(costs, e, is_rail))))
    sea_km = float(km[cls == CLASS_SEA].sum())
    sea_cost = sea_km * m.sea_usd_per_teu_km(as_of)
    # fees: what the search's weights hold besides line haul and tariff-area charges
    n_entries = count_tariff_entries(costs, e)
    other = (
        float(w[1].sum())
        - float(np.where(is_rail, km * m.params["rail_rate_long_usd_per_teu_km"], 0.0).sum())
        - sea_km * m.sea_usd_per_teu_km()
        - n_entries * m.tariff_entry_usd()
    )
    fees = other + ends * m.params["rail_terminal_usd_per_teu"]
    per_teu_rail = rail_cost * m.block_factor(teu)
    cost = (per_teu_rail + sea_cost + fees) * teu
    comp |= {"rail_tariff_usd_per_teu": rail_cost, "sea_usd_per_teu": sea_cost, "fees_usd_per_teu": fees}
    c_sigma = m.params["cost_sigma_log"]
    c_extra = max(m.residual_sigma.get("cost", c_sigma), 0.05)
    c_var = water_share_variance((per_teu_rail + fees) * teu, c_extra)
    c_var += water_share_variance(sea_cost * teu, c_sigma)  # sea rates move with the market
    c_range = lognormal_range(cost, c_var)
    co2 = teu * (
        float(km[is_rail].sum()) * m.co2_factor("rail")
        + sea_km * m.co2_factor("sea")
        + (float(km[cls == CLASS_FERRY].sum()) * m.co2_factor("ferry") if "ferry" in m.co2 else 0.0)
    )
    co2_range = lognormal_range(co2, 0.0, m.params["co2_sigma_log"])
    return RoutePrice(
        duration,
        t_range,
        cost,
        c_range,
        co2,
        co2_range,
        m.emission_basis,
        terminal,
        ends,
        comp,
    )
