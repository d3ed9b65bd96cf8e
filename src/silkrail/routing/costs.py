"""The cost model: the transit model's parameters and tables, and the figures it derives from
them for one traffic type - a line's speed, a crossing's dwell and fees, a tariff, a sea rate.

A route's time is the sum of components, each a distribution with a ``basis``: time at each
rail end (handling, formation, waiting for a departure), running time at the commercial speed of
the line's class for the traffic type, on the track's length (the extract's geometry corrected
by a fitted factor), border dwell per crossing (published figures by traffic and direction;
customs unions; otherwise a fitted dwell), one change of gauge per crossing (its published time,
or its method's for the traffic type), port handling, sea legs, rail ferries. Money: two-part
rail tariffs per tariff area, fees at crossings and terminals, sea rates by lane as of a date,
block-train pricing; passengers pay fares. CO2 per TEU-km (or passenger-km).

The modules of the model, by concept: :mod:`~silkrail.routing.parameters` (the typed record),
:mod:`~silkrail.routing.tables` (reading the data), this module (the model),
:mod:`~silkrail.routing.edge_costs` (per network edge, for the search) and
:mod:`~silkrail.routing.pricing` (per route and per leg, after the search).

The parameters come from ``transit.yaml`` (priors, with sources) and ``fitted.yaml`` (what
``silkrail calibrate`` fitted to the evidence base).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from silkrail.errors import DataError
from silkrail.network.classes import LineClass
from silkrail.network.records import Crossing
from silkrail.routing.distributions import Component, lognormal_variance, sigma_of_range
from silkrail.routing.parameters import Params, flatten
from silkrail.routing.tables import CostTables, Residuals, data_dir, emission_digest, load_tables
from silkrail.traffic import Traffic, traffic_of

if TYPE_CHECKING:
    from silkrail.evidence.schema import CrossingFigure, SeaLane, SeaRate
    from silkrail.network.curated import BorderDefaults, FactorsFile
    from silkrail.network.model import Network

KNOT_KMH = 1.852
EMISSION_BASES = ("well-to-wheel", "tank-to-wheel")


@dataclass(frozen=True)
class CostModel:
    """The model's parameters (typed), their spreads and provenance, and the tables it prices
    with. Frozen: ``with_*`` give changed copies."""

    params: Params
    sigmas: Params
    basis: Mapping[str, str]  # dotted parameter name -> fitted | modelled | default
    residual: Residuals
    co2: Mapping[str, tuple[float, float]]  # mode -> (wtw, ttw) per TEU-km (rail_passenger: per passenger-km)
    sea_rates: tuple[SeaRate, ...]  # by lane, then date
    sea_lanes: tuple[SeaLane, ...]
    crossing_figures: tuple[CrossingFigure, ...]
    sea_speed_kmh: float
    unions: tuple[frozenset[str], ...] = ()  # customs unions: their railways share a through tariff
    gauge_change_fee_usd: float = 225.0  # the documented default fee of a change of gauge per TEU
    emission_basis: str = "well-to-wheel"
    emissions_digest: str = ""  # of the files the per-edge CO2e factors by traction come from
    fingerprint: str = ""
    _figures: dict[str, tuple[CrossingFigure, ...]] = field(default_factory=dict, repr=False, compare=False)
    _emissions: dict[object, tuple[object, object]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """Per traffic type: (network, its per-edge CO2e factors), computed once (emissions.py); a
    changed copy (``with_*``) starts without them."""

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def from_network(
        cls,
        net: Network | None = None,
        *,
        data_dir: Path | None = None,
        fitted: Path | bool | None = True,
        overrides: Mapping[str, float] | None = None,
    ) -> CostModel:
        """The model of ``transit.yaml`` with the fitted values of ``fitted.yaml`` (unless
        ``fitted`` is False), then ``overrides`` (the fit's trial values, by dotted name)."""
        d = Path(data_dir) if data_dir else _package_data()
        fitted_path = (d / "fitted.yaml") if fitted is True else (Path(fitted) if fitted else None)
        if fitted_path is not None and not fitted_path.is_file():
            fitted_path = None
        t: CostTables = load_tables(d, fitted_path)
        sea_kn = 16.0
        fee = 225.0
        if net is not None:
            factors = network_factors(net)
            if factors is not None:
                sea_kn = float(factors.sea.speed_knots)
            defaults = border_defaults(net)
            if defaults is not None:
                fee = float(defaults.gauge_change_cost_usd_per_teu)
        model = cls(
            params=t.params,
            sigmas=t.sigmas,
            basis=dict(t.basis),
            residual=t.residual,
            co2=t.co2,
            sea_rates=t.sea_rates,
            sea_lanes=t.sea_lanes,
            crossing_figures=t.crossing_figures,
            sea_speed_kmh=sea_kn * KNOT_KMH,
            unions=t.unions,
            gauge_change_fee_usd=fee,
            emissions_digest=emission_digest(),
        )
        return model.with_params(overrides) if overrides else model._stamped()

    def _stamped(self) -> CostModel:
        blob = json.dumps(
            [
                flatten(self.params),
                dict(self.co2),
                [r.model_dump() for r in self.sea_rates],
                [r.model_dump() for r in self.sea_lanes],
                [c.model_dump() for c in self.crossing_figures],
                self.sea_speed_kmh,
                self.gauge_change_fee_usd,
                self.emissions_digest,
                self.emission_basis,
            ],
            sort_keys=True,
            default=str,
        )
        return replace(self, fingerprint=hashlib.sha256(blob.encode()).hexdigest()[:16], _figures={})

    def with_params(self, values: Mapping[str, float] | None = None, /, **named: float) -> CostModel:
        """The model with parameters replaced by dotted name (as fitted)."""
        v = dict(values or {}) | {k: float(x) for k, x in named.items()}
        b = dict(self.basis) | dict.fromkeys(v, "fitted")
        return replace(self, params=self.params.with_values(v), basis=b)._stamped()

    def with_basis(self, basis: str) -> CostModel:
        """The same model reporting CO2 well-to-wheel or tank-to-wheel (never a mix)."""
        if basis not in EMISSION_BASES:
            raise DataError(
                f"'{basis}' is not an emission basis; use well-to-wheel or tank-to-wheel", field="basis"
            )
        return replace(self, emission_basis=basis)._stamped()

    def basis_of(self, name: str) -> str:
        """Where a parameter's value comes from: fitted, modelled (a sourced prior) or default."""
        return self.basis.get(name, "default")

    # -- speeds and track ---------------------------------------------------------------------

    def speed_kmh(
        self,
        line_class: LineClass | int,
        traffic: Traffic | str = Traffic.CONTAINER,
        country: str = "",
        line: str = "",
    ) -> float:
        """The commercial speed of ``traffic`` on a line of ``line_class`` (of the railway
        ``country``, where the evidence gives it a speed of its own; passengers on the curated
        line ``line`` at that line's own factor instead of the railway's)."""
        t = traffic_of(traffic)
        if t is not Traffic.PASSENGER and int(line_class) == int(LineClass.HIGH_SPEED):
            line_class = LineClass.MODERN  # freight keeps the modern speed on high-speed-class track
        if t is Traffic.PASSENGER and line:
            factor = self.params.line_speed_passenger.of(line)
        elif t is Traffic.PASSENGER and int(line_class) == int(LineClass.HIGH_SPEED):
            factor = 1.0
        else:
            factor = self.params.railway_speeds(t).of(country) if country else 1.0
        return self.params.traffic(t).speed_kmh.of(line_class) * factor

    def track_factor(self, line_class: LineClass | int, country: str = "") -> float:
        """km of railway per km of the extract's track on a line of ``line_class``."""
        railway = country and int(line_class) != int(LineClass.HIGH_SPEED)
        return self.params.track_factor.of(line_class) * (
            self.params.railway_track.of(country) if railway else 1.0
        )

    def track_km(self, net: Network) -> NDArray[np.float64]:
        """Per edge of ``net``, the km a train runs: the extract's km times the track factor of
        the edge's line class, and of its railway except on a high-speed line (new, straight and
        mapped at about its own length); the extract's km elsewhere (sea, ferries, port links)."""
        from silkrail.network.classes import edge_line_class
        from silkrail.network.model import EdgeKind

        km = net.km.astype(np.float64).copy()
        cls = edge_line_class(net)
        rail = ((net.edge_kind == EdgeKind.RAIL) | (net.edge_kind == EdgeKind.BORDER)) & (cls >= 0)
        by_class = np.array(self.params.track_factor.as_tuple())
        km[rail] *= by_class[cls[rail]]
        edge_cc = net.country[net.u]
        older = rail & (cls != int(LineClass.HIGH_SPEED))
        for code, factor in self.params.railway_track.items():
            if code in net.countries:
                km[older & (edge_cc == net.countries.index(code))] *= factor
        return km

    # -- money ---------------------------------------------------------------------------------

    def sea_rate_entry(self, as_of: str | None = None) -> SeaRate:
        """The newest deep-sea rate entry on or before ``as_of`` (default: the newest). A date
        before every entry says which dates exist."""
        rows = self.sea_rates
        if as_of is None:
            return max(rows, key=lambda r: r.as_of)
        ok = [r for r in rows if r.as_of <= str(as_of)]
        if not ok:
            first = min(r.as_of for r in rows)
            raise DataError(
                f"no sea rate is known as of {as_of}; the rates start on {first} - give a date on or "
                f"after {first}",
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
        t = self.params.tariff
        return max(t.rate_500_usd_per_teu_km - t.rate_long_usd_per_teu_km, 0.0) * 500.0

    def rail_tariff(self, km: float | NDArray[np.float64]) -> NDArray[np.float64]:
        """US$ per TEU for ``km`` in one tariff area: a fixed charge plus the long-haul rate per
        km, so the rate per km tapers with distance. Never falls with more distance."""
        d = np.asarray(km, dtype=np.float64)
        return np.where(d > 0, self.tariff_entry_usd() + self.params.tariff.rate_long_usd_per_teu_km * d, 0.0)

    def block_factor(self, teu: float) -> float:
        """Price per TEU relative to a single box: falls in proportion to the share of a whole
        train booked, to (1 - discount) for a full block train; the total never falls with more boxes."""
        t = self.params.tariff
        disc = min(t.block_train_discount, 0.5)
        share = min(teu / t.block_train_teu, 1.0)
        return 1.0 - disc * share

    def rail_price_factor(self, traffic: Traffic) -> float:
        """Rail tariff of a traffic type against a container block train's."""
        return self.params.tariff.wagonload_factor if traffic is Traffic.WAGONLOAD else 1.0

    def new_tariff_area(self, c: Crossing) -> bool:
        """A border between railways that do not share a through tariff (not one customs union)."""
        if c.kind != "border":
            return False
        pair = set(c.countries or [])
        return not any(pair <= u for u in self.unions)

    # -- crossings -----------------------------------------------------------------------------

    def crossing_figure(
        self, c: Crossing, traffic: Traffic, from_country: str | None = None, what: str = "dwell_h"
    ) -> CrossingFigure | None:
        """The newest published figure giving ``what`` (dwell_h, gauge_change_h,
        gauge_change_cost_usd_per_teu) for the crossing and the traffic type, in this direction or
        both (a figure for this direction first where two are as new): an older figure of one
        direction does not outrank a newer one of the crossing."""
        figures = self._figures.get(c.id)
        if figures is None:
            figures = tuple(f for f in self.crossing_figures if f.crossing == c.id)
            self._figures[c.id] = figures
        mine = [f for f in figures if f.traffic == traffic.value and getattr(f, what) is not None]
        pick = [
            f for f in mine if f.from_country is None or (from_country and f.from_country == from_country)
        ]
        return max(pick, key=lambda f: (f.as_of, f.from_country is not None)) if pick else None

    def gauge_change(
        self, c: Crossing, traffic: Traffic = Traffic.CONTAINER, from_country: str | None = None
    ) -> Component:
        """The one figure of a change of gauge at ``c`` for ``traffic``: the crossing's published
        time (freight), else its method's time for the traffic type (passenger trains have their
        bogies exchanged where freight is transshipped)."""
        t = traffic_of(traffic)
        method = (
            c.method if c.method in ("transshipment", "bogie_exchange", "dual_gauge") else "transshipment"
        )
        if method == "dual_gauge":
            return Component(0.0, 0.0, "curated", c.id)
        if t is Traffic.PASSENGER:
            method = "bogie_exchange"
        else:
            fig = self.crossing_figure(c, Traffic.CONTAINER, from_country, "gauge_change_h")
            if fig is not None and fig.gauge_change_h is not None:
                return Component(float(fig.gauge_change_h), 0.3, "curated", c.id)
            if c.curated and c.gauge_change_h is not None:
                return Component(float(c.gauge_change_h), 0.3, "curated", c.id)
        name = f"{t.value}.{method}_h"
        tp, ts = self.params.traffic(t), self.sigmas.traffic(t)
        return Component(
            tp.gauge_change_h(method), ts.gauge_change_h(method), self.basis_of(name), None, name
        )

    def crossing_dwell(
        self, c: Crossing, traffic: Traffic | str = Traffic.CONTAINER, from_country: str | None = None
    ) -> tuple[Component, Component | None]:
        """(dwell at the crossing, change of gauge where the crossing changes gauge) for one
        crossing record and traffic type. The dwell: a published figure for the traffic (and
        direction) first, the newer of borders.yaml's and the evidence base's, less the change
        of gauge at a crossing that changes gauge (a crossing's published dwell covers the whole
        stop there, as the records' notes say: Brest 8 h 30 min with reloading and 5 h without;
        a figure of the evidence base says otherwise with ``includes_gauge_change``); then a
        customs union's; then the fitted dwell of a customs border. Wagonload scales a container
        train's published figure by the ratio of their border dwells; passengers without a
        figure of their own take theirs."""
        t = traffic_of(traffic)
        countries = list(c.countries or [])
        border = c.kind == "border" and len(set(countries)) == 2
        changes = c.method in ("transshipment", "bogie_exchange") or (
            not c.curated and c.kind == "gauge_change"
        )
        change = self.gauge_change(c, t, from_country) if changes or c.method == "dual_gauge" else None
        tp, ts = self.params.traffic(t), self.sigmas.traffic(t)
        # dwell, range, as of, includes the change, includes the queue
        published: tuple[float, Sequence[float] | None, str, bool, bool] | None = None
        fig_traffic = t if t is Traffic.PASSENGER else Traffic.CONTAINER
        if t is not Traffic.PASSENGER and c.curated and c.dwell_from == "curated":
            published = (float(c.dwell_h), c.dwell_range_h, str(c.as_of or ""), changes, False)
        fig = self.crossing_figure(c, fig_traffic, from_country)
        if (
            fig is not None
            and fig.dwell_h is not None
            and (published is None or str(fig.as_of) > published[2])
        ):
            published = (
                float(fig.dwell_h),
                fig.dwell_range_h,
                str(fig.as_of),
                changes and fig.includes_gauge_change,
                fig.includes_queue,
            )
        if published is not None:
            mean, rng, _, includes, queued = published
            if includes and change is not None:
                mean = max(mean - change.value, 0.0)
            sigma = sigma_of_range(rng) if rng else self.params.spreads.curated_dwell_sigma_log
            if t is Traffic.WAGONLOAD:
                mean *= tp.border_dwell_h / max(self.params.container.border_dwell_h, 1e-9)
            if queued or not self.new_tariff_area(c) or t is Traffic.PASSENGER:
                return Component(mean, sigma, "curated", c.id), change
            # a processing time: the queue before it comes on top (see queue_of)
            name = f"{t.value}.border_queue_h"
            total = mean + tp.border_queue_h
            var = lognormal_variance(mean, sigma) + lognormal_variance(tp.border_queue_h, ts.border_queue_h)
            sigma = math.sqrt(math.log1p(var / (total * total))) if total > 0 else sigma
            return Component(total, sigma, "curated", c.id, name), change
        if not border:
            return Component(0.0, 0.0, "modelled"), change
        # a border inside a customs union: no customs clearance (a passenger train stops for its
        # crew, locomotive or passports only), whatever figure freight trains have there
        if c.dwell_from == "customs union" or (t is Traffic.PASSENGER and not self.new_tariff_area(c)):
            name = f"{t.value}.union_border_dwell_h"
            return Component(
                tp.union_border_dwell_h, ts.union_border_dwell_h, self.basis_of(name), None, name
            ), change
        name = f"{t.value}.border_dwell_h"
        return Component(tp.border_dwell_h, ts.border_dwell_h, self.basis_of(name), None, name), change

    def queue_of(self, dwell: Component, traffic: Traffic | str = Traffic.CONTAINER) -> float:
        """The fitted queue inside a crossing's dwell (0 where the dwell has none): a published
        processing time at a customs border (borders.yaml's, or a figure without
        ``includes_queue``) takes the traffic type's fitted queue on top."""
        if dwell.param is None or not dwell.param.endswith(".border_queue_h"):
            return 0.0
        return self.params.traffic(traffic_of(traffic)).border_queue_h

    def uses_border_param(self, c: Crossing, traffic: Traffic | str = Traffic.CONTAINER) -> bool:
        """Whether the crossing's dwell is the fitted border dwell (no published figure, not
        inside a customs union, between two countries)."""
        dwell, _ = self.crossing_dwell(c, traffic)
        return dwell.param is not None and dwell.param.endswith(".border_dwell_h")

    def crossing_fees(self, c: Crossing, traffic: Traffic | str = Traffic.CONTAINER) -> tuple[float, float]:
        """(border fee, gauge-change fee) per TEU at ``c``: one fee for a change of gauge, the
        crossing's published one or the documented default; the border fee is the rest of the
        crossing's charge (a changing crossing's charge includes its change). Passengers pay
        neither (their fare covers the journey)."""
        t = traffic_of(traffic)
        if t is Traffic.PASSENGER:
            return 0.0, 0.0
        charge = float(c.cost_usd_per_teu or 0.0)
        changes = c.method in ("transshipment", "bogie_exchange") or (
            not c.curated and c.kind == "gauge_change"
        )
        if not changes:
            return charge, 0.0
        fig = self.crossing_figure(c, Traffic.CONTAINER, None, "gauge_change_cost_usd_per_teu")
        fee = (
            float(fig.gauge_change_cost_usd_per_teu)
            if fig is not None and fig.gauge_change_cost_usd_per_teu is not None
            else self.gauge_change_fee_usd
        )
        return max(charge - fee, 0.0), fee


def _package_data() -> Path:
    return data_dir()


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


__all__ = ["EMISSION_BASES", "KNOT_KMH", "CostModel", "border_defaults", "network_factors"]
