"""Fitting the model's free parameters to published figures, with held-out folds.

Each published case is routed once with the prior model, and its route is broken into the
parts the parameters act on: kilometres per speed class, crossings that take the fitted
border dwell, rail ends (terminal time), tariff areas (two-part tariff), and what no free
parameter touches (published dwells, ports, sea legs, fees). The fit minimises squared log
errors plus a prior term per parameter (scipy ``least_squares`` within bounds), so that no
parameter runs away when few cases speak to it.

Cross-validation: lanes (an origin-destination pair, either way) are dealt into folds; each
fold is predicted by a fit on the other folds, with a spread learnt on those folds only. The
report shows these held-out predictions, never the in-sample ones.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from silkrail.calibration.schema import DATA_DIR, CalibrationFile, Case, TransitFile, load_yaml
from silkrail.errors import NoRouteError, SilkrailError
from silkrail.network.model import EdgeKind
from silkrail.routing.costs import (
    CLASS_CURATED,
    CLASS_FERRY,
    CLASS_SEA,
    RUN_CLASSES,
    CostModel,
    lognormal_range,
    tariff_sections,
    water_share_variance,
)

DATA_SIGMA = 0.25  # the spread assumed for a published figure, in log units (priors weigh against it)
N_FOLDS = 5


@dataclass
class Features:
    """What one case's route is made of, as far as the free parameters are concerned."""

    case: Case
    route_km: float = 0.0
    countries: list[str] = field(default_factory=list)
    km_by_class: dict[str, float] = field(default_factory=dict)
    km_by_class_country: dict[tuple[str, str], float] = field(default_factory=dict)
    n_border: int = 0  # crossings passed that take the fitted border dwell
    ends: int = 0
    fixed_h: float = 0.0  # time no free parameter touches
    water_h: float = 0.0  # of which at sea, on ferries and in ports (outside the model's land error)
    sea_km: float = 0.0
    fixed_var: float = 0.0  # its variance
    section_km: list[float] = field(default_factory=list)
    fees_usd: float = 0.0  # per TEU, no free parameter
    sea_usd: float = 0.0
    error: str | None = None


def case_features(router: Any, case: Case) -> Features:
    """Route ``case`` and read its parts off the route's arcs."""
    from silkrail.routing.query import RouteQuery

    f = Features(case)
    try:
        route = router.route(RouteQuery(case.origin, case.destination, mode=case.mode, avoid=case.avoid))
    except (NoRouteError, SilkrailError) as exc:
        f.error = str(exc)
        return f
    g = router.graph
    m: CostModel = g.model
    costs = g.costs
    arcs = route.arcs
    e = g.edge[arcs].astype(np.int64)
    chg = g.change[arcs]
    km = g.net.km[e].astype(np.float64)
    cls = costs.run_class[e]
    f.route_km = route.distance_km
    f.countries = list(route.countries)
    for c, name in enumerate(RUN_CLASSES):
        f.km_by_class[name] = float(km[cls == c].sum())
    f.sea_km = float(km[cls == CLASS_SEA].sum())
    cc = g.net.country[g.net.u[e]]
    for c, name in enumerate(RUN_CLASSES):
        for code in np.unique(cc[cls == c]).tolist():
            f.km_by_class_country[(name, g.net.countries[code])] = float(km[(cls == c) & (cc == code)].sum())
    run_h = costs.time_h[e] - costs.fixed_time_h[e]
    fixed = float(run_h[(cls == CLASS_CURATED) | (cls == CLASS_SEA) | (cls == CLASS_FERRY)].sum())
    fixed -= float(km[cls == CLASS_SEA].sum()) * m.params["sea_calls_h_per_1000km"] / 1000.0  # a parameter
    fixed += float(np.where(chg, costs.change_time_h[e], 0.0).sum())
    var = float(np.where(chg, costs.change_var_h2[e], 0.0).sum())
    for i in range(len(e)):
        cid = int(g.net.crossing[e[i]])
        if cid >= 0 and m.uses_border_param(g.net.crossings[cid]):
            f.n_border += 1
            continue
        fixed += float(costs.fixed_time_h[e[i]])
        var += float(costs.fixed_var_h2[e[i]])
    f.fixed_h, f.fixed_var = fixed, var
    water = (cls == CLASS_SEA) | (cls == CLASS_FERRY) | (g.net.edge_kind[e] == EdgeKind.PORT_LINK)
    f.water_h = float(costs.time_h[e][water].sum())
    is_rail = (cls >= 0) & (cls != CLASS_SEA) & (cls != CLASS_FERRY)
    f.ends = int(bool(is_rail[0])) + int(bool(is_rail[-1])) if len(e) and case.terminals else 0
    f.section_km = tariff_sections(costs, e, is_rail).tolist()
    f.fees_usd = float(costs.fixed_cost_usd[e].sum() + np.where(chg, costs.change_cost_usd[e], 0.0).sum())
    f.sea_usd = float(km[cls == CLASS_SEA].sum()) * m.sea_usd_per_teu_km()
    return f


def _model_at(base: CostModel, names: list[str], theta: np.ndarray) -> CostModel:
    return base.with_params(**{n: float(math.exp(t)) for n, t in zip(names, theta, strict=True)})


def predict(m: CostModel, f: Features) -> tuple[float, float]:
    """(value, log-spread of the model's components) of a case under model ``m``."""
    p = m.params
    if f.case.quantity == "time":
        run = dict.fromkeys(RUN_CLASSES, 0.0)
        for (n, code), km in f.km_by_class_country.items():
            run[n] += km / (p[n] * m.speed_factor(code))
        border = f.n_border * p["border_dwell_h"]
        term = f.ends * p["terminal_h"]
        calls = f.sea_km * p["sea_calls_h_per_1000km"] / 1000.0
        value = sum(run.values()) + border + term + calls + f.fixed_h
        var = f.fixed_var
        var += sum(r * r * math.expm1(m.sigmas[n] ** 2) for n, r in run.items())
        var += f.n_border * (p["border_dwell_h"] ** 2) * math.expm1(m.sigmas["border_dwell_h"] ** 2)
        var += f.ends * (p["terminal_h"] ** 2) * math.expm1(m.sigmas["terminal_h"] ** 2)
        var += (f.water_h + calls) ** 2 * math.expm1(p["sea_sigma_log"] ** 2)  # sea legs, ferries, ports
        return value, math.sqrt(math.log1p(var / value**2)) if value > 0 else 0.0
    rail = float(np.sum(m.rail_tariff(np.asarray(f.section_km)))) if f.section_km else 0.0
    per_teu = rail + f.fees_usd + f.ends * p["rail_terminal_usd_per_teu"] + f.sea_usd
    if f.case.unit == "usd_per_feu":
        per_teu = (rail + f.fees_usd + f.ends * p["rail_terminal_usd_per_teu"]) * p[
            "feu_factor"
        ] + 2 * f.sea_usd
    return per_teu, 0.0


def case_range(m: CostModel, f: Features, value: float, sigma: float, extra: float) -> tuple[float, float]:
    """The predicted 10th-90th percentile range, as a route's: the components' spread, and the
    model's own error on the land part (sea legs and their rates keep their own spread)."""
    var = value * value * math.expm1(sigma * sigma)
    if f.case.quantity == "time":
        var += water_share_variance(value - f.water_h, extra)
    else:
        sea = f.sea_usd * (2 if f.case.unit == "usd_per_feu" else 1)
        var += water_share_variance(value - sea, extra)
        var += water_share_variance(sea, m.params["cost_sigma_log"])
    return lognormal_range(value, var)


@dataclass(frozen=True)
class FitResult:
    names: list[str]
    values: dict[str, float]
    residual_sigma: dict[str, float]
    cost: float


def fit(base: CostModel, feats: list[Features], priors: dict[str, Any]) -> FitResult:
    """Least squares on log errors with a prior per parameter, within the parameters' bounds."""
    from scipy.optimize import least_squares

    usable = [f for f in feats if f.error is None]
    names = [n for n, pr in priors.items() if pr.fit and _informed(n, usable)]
    x0 = np.array([math.log(priors[n].value) for n in names])
    lo = np.array([math.log(priors[n].bounds[0]) for n in names])
    hi = np.array([math.log(priors[n].bounds[1]) for n in names])
    spread = np.array([max(priors[n].spread_log, 1e-3) for n in names])
    logs = np.array([math.log(f.case.value) for f in usable])

    def residuals(theta: np.ndarray) -> np.ndarray:
        m = _model_at(base, names, theta)
        pred = np.array([predict(m, f)[0] for f in usable])
        data = (np.log(np.maximum(pred, 1e-9)) - logs) / DATA_SIGMA
        return np.r_[data, (theta - x0) / spread]

    if names:
        res = least_squares(residuals, np.clip(x0, lo + 1e-9, hi - 1e-9), bounds=(lo, hi), method="trf")
        theta, cost = res.x, float(res.cost)
    else:
        theta, cost = x0, 0.0
    m = _model_at(base, names, theta)
    sig: dict[str, float] = {}
    for q in ("time", "cost"):
        sub = [f for f in usable if f.case.quantity == q]
        if not sub:
            continue
        err2, comp2 = [], []
        for f in sub:
            v, s = predict(m, f)
            err2.append((math.log(v) - math.log(f.case.value)) ** 2)
            comp2.append(s * s)
        n_par = sum(1 for n in names if _acts_on(n) == q)
        dof = max(len(sub) - n_par, 1)
        # in-sample errors understate held-out ones: scale by n / (n - parameters)
        mse = float(np.mean(err2)) * len(sub) / dof
        sig[q] = math.sqrt(max(mse - float(np.mean(comp2)), 0.0))
    return FitResult(names, {n: float(math.exp(t)) for n, t in zip(names, theta, strict=True)}, sig, cost)


def _acts_on(name: str) -> str:
    return "cost" if "usd" in name or "rate" in name else "time"


def _informed(name: str, feats: list[Features]) -> bool:
    """Whether any case says something about the parameter (else it keeps its prior)."""
    if name in RUN_CLASSES:
        return any(f.km_by_class.get(name, 0) > 0 and f.case.quantity == "time" for f in feats)
    if name.startswith("rail_speed_factor_"):
        return True  # chosen by railway_factors: at least two trips cross the railway
    if name == "sea_calls_h_per_1000km":
        return any(f.sea_km > 0 and f.case.quantity == "time" for f in feats)
    if name == "border_dwell_h":
        return any(f.n_border > 0 and f.case.quantity == "time" for f in feats)
    return any(f.case.quantity == _acts_on(name) for f in feats)


MIN_RAILWAY_KM = 500.0


def railway_factors(feats: list[Features], priors: dict[str, Any]) -> dict[str, Any]:
    """A speed-factor prior for each railway (country) that two or more published trips cross
    for at least MIN_RAILWAY_KM, copied from the ``rail_speed_factor`` template."""
    template = priors.get("rail_speed_factor")
    if template is None:
        return {}
    trips: dict[str, int] = {}
    for f in feats:
        if f.error is not None or f.case.quantity != "time":
            continue
        per: dict[str, float] = {}
        for (_, code), km in f.km_by_class_country.items():
            per[code] = per.get(code, 0.0) + km
        for code, km in per.items():
            if km >= MIN_RAILWAY_KM and code:
                trips[code] = trips.get(code, 0) + 1
    return {
        f"rail_speed_factor_{code}": template.model_copy(
            update={"name": f"rail_speed_factor_{code}", "fit": True}
        )
        for code, n in sorted(trips.items())
        if n >= 2
    }


def lanes_to_folds(cases: list[Case], k: int = N_FOLDS) -> list[int]:
    """A fold per case: the same lane (either direction) always in the same fold, lanes dealt
    round-robin in order of their first appearance."""
    order: dict[frozenset[str], int] = {}
    for c in cases:
        order.setdefault(frozenset((c.origin, c.destination)), len(order))
    return [order[frozenset((c.origin, c.destination))] % k for c in cases]


@dataclass
class HeldOut:
    case: Case
    predicted: float | None
    low: float | None
    high: float | None
    fold: int
    error: str | None = None

    @property
    def ape(self) -> float | None:
        if self.predicted is None:
            return None
        return abs(self.predicted - self.case.value) / self.case.value

    @property
    def inside(self) -> bool | None:
        if self.low is None or self.high is None:
            return None
        lo, hi = self.case.published
        return self.low <= hi and self.high >= lo  # the published range meets the predicted one


def cross_validate(
    base: CostModel, feats: list[Features], priors: dict[str, Any], k: int = N_FOLDS
) -> list[HeldOut]:
    folds = lanes_to_folds([f.case for f in feats], k)
    out: list[HeldOut | None] = [None] * len(feats)
    for fold in range(k):
        train = [f for f, g in zip(feats, folds, strict=True) if g != fold]
        test = [(i, f) for i, (f, g) in enumerate(zip(feats, folds, strict=True)) if g == fold]
        if not test:
            continue
        res = fit(base, train, priors)
        m = base.with_params(**res.values)
        for i, f in test:
            if f.error is not None:
                out[i] = HeldOut(f.case, None, None, None, fold, f.error)
                continue
            v, s = predict(m, f)
            lo, hi = case_range(m, f, v, s, res.residual_sigma.get(f.case.quantity, 0.0))
            out[i] = HeldOut(f.case, v, lo, hi, fold)
    return [h for h in out if h is not None]


def load_cases(path: Path | None = None) -> tuple[Path, CalibrationFile]:
    p = Path(path) if path else DATA_DIR / "calibration.yaml"
    return p, load_yaml(p, CalibrationFile)


def check_cases(router: Any, path: Path, cal: CalibrationFile) -> None:
    """Every place of every case resolves; every crossing figure names a curated crossing."""
    from silkrail.calibration.schema import case_line, check_crossing_ids
    from silkrail.errors import DataError, UnknownPlaceError

    known = {c.id for c in router.net.crossings if c.curated}
    check_crossing_ids(path, cal, known)
    for i, c in enumerate(cal.cases):
        for key in ("origin", "destination"):
            try:
                router.places.resolve(getattr(c, key))
            except UnknownPlaceError as exc:
                raise DataError(
                    f"case '{c.id}': {exc}",
                    file=path.name,
                    line=case_line(path, i, key),
                    field=f"cases[{i}].{key}",
                ) from None


@dataclass
class Calibration:
    fitted: FitResult
    held_out: list[HeldOut]
    features: list[Features]
    seconds: float
    priors: dict[str, Any]


def calibrate(net: Any, *, cases: Path | None = None, k: int = N_FOLDS) -> Calibration:
    """Route every case with the prior model, cross-validate, then fit on all cases."""
    from silkrail.routing.router import Router

    t0 = time.perf_counter()
    path, cal = load_cases(cases)
    transit = load_yaml(DATA_DIR / "transit.yaml", TransitFile)
    priors = {p.name: p for p in transit.parameters}
    base = CostModel.from_network(net, fitted=False)
    router = Router(net, home=None, model=base)
    check_cases(router, path, cal)
    feats = [case_features(router, c) for c in cal.cases]
    priors |= railway_factors(feats, priors)
    held = cross_validate(base, feats, priors, k)
    final = fit(base, feats, priors)
    # the spread of the ranges: held-out errors beyond the components' own spread
    sig = dict(final.residual_sigma)
    for q in ("time", "cost"):
        sub = [h for h in held if h.case.quantity == q and h.predicted]
        if sub:
            err2 = [math.log(h.predicted / h.case.value) ** 2 for h in sub if h.predicted]
            comp = [
                predict(base.with_params(**final.values), f)[1] ** 2
                for f in feats
                if f.case.quantity == q and f.error is None
            ]
            sig[q] = math.sqrt(
                max(float(np.mean(err2)) - float(np.mean(comp or [0.0])), sig.get(q, 0.0) ** 2)
            )
    final = FitResult(final.names, final.values, sig, final.cost)
    return Calibration(final, held, feats, time.perf_counter() - t0, priors)


def write_fitted(result: Calibration, path: Path | None = None, cases_file: str = "calibration.yaml") -> Path:
    """fitted.yaml: the fitted values beside their priors and bounds, the spread of the
    held-out errors, and how and when they were fitted."""
    import yaml

    p = Path(path) if path else DATA_DIR / "fitted.yaml"
    doc = {
        "fitted_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cases_file": cases_file,
        "method": (
            "scipy.optimize.least_squares on log errors (sigma 0.25) with log-normal priors, within bounds"
        ),
        "folds": N_FOLDS,
        "parameters": [
            {
                "name": n,
                "value": round(result.fitted.values[n], 4),
                "prior": float(result.priors[n].value),
                "bounds": [float(x) for x in result.priors[n].bounds],
            }
            for n in result.fitted.names
        ],
        "residual_sigma_log": {k: round(v, 4) for k, v in result.fitted.residual_sigma.items()},
        "note": "Written by `silkrail calibrate`; the priors and sources are in transit.yaml.",
    }
    header = "# Fitted by `silkrail calibrate` from calibration.yaml; do not edit by hand.\n"
    p.write_text(header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return p
