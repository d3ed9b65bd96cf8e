"""The accuracy report: every published case against its held-out prediction, and per category
the median absolute percentage error (MdAPE) and how often the predicted range meets the
published one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from silkrail.calibration.fit import Calibration, HeldOut


def summary(held: Sequence[HeldOut]) -> dict[str, dict[str, Any]]:
    """Per category, and per quantity over all categories: cases, MdAPE, coverage."""
    groups: dict[str, list[HeldOut]] = {}
    for h in held:
        groups.setdefault(h.case.category, []).append(h)
        groups.setdefault(f"all {h.case.quantity}", []).append(h)
    out: dict[str, dict[str, Any]] = {}
    for name, hs in groups.items():
        scored = [h for h in hs if h.ape is not None]
        apes = [h.ape for h in scored if h.ape is not None]
        inside = [h.inside for h in scored if h.inside is not None]
        out[name] = {
            "cases": len(hs),
            "routed": len(scored),
            "mdape": float(np.median(apes)) if apes else None,
            "coverage": float(np.mean(inside)) if inside else None,
        }
    return out


def to_dict(cal: Calibration) -> dict[str, Any]:
    return {
        "fitted": {k: round(v, 4) for k, v in cal.fitted.values.items()},
        "priors": {k: cal.priors[k].value for k in cal.fitted.values},
        "residual_sigma_log": cal.fitted.residual_sigma,
        "seconds": round(cal.seconds, 1),
        "cases": [
            {
                "id": h.case.id,
                "category": h.case.category,
                "quantity": h.case.quantity,
                "unit": h.case.unit,
                "published": list(h.case.published),
                "predicted": None if h.predicted is None else round(h.predicted, 1),
                "range": None if h.low is None or h.high is None else [round(h.low, 1), round(h.high, 1)],
                "error": None if h.ape is None else round(h.ape, 3),
                "inside": h.inside,
                "fold": h.fold,
                "problem": h.error,
            }
            for h in cal.held_out
        ],
        "summary": summary(cal.held_out),
    }


def render(cal: Calibration) -> str:
    """A plain-text table: case, published, held-out prediction and range, error, inside."""
    lines = ["Held-out predictions (each case predicted by a fit on the other folds)", ""]
    head = (
        f"{'case':32} {'unit':12} {'published':>17} {'predicted':>10} {'range (p10-p90)':>19} "
        f"{'error':>7}  in"
    )
    lines.append(head)
    for h in cal.held_out:
        lo, hi = h.case.published
        pub = f"{lo:,.0f}" if lo == hi else f"{lo:,.0f}-{hi:,.0f}"
        if h.predicted is None or h.low is None or h.high is None:
            lines.append(f"{h.case.id:32} {h.case.unit:12} {pub:>17} {'no route':>10}   ({h.error})")
            continue
        rng = f"{h.low:,.0f}-{h.high:,.0f}"
        ape = h.ape or 0.0
        lines.append(
            f"{h.case.id:32} {h.case.unit:12} {pub:>17} {h.predicted:>10,.0f} {rng:>19} {ape:>6.0%}  "
            f"{'yes' if h.inside else 'no'}"
        )
    lines += ["", f"{'category':28} {'cases':>5} {'routed':>6} {'MdAPE':>7} {'coverage':>9}"]
    for name, s in sorted(summary(cal.held_out).items(), key=lambda kv: (kv[0].startswith("all"), kv[0])):
        md = "-" if s["mdape"] is None else f"{s['mdape']:.0%}"
        cov = "-" if s["coverage"] is None else f"{s['coverage']:.0%}"
        lines.append(f"{name:28} {s['cases']:>5} {s['routed']:>6} {md:>7} {cov:>9}")
    lines += ["", "Fitted on all cases (prior in brackets):"]
    for k, v in cal.fitted.values.items():
        lines.append(f"  {k:34} {v:10.3f}  ({cal.priors[k].value:g})")
    for k, v in cal.fitted.residual_sigma.items():
        lines.append(f"  model spread, {k:20} {v:10.3f}  (log units)")
    lines.append(f"\n{len(cal.held_out)} cases, {cal.seconds:.1f} s")
    return "\n".join(lines)
