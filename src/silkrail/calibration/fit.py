"""Fitting the transit model's free parameters to the evidence base, and judging it on corridors
it was not fitted to.

Each figure is routed once with the prior model and broken into what the parameters act on
(:mod:`~silkrail.calibration.features`); the predictions are compiled into arrays
(:mod:`~silkrail.calibration.design`). The fit minimises squared log errors (a spread per
quantity: times 0.25, distances 0.05, money 0.3) plus a prior term per parameter (scipy
``least_squares`` within bounds), so that no parameter runs away when few figures speak to it. A
parameter is free only where the training figures inform it; a railway gets a speed or track
factor of its own only when figures from at least two corridors cross it.

Cross-validation holds out one whole corridor at a time: every figure of a corridor is predicted
by a fit on the other corridors, with a spread learnt on those corridors only. The round-2
structure (speed by gauge and railway, one dwell and one terminal time, the extract's km, one
spread for everything) is refitted on the same folds, so the report compares like with like.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from silkrail.calibration.design import Design, compile_design
from silkrail.calibration.features import Features, figure_features
from silkrail.errors import DataError, UnknownPlaceError
from silkrail.evidence.load import Evidence, load_evidence, published_count
from silkrail.evidence.schema import DATA_DIR, Figure, Parameter, TransitFile, load_yaml
from silkrail.routing.distributions import lognormal_range, share_variance
from silkrail.traffic import Traffic

if TYPE_CHECKING:
    from silkrail.network.model import Network
    from silkrail.routing.router import Router

Progress = Callable[[int, int], None]
"""Told ``(done, total)`` after each figure is routed."""

DATA_SIGMA = {"time": 0.25, "distance": 0.05, "cost": 0.3}
"""The spread assumed for a published figure, in log units, by quantity (priors weigh against it)."""
RESIDUAL_FLOOR = {"time": 0.05, "distance": 0.015, "cost": 0.05}
MIN_HELD_OUT = 5
"""Held-out figures a group needs before its spread is read from them."""
FAMILY_KM = {
    "railway_speed": 500.0,
    "railway_speed_passenger": 300.0,
    "railway_track": 200.0,
    "line_speed_passenger": 300.0,
}
"""km of a railway (or of a curated line) a figure must cross to inform its factor."""
ROUND2_PRIORS: dict[str, tuple[float, float, tuple[float, float], float]] = {
    "round2.speed_kmh.1520": (40.0, 0.35, (12.0, 70.0), 0.15),
    "round2.speed_kmh.1435": (40.0, 0.35, (12.0, 80.0), 0.15),
    "round2.speed_kmh.1000": (21.0, 0.35, (8.0, 50.0), 0.2),
    "round2.speed_kmh.other": (40.0, 0.35, (10.0, 80.0), 0.2),
    "round2.terminal_h": (24.0, 0.6, (3.0, 120.0), 0.6),
    "round2.border_dwell_h": (10.0, 0.7, (1.0, 60.0), 0.8),
    "round2.railway_speed": (1.0, 0.25, (0.5, 2.0), 0.0),
}
"""The round-2 model's priors (value, spread, bounds, component spread), from its transit.yaml
(commit 098aed1): the baseline the report compares with."""


# -- priors ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prior:
    value: float
    spread: float
    bounds: tuple[float, float]
    sigma: float
    fit: bool


def load_priors(transit_path: Path | None = None) -> dict[str, Prior]:
    """The priors of ``transit.yaml`` by name (country-family templates under the family name),
    with the round-2 baseline's."""
    path = Path(transit_path) if transit_path else DATA_DIR / "transit.yaml"
    transit: TransitFile = load_yaml(path, TransitFile)
    out: dict[str, Prior] = {}
    for p in transit.parameters:
        out[p.name] = _prior(p)
    for name, (v, s, b, sig) in ROUND2_PRIORS.items():
        out[name] = Prior(v, s, b, sig, True)
    return out


def _prior(p: Parameter) -> Prior:
    return Prior(
        float(p.value),
        float(p.spread_log),
        (float(p.bounds[0]), float(p.bounds[1])),
        float(p.sigma_log),
        p.fit,
    )


def prior_of(priors: dict[str, Prior], name: str) -> Prior | None:
    """A parameter's prior: its own, or its family's template (``railway_speed.KZ``): a family
    member is free wherever the figures inform it (see :func:`free_parameters`)."""
    if name in priors:
        return priors[name]
    family = name.rsplit(".", 1)[0]
    template = priors.get(family)
    if template is None:
        return None
    return Prior(template.value, template.spread, template.bounds, template.sigma, True)


# -- the fit -------------------------------------------------------------------------------------


@dataclass
class Problem:
    """Everything one structure's fits need: features, the compiled design, priors."""

    feats: list[Features]
    design: Design
    priors: dict[str, Prior]
    structure: str

    @property
    def names(self) -> list[str]:
        return self.design.names.names

    def start(self) -> NDArray[np.float64]:
        """Every parameter at its prior (a family member with no fit at 1)."""
        vals = []
        for n in self.names:
            p = prior_of(self.priors, n)
            vals.append(p.value if p is not None else 1.0)
        return np.array(vals, np.float64)

    def sigmas(self) -> NDArray[np.float64]:
        vals = []
        for n in self.names:
            p = prior_of(self.priors, n)
            vals.append(p.sigma if p is not None else 0.0)
        return np.array(vals, np.float64)

    def predict(self, theta: NDArray[np.float64], *, categories: bool = True) -> NDArray[np.float64]:
        return self.design.predict(theta, self.feats, self._tariff, categories=categories)

    def _tariff(self, f: Features, th: NDArray[np.float64]) -> float:
        def val(name: str) -> float:
            i = self.design.names.index.get(name)
            if i is not None:
                return float(th[i])
            p = prior_of(self.priors, name)
            return p.value if p is not None else 1.0

        r500, rlong = val("tariff.rate_500_usd_per_teu_km"), val("tariff.rate_long_usd_per_teu_km")
        entry = max(r500 - rlong, 0.0) * 500.0
        rail = sum(entry + rlong * km for km in f.section_km if km > 0)
        terminal = val("tariff.terminal_usd_per_teu")
        per_teu = rail + f.fees_usd + f.ends * terminal
        if f.figure.unit == "usd_per_feu":
            return per_teu * val("tariff.feu_factor") + 2 * f.sea_usd
        return per_teu + f.sea_usd


def _register_tariff(problem: Problem) -> None:
    """Cost figures are predicted outside the compiled terms: give the tariff's names positions."""
    if problem.design.cost:
        for n in ("tariff.rate_500_usd_per_teu_km", "tariff.rate_long_usd_per_teu_km"):
            problem.design.names(n)


def free_parameters(problem: Problem, rows: Sequence[int]) -> list[int]:
    """Positions of the parameters the training ``rows`` inform (and the priors let fit)."""
    d, feats = problem.design, problem.feats
    rowset = set(rows)
    used: dict[int, set[int]] = defaultdict(set)  # position -> training figures using it
    for j in range(len(d.figure)):
        i = int(d.figure[j])
        if i not in rowset:
            continue
        for p in (*d.up[j], *d.down[j]):
            if p >= 0:
                used[int(p)].add(i)
    if any(i in rowset for i in d.cost):
        for n in ("tariff.rate_500_usd_per_teu_km", "tariff.rate_long_usd_per_teu_km"):
            used[d.names.index[n]] |= {i for i in d.cost if i in rowset}
    free = []
    for p, figs in used.items():
        name = problem.names[p]
        prior = prior_of(problem.priors, name)
        if prior is None or not prior.fit or prior.spread <= 0:
            continue
        family, _, code = name.rpartition(".")
        quantities = {feats[i].quantity for i in figs}
        if name.startswith("track_factor.") and "distance" not in quantities:
            continue  # track length is fitted to published lengths
        if (family in FAMILY_KM or family == "round2.railway_speed") and not _family_informed(
            problem, family, code, figs
        ):
            continue
        free.append(p)
    return sorted(free)


def _family_informed(problem: Problem, family: str, code: str, figs: set[int]) -> bool:
    """A railway's own factor: figures crossing it for FAMILY_KM or more, from two corridors
    (the round-2 rule: two figures)."""
    limit = FAMILY_KM.get(family, 500.0)
    hits = []
    for i in figs:
        f = problem.feats[i]
        if family == "line_speed_passenger":
            km = sum(v for (_, _, line), v in f.run_time.items() if line == code)
        else:
            km = sum(
                v
                for (_, cc), v in (f.run_gauge if family.startswith("round2") else f.run).items()
                if cc == code
            )
        if km >= limit:
            hits.append(f.corridor)
    if family.startswith("round2"):
        return len(hits) >= 2
    return len(hits) >= 2 and len(set(hits)) >= 2


@dataclass
class FitResult:
    theta: NDArray[np.float64]  # every position (free ones fitted)
    free: list[str]
    residual: dict[str, float]  # group -> spread of the model's own error (log units)
    cost: float

    def values(self, problem: Problem) -> dict[str, float]:
        return {n: float(self.theta[problem.design.names.index[n]]) for n in self.free}


def group_of(f: Features, structure: str) -> str:
    """The residual group a figure belongs to: its quantity, and for times the traffic (the
    round-2 model had one spread for all times)."""
    if f.quantity != "time":
        return f.quantity
    if structure == "round2":
        return "time"
    return "time.passenger" if f.traffic is Traffic.PASSENGER else "time.freight"


def fit(problem: Problem, rows: Sequence[int], *, nested: bool = False) -> FitResult:
    """Least squares on log errors of ``rows`` with a prior per free parameter, within bounds;
    then the spread of the model's own error per group: with ``nested``, from predictions of each
    corridor of ``rows`` by a fit on the others (what a figure of an unseen corridor meets);
    otherwise from the training errors (inflated for the parameters)."""
    from scipy.optimize import least_squares

    rows = [i for i in rows if problem.feats[i].error is None]
    free = free_parameters(problem, rows)
    theta0 = problem.start()
    priors = [prior_of(problem.priors, problem.names[p]) for p in free]
    x0 = np.array([math.log(theta0[p]) for p in free])
    lo = np.array([math.log(max(pr.bounds[0], 1e-9)) for pr in priors if pr is not None])
    hi = np.array([math.log(pr.bounds[1]) for pr in priors if pr is not None])
    spread = np.array([max(pr.spread, 1e-3) for pr in priors if pr is not None])
    obs = np.array([problem.feats[i].log_value for i in rows])
    sd = np.array([DATA_SIGMA[problem.feats[i].quantity] for i in rows])
    idx = np.array(rows, np.int64)

    def residuals(x: NDArray[np.float64]) -> NDArray[np.float64]:
        th = theta0.copy()
        th[free] = np.exp(x)
        pred = problem.predict(th)[idx]
        return np.r_[(np.log(np.maximum(pred, 1e-9)) - obs) / sd, (x - x0) / spread]

    theta = theta0.copy()
    cost = 0.0
    if free:
        res = least_squares(residuals, np.clip(x0, lo + 1e-9, hi - 1e-9), bounds=(lo, hi), method="trf")
        theta[free] = np.exp(res.x)
        cost = float(res.cost)
    out = FitResult(theta, [problem.names[p] for p in free], {}, cost)
    out.residual = held_out_spreads(problem, rows) if nested else residual_spreads(problem, out, rows)
    return out


def held_out_spreads(problem: Problem, rows: Sequence[int]) -> dict[str, float]:
    """Per group, the spread of held-out errors beyond the components' own: each corridor of
    ``rows`` predicted by a fit on the other corridors of ``rows``. A group with fewer than
    MIN_HELD_OUT held-out figures keeps its training spread."""
    rows = [i for i in rows if problem.feats[i].error is None]
    corridors = sorted({problem.feats[i].corridor for i in rows})
    err2: dict[str, list[float]] = defaultdict(list)
    comp2: dict[str, list[float]] = defaultdict(list)
    for c in corridors:
        train = [i for i in rows if problem.feats[i].corridor != c]
        test = [i for i in rows if problem.feats[i].corridor == c]
        if not train:
            continue
        res = fit(problem, train)
        pred = problem.predict(res.theta)
        comp = component_sigma(problem, res.theta, pred)
        for i in test:
            g = group_of(problem.feats[i], problem.structure)
            err2[g].append((math.log(max(pred[i], 1e-9)) - problem.feats[i].log_value) ** 2)
            comp2[g].append(float(comp[i]) ** 2)
    base = (
        residual_spreads(problem, fit(problem, rows), rows)
        if any(len(v) < MIN_HELD_OUT for v in err2.values())
        else {}
    )
    out = dict(base)
    for g, e in err2.items():
        if len(e) < MIN_HELD_OUT:
            continue
        floor = RESIDUAL_FLOOR[g.split(".")[0]]
        out[g] = math.sqrt(max(float(np.mean(e)) - float(np.mean(comp2[g])), floor**2))
    return out


def component_sigma(
    problem: Problem, theta: NDArray[np.float64], pred: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Each figure's log spread from its components: running time per speed parameter (a slow
    line is slow all along), dwell, terminal and change times, and what is fixed."""
    d = problem.design
    sig = problem.sigmas()
    if problem.structure == "transit":
        # the sigma of a speed is the component's spread of transit.yaml (the typed record's)
        pass
    vals = d.term_values(theta)
    var = np.zeros(d.n)
    keys = d.sigma_terms
    for s in np.unique(keys).tolist():
        if s < 0:
            continue
        sel = keys == s
        sums = np.bincount(d.figure[sel], weights=vals[sel], minlength=d.n)
        var += sums * sums * math.expm1(float(sig[s]) ** 2)
    sea = prior_of(problem.priors, "spreads.sea_sigma_log")
    sea_s = sea.value if sea is not None else 0.12
    for i, f in enumerate(problem.feats):
        if f.error is None and f.quantity == "time":
            var[i] += f.fixed_var + f.water_h**2 * math.expm1(sea_s**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.sqrt(np.log1p(np.where(pred > 0, var / np.maximum(pred, 1e-9) ** 2, 0.0)))
    return s


def residual_spreads(problem: Problem, res: FitResult, rows: Sequence[int]) -> dict[str, float]:
    """Per group, the spread of the training errors beyond the components' own (inflated by
    n / (n - parameters), as in-sample errors understate held-out ones)."""
    pred = problem.predict(res.theta)
    comp = component_sigma(problem, res.theta, pred)
    groups: dict[str, list[int]] = defaultdict(list)
    for i in rows:
        groups[group_of(problem.feats[i], problem.structure)].append(i)
    out = {}
    for g, rs in groups.items():
        err2 = [(math.log(max(pred[i], 1e-9)) - problem.feats[i].log_value) ** 2 for i in rs]
        q = g.split(".")[0]
        n_par = sum(1 for n in res.free if _acts_on(n) == q)
        dof = max(len(rs) - n_par * len(rs) / max(len(rows), 1), 1.0)
        mse = float(np.mean(err2)) * len(rs) / dof
        floor = RESIDUAL_FLOOR[q]
        out[g] = math.sqrt(max(mse - float(np.mean(comp[rs] ** 2)), floor**2))
    return out


def _acts_on(name: str) -> str:
    if name.startswith(("tariff.", "fares.")):
        return "cost"
    if name.startswith(("track_factor.", "railway_track.")):
        return "distance"
    return "time"


# -- held-out predictions --------------------------------------------------------------------


@dataclass
class HeldOut:
    """A figure predicted by a fit that never saw its corridor."""

    feature: Features
    predicted: float | None
    low: float | None
    high: float | None
    fold: str
    error: str | None = None
    as_standard: float | None = None
    """The prediction had the query named no train category (an express or a stopping train
    predicted as a standard one): what a planner who does not know the category gets."""

    @property
    def figure(self) -> Figure:
        return self.feature.figure

    @property
    def ape_standard(self) -> float | None:
        if self.as_standard is None:
            return None
        return abs(self.as_standard - self.figure.value) / self.figure.value

    @property
    def ape(self) -> float | None:
        if self.predicted is None:
            return None
        return abs(self.predicted - self.figure.value) / self.figure.value

    @property
    def inside(self) -> bool | None:
        if self.low is None or self.high is None:
            return None
        lo, hi = self.figure.published
        return self.low <= hi and self.high >= lo  # the published range meets the predicted one

    @property
    def winkler(self) -> float | None:
        """Relative interval score of the 10th-90th percentile range (alpha 0.2): its width plus
        2 / alpha times the distance from the range to the published figure, over the figure."""
        if self.low is None or self.high is None:
            return None
        lo, hi = self.figure.published
        miss = max(self.low - hi, 0.0) + max(lo - self.high, 0.0)
        return float((self.high - self.low) + miss * 2 / 0.2) / self.figure.value

    @property
    def log_width(self) -> float | None:
        if self.low is None or self.high is None or self.low <= 0:
            return None
        return math.log(self.high / self.low)


def predict_rows(problem: Problem, res: FitResult, rows: Sequence[int], fold: str) -> list[HeldOut]:
    """Predictions and 10th-90th percentile ranges of ``rows`` from a fit."""
    pred = problem.predict(res.theta)
    standard = problem.predict(res.theta, categories=False)
    comp = component_sigma(problem, res.theta, pred)
    out = []
    for i in rows:
        f = problem.feats[i]
        if f.error is not None:
            out.append(HeldOut(f, None, None, None, fold, f.error))
            continue
        v = float(pred[i])
        g = group_of(f, problem.structure)
        resid = res.residual.get(g, max(res.residual.values(), default=0.3))
        var = v * v * math.expm1(float(comp[i]) ** 2)
        land = v - (f.water_h if f.quantity == "time" else 0.0)
        var += share_variance(land, resid)
        if f.quantity == "time" and f.water_h:
            sea = prior_of(problem.priors, "spreads.sea_sigma_log")
            var += share_variance(f.water_h, sea.value if sea else 0.12)
        lo, hi = lognormal_range(v, var)
        out.append(HeldOut(f, v, lo, hi, fold, as_standard=float(standard[i])))
    return out


def cross_validate(problem: Problem) -> list[HeldOut]:
    """Every figure predicted by a fit on the other corridors (leave one corridor out)."""
    corridors = sorted({f.corridor for f in problem.feats})
    out: dict[int, HeldOut] = {}
    for c in corridors:
        train = [i for i, f in enumerate(problem.feats) if f.corridor != c]
        test = [i for i, f in enumerate(problem.feats) if f.corridor == c]
        res = fit(problem, train, nested=True)
        for i, h in zip(test, predict_rows(problem, res, test, c), strict=True):
            out[i] = h
    return [out[i] for i in sorted(out)]


# -- the whole calibration -------------------------------------------------------------------


@dataclass
class Calibration:
    """Held-out predictions of this model and of the round-2 structure on the same folds, the
    fit on every figure, and what it was fitted from."""

    held_out: list[HeldOut]
    baseline: list[HeldOut]
    final: FitResult
    problem: Problem
    evidence: Evidence
    seconds: float
    features: list[Features] = field(default_factory=list)

    @property
    def fitted(self) -> dict[str, float]:
        return self.final.values(self.problem)

    @property
    def priors(self) -> dict[str, Prior]:
        return self.problem.priors


def check_places(router: Router, ev: Evidence) -> None:
    """Every place of every figure resolves (a bad one names its file, line and field)."""
    for f in ev.figures:
        for key in ("origin", "destination"):
            try:
                router.places.resolve(getattr(f, key))
            except UnknownPlaceError as exc:
                name, line = ev.line(f.id, key)
                raise DataError(
                    f"figure '{f.id}': {exc}",
                    file=name,
                    line=line,
                    field=f"figures[{ev.where[f.id][1]}].{key}",
                ) from None


def check_crossings(net: Network, ev: Evidence) -> None:
    """Every crossing figure and every figure's ``via`` names a curated crossing."""
    known = {c.id for c in net.crossings if c.curated}
    for i, c in enumerate(ev.crossings):
        if c.crossing not in known:
            examples = ", ".join(sorted(known)[:3])
            raise DataError(
                f"'{c.crossing}' is not a crossing of borders.yaml (for example {examples})",
                file="crossings.yaml",
                field=f"crossings[{i}].crossing",
            )
    for f in ev.figures:
        for v in f.via:
            if v not in known:
                name, line = ev.line(f.id, "via")
                raise DataError(
                    f"figure '{f.id}': '{v}' is not a crossing of borders.yaml",
                    file=name,
                    line=line,
                    field="via",
                )


def route_features(net: Network, ev: Evidence, progress: Progress | None = None) -> list[Features]:
    """Every figure routed with the prior model (``progress(i, n)`` after each)."""
    from silkrail.routing.costs import CostModel
    from silkrail.routing.router import Router
    from silkrail.settings import get_settings

    prior = CostModel.from_network(net, fitted=False)
    router = Router(net, home=get_settings().home, model=prior)
    check_places(router, ev)
    check_crossings(net, ev)
    feats = []
    for k, f in enumerate(ev.figures):
        feats.append(figure_features(router, f))
        if progress is not None:
            progress(k + 1, len(ev.figures))
    return feats


def calibrate(
    net: Network,
    *,
    evidence: Path | None = None,
    transit: Path | None = None,
    progress: Progress | None = None,
) -> Calibration:
    """Route every figure with the prior model, cross-validate by corridor (this model and the
    round-2 structure), then fit on every figure."""
    t0 = time.perf_counter()
    ev = load_evidence(evidence)
    priors = load_priors(transit)
    feats = route_features(net, ev, progress)
    problem = Problem(feats, compile_design(feats, "transit"), priors, "transit")
    _register_tariff(problem)
    baseline = Problem(feats, compile_design(feats, "round2"), priors, "round2")
    _register_tariff(baseline)
    held = cross_validate(problem)
    held_base = cross_validate(baseline)
    final = fit(problem, range(len(feats)), nested=True)
    return Calibration(held, held_base, final, problem, ev, time.perf_counter() - t0, feats)


def write_fitted(result: Calibration, path: Path | None = None) -> Path:
    """fitted.yaml: the fitted values beside their priors and bounds and the figures that
    informed them, the spread of the model's own error per group, and the provenance."""
    import yaml

    p = Path(path) if path else DATA_DIR / "fitted.yaml"
    problem = result.problem
    rows = range(len(problem.feats))
    used: dict[str, set[int]] = defaultdict(set)  # parameter -> figures that inform it
    d = problem.design
    for j in range(len(d.figure)):
        for q in (*d.up[j], *d.down[j]):
            if q >= 0:
                used[problem.names[int(q)]].add(int(d.figure[j]))
    params = []
    for name in result.final.free:
        prior = prior_of(problem.priors, name)
        assert prior is not None
        params.append(
            {
                "name": name,
                "value": round(float(result.final.theta[d.names.index[name]]), 4),
                "prior": prior.value,
                "bounds": [prior.bounds[0], prior.bounds[1]],
                "figures": len(used.get(name, ())) if not name.startswith("tariff.") else len(d.cost),
            }
        )
    ev = result.evidence
    doc = {
        "fitted_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cases_file": "evidence/",
        "method": (
            "scipy.optimize.least_squares on log errors (sigma: time 0.25, distance 0.05, money 0.3) "
            "with log-normal priors, within bounds; residual spread per group from the fit's errors"
        ),
        "folds": len({f.corridor for f in problem.feats}),
        "evidence": {
            "files": dict(sorted(ev.digests.items())),
            "published_figures": published_count(ev),
            "routed": sum(1 for f in problem.feats if f.error is None),
            "by_quantity": ev.counts(),
        },
        "parameters": params,
        "residual_sigma_log": {
            k: round(v, 4) for k, v in sorted(_residual_names(result.final.residual).items())
        },
        "note": (
            "Written by `silkrail calibrate`; the priors and their sources are in transit.yaml, the figures "
            "in evidence/. Cross-validated by corridor: see `silkrail calibrate --report`."
        ),
    }
    del rows
    header = (
        "# Fitted by `silkrail calibrate` from the evidence base (data/evidence/); do not edit by hand.\n"
    )
    p.write_text(header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return p


def _residual_names(residual: dict[str, float]) -> dict[str, float]:
    """The groups as the cost model reads them: time.container (and wagonload), time.passenger."""
    out: dict[str, float] = {}
    for g, v in residual.items():
        out.update({"time.container": v, "time.wagonload": v} if g == "time.freight" else {g: v})
    return out


__all__ = [
    "DATA_SIGMA",
    "Calibration",
    "FitResult",
    "HeldOut",
    "Prior",
    "Problem",
    "calibrate",
    "cross_validate",
    "fit",
    "free_parameters",
    "load_priors",
    "predict_rows",
    "write_fitted",
]
