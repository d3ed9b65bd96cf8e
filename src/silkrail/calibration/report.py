"""The accuracy report: every published figure against its held-out prediction (a fit that never
saw the figure's corridor), and per corridor, traffic type and quantity the median absolute
percentage error (MdAPE), how often the predicted 10th-90th percentile range meets the published
figure (coverage), the interval score (relative Winkler score, alpha 0.2: narrower ranges that
still cover score better) and the ranges' width - beside the round-2 structure's on the same folds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np

from silkrail.calibration.fit import Calibration, HeldOut


@dataclass(frozen=True)
class Targets:
    """The bounds the report is held to (the README's "How accurate is it?")."""

    time_mdape: float = 0.15
    distance_mdape: float = 0.03
    coverage: float = 0.80

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


TARGETS = Targets()
"""The bounds the report is held to (the README's "How accurate is it?")."""


@dataclass(frozen=True)
class Stats:
    """The accuracy of one set of held-out predictions: counts, MdAPE of times, distances and
    costs, coverage of the time figures (and of all), mean interval score and mean log width."""

    figures: int
    routed: int
    time_mdape: float | None
    distance_mdape: float | None
    cost_mdape: float | None
    coverage: float | None
    coverage_all: float | None
    interval_score: float | None
    log_width: float | None
    time_mdape_no_category: float | None = None
    """Time MdAPE had every query named no train category (express and stopping trains predicted
    as standard ones)."""

    def to_dict(self) -> dict[str, int | float | None]:
        return asdict(self)


@dataclass(frozen=True)
class Comparison:
    """One group's figures under this model and under the round-2 structure on the same folds."""

    model: Stats
    round2: Stats

    def to_dict(self) -> dict[str, dict[str, int | float | None]]:
        return {"model": self.model.to_dict(), "round2": self.round2.to_dict()}


@dataclass(frozen=True)
class Checks:
    """Whether each target holds on the held-out figures."""

    time_mdape: bool
    distance_mdape: bool
    coverage: bool
    interval_score_better: bool

    def to_dict(self) -> dict[str, bool]:
        return asdict(self)


@dataclass(frozen=True)
class Summary:
    """Everything the report prints: overall, by corridor and by traffic type (each beside the
    round-2 structure's figures), the ranges' width against round 2, and the targets."""

    overall: Comparison
    by_corridor: dict[str, Comparison]
    by_traffic: dict[str, Comparison]
    width_ratio: float | None
    targets: Targets
    checks: Checks
    published_figures: int

    def to_dict(self) -> dict[str, object]:
        """As plain data (the ``--json`` report's ``summary``)."""
        return {
            "overall": self.overall.to_dict(),
            "by_corridor": {k: v.to_dict() for k, v in self.by_corridor.items()},
            "by_traffic": {k: v.to_dict() for k, v in self.by_traffic.items()},
            "width_ratio": self.width_ratio,
            "targets": self.targets.to_dict(),
            "checks": self.checks.to_dict(),
            "published_figures": self.published_figures,
        }


def stats(held: Sequence[HeldOut]) -> Stats:
    """Counts, MdAPE of times and of distances, coverage, mean interval score, mean log width."""
    scored = [h for h in held if h.ape is not None]
    times = [h.ape for h in scored if h.figure.quantity == "time" and h.ape is not None]
    dists = [h.ape for h in scored if h.figure.quantity == "distance" and h.ape is not None]
    costs = [h.ape for h in scored if h.figure.quantity == "cost" and h.ape is not None]
    inside = [h.inside for h in scored if h.inside is not None and h.figure.quantity == "time"]
    inside_all = [h.inside for h in scored if h.inside is not None]
    wink = [h.winkler for h in scored if h.winkler is not None and h.figure.quantity == "time"]
    width = [h.log_width for h in scored if h.log_width is not None and h.figure.quantity == "time"]
    plain = [h.ape_standard for h in scored if h.figure.quantity == "time" and h.ape_standard is not None]
    return Stats(
        figures=len(held),
        routed=len(scored),
        time_mdape=float(np.median(times)) if times else None,
        distance_mdape=float(np.median(dists)) if dists else None,
        cost_mdape=float(np.median(costs)) if costs else None,
        coverage=float(np.mean(inside)) if inside else None,
        coverage_all=float(np.mean(inside_all)) if inside_all else None,
        interval_score=float(np.mean(wink)) if wink else None,
        log_width=float(np.mean(width)) if width else None,
        time_mdape_no_category=float(np.median(plain)) if plain else None,
    )


def by(held: Sequence[HeldOut], key: Literal["corridor", "traffic", "quantity"]) -> dict[str, list[HeldOut]]:
    """``held`` grouped by the figures' corridor, traffic type or quantity, in name order."""
    out: dict[str, list[HeldOut]] = {}
    for h in held:
        k = (
            h.figure.corridor
            if key == "corridor"
            else h.figure.traffic
            if key == "traffic"
            else h.figure.quantity
        )
        out.setdefault(str(k), []).append(h)
    return dict(sorted(out.items()))


def summary(cal: Calibration) -> Summary:
    """Everything the report prints, as a record: overall, by corridor, by traffic type, each
    with the round-2 structure's figures beside; the width ratio; whether the targets hold."""
    base = {id(h.feature): h for h in cal.baseline}

    def both(hs: list[HeldOut]) -> Comparison:
        return Comparison(model=stats(hs), round2=stats([base[id(h.feature)] for h in hs]))

    overall = both(list(cal.held_out))
    m, r = overall.model, overall.round2
    width_ratio = math.exp(m.log_width - r.log_width) if m.log_width is not None and r.log_width else None
    checks = Checks(
        time_mdape=m.time_mdape is not None and m.time_mdape <= TARGETS.time_mdape,
        distance_mdape=m.distance_mdape is not None and m.distance_mdape <= TARGETS.distance_mdape,
        coverage=m.coverage is not None and m.coverage >= TARGETS.coverage,
        interval_score_better=(
            m.interval_score is not None
            and r.interval_score is not None
            and m.interval_score < r.interval_score
        ),
    )
    return Summary(
        overall=overall,
        by_corridor={k: both(v) for k, v in by(cal.held_out, "corridor").items()},
        by_traffic={k: both(v) for k, v in by(cal.held_out, "traffic").items()},
        width_ratio=width_ratio,
        targets=TARGETS,
        checks=checks,
        published_figures=len(cal.evidence.figures)
        + len(cal.evidence.crossings)
        + len(cal.evidence.sea_index),
    )


def to_dict(cal: Calibration) -> dict[str, object]:
    """The report as plain data (``calibrate --json``): the fitted values, every figure's held-out
    prediction beside round 2's, and the :class:`Summary`."""
    base = {id(h.feature): h for h in cal.baseline}
    return {
        "fitted": {k: round(v, 4) for k, v in cal.fitted.items()},
        "residual_sigma_log": {k: round(v, 4) for k, v in cal.final.residual.items()},
        "seconds": round(cal.seconds, 1),
        "figures": [
            {
                "id": h.figure.id,
                "corridor": h.figure.corridor,
                "traffic": h.figure.traffic,
                "quantity": h.figure.quantity,
                "unit": h.figure.unit,
                "published": list(h.figure.published),
                "predicted": None if h.predicted is None else round(h.predicted, 1),
                "range": None if h.low is None or h.high is None else [round(h.low, 1), round(h.high, 1)],
                "error": None if h.ape is None else round(h.ape, 3),
                "inside": h.inside,
                "round2_predicted": _r(base[id(h.feature)].predicted),
                "round2_range": _rng(base[id(h.feature)]),
                "problem": h.error,
            }
            for h in cal.held_out
        ],
        "summary": summary(cal).to_dict(),
    }


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 1)


def _rng(h: HeldOut) -> list[float] | None:
    return None if h.low is None or h.high is None else [round(h.low, 1), round(h.high, 1)]


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.0%}"


def _num(v: float | None, fmt: str = ".2f") -> str:
    return "-" if v is None else format(v, fmt)


def table(cal: Calibration) -> list[str]:
    """The summary table (the README shows it): by corridor and by traffic type, then overall."""
    s = summary(cal)
    head = (
        f"{'group':20} {'figs':>4} {'time MdAPE':>10} {'dist MdAPE':>10} {'coverage':>8} "
        f"{'score':>6} {'r2 MdAPE':>8} {'r2 cover':>8} {'r2 score':>8}"
    )
    lines = [head, "-" * len(head)]

    def row(name: str, g: Comparison) -> str:
        m, r = g.model, g.round2
        return (
            f"{name:20} {m.routed:>4} {_pct(m.time_mdape):>10} {_pct(m.distance_mdape):>10} "
            f"{_pct(m.coverage):>8} {_num(m.interval_score):>6} {_pct(r.time_mdape):>8} "
            f"{_pct(r.coverage):>8} {_num(r.interval_score):>8}"
        )

    for k, g in s.by_corridor.items():
        lines.append(row(k, g))
    lines.append("")
    for k, g in s.by_traffic.items():
        lines.append(row(f"traffic: {k}", g))
    lines.append(row("all (held out)", s.overall))
    return lines


def render(cal: Calibration) -> str:
    """The plain-text report: every figure, the summary table, the targets, the fitted values."""
    s = summary(cal)
    lines = [
        "Held-out predictions: each figure predicted by a fit that never saw its corridor",
        "",
        f"{'figure':36} {'corridor':19} {'traffic':9} {'published':>15} {'predicted':>10} "
        f"{'range (p10-p90)':>19} {'error':>6}  in",
    ]
    for h in cal.held_out:
        lo, hi = h.figure.published
        pub = f"{lo:,.0f}" if lo == hi else f"{lo:,.0f}-{hi:,.0f}"
        pub += f" {h.figure.unit.replace('usd_per_', '$/')}"
        head = f"{h.figure.id[:36]:36} {h.figure.corridor[:19]:19} {h.figure.traffic[:9]:9} {pub:>15}"
        if h.predicted is None or h.low is None or h.high is None:
            lines.append(f"{head} {'no route':>10}   ({(h.error or '')[:80]})")
            continue
        rng = f"{h.low:,.0f}-{h.high:,.0f}"
        lines.append(
            f"{head} {h.predicted:>10,.0f} {rng:>19} {h.ape or 0:>6.0%}  {'yes' if h.inside else 'no'}"
        )
    lines += [
        "",
        "Accuracy on held-out corridors (this model; r2: the round-2 structure on the same folds)",
        "",
    ]
    lines += table(cal)
    m = s.overall.model
    lines += [
        "",
        f"published figures in the evidence base: {s.published_figures} "
        f"({len(cal.evidence.figures)} figures, {len(cal.evidence.crossings)} crossing figures, "
        f"{len(cal.evidence.sea_index)} dated sea rates)",
        f"ranges' width against round 2: x{_num(s.width_ratio)} (geometric mean of p90/p10)",
        "score: mean relative Winkler interval score (alpha 0.2) of time figures; lower is better",
        "",
        "targets (held out): "
        + ", ".join(f"{k} {'met' if ok else 'NOT met'}" for k, ok in s.checks.to_dict().items()),
        f"  time MdAPE {_pct(m.time_mdape)} (<= 15%), distance MdAPE {_pct(m.distance_mdape)} "
        f"(<= 3%), coverage {_pct(m.coverage)} (>= 80%)",
        f"  time MdAPE {_pct(m.time_mdape_no_category)} had no query named its train's category "
        "(express and stopping trains asked for as standard ones)",
        "",
        "Fitted on every figure (prior in brackets):",
    ]
    for k, v in cal.fitted.items():
        p = cal.priors.get(k) or cal.priors.get(k.rsplit(".", 1)[0])
        lines.append(f"  {k:42} {v:10.3f}  ({p.value if p else 1:g})")
    for k, v in sorted(cal.final.residual.items()):
        lines.append(f"  model spread, {k:28} {v:10.3f}  (log units)")
    lines.append(f"\n{len(cal.held_out)} figures, {cal.seconds:.1f} s")
    return "\n".join(lines)


__all__ = [
    "TARGETS",
    "Checks",
    "Comparison",
    "Stats",
    "Summary",
    "Targets",
    "by",
    "render",
    "stats",
    "summary",
    "table",
    "to_dict",
]
