"""KPIs across replications: per service and per crossing, with 95 % confidence intervals."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def _ci(values: list[float]) -> dict[str, float]:
    arr = np.asarray([v for v in values if v == v], dtype=float)
    if len(arr) == 0:
        return {"mean": math.nan, "ci95": math.nan}
    if len(arr) == 1:
        return {"mean": float(arr[0]), "ci95": math.nan}
    from scipy.stats import t

    half = float(t.ppf(0.975, len(arr) - 1) * arr.std(ddof=1) / math.sqrt(len(arr)))
    return {"mean": float(arr.mean()), "ci95": half}


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else math.nan


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Service KPIs (trains delivered, transit mean/p50/p95 in hours) and crossing KPIs (trains,
    queue wait mean/p95, utilisation, max queue): the mean over replications and its 95 % CI."""
    services = []
    for i, first in enumerate(results[0]["services"]):
        per = [r["services"][i] for r in results]
        services.append(
            {
                "name": first["name"],
                "planned_h": first["planned_h"],
                "trains_delivered": _ci([p["delivered"] for p in per]),
                "stranded": _ci([p["stranded"] for p in per]),
                "rerouted": _ci([p["rerouted"] for p in per]),
                "transit_mean_h": _ci(
                    [float(np.mean(p["transit_h"])) if p["transit_h"] else math.nan for p in per]
                ),
                "transit_p50_h": _ci([_pct(p["transit_h"], 50) for p in per]),
                "transit_p95_h": _ci([_pct(p["transit_h"], 95) for p in per]),
            }
        )
    crossings = []
    for i, first in enumerate(results[0]["resources"]):
        per = [r["resources"][i] for r in results]
        crossings.append(
            {
                "name": first["name"],
                "servers": first["servers"],
                "trains": _ci([p["trains"] for p in per]),
                "wait_mean_h": _ci([float(np.mean(p["waits_h"])) if p["waits_h"] else 0.0 for p in per]),
                "wait_p95_h": _ci([_pct(p["waits_h"], 95) if p["waits_h"] else 0.0 for p in per]),
                "utilisation": _ci([p["utilisation"] for p in per]),
                "max_queue": _ci([p["max_queue"] for p in per]),
            }
        )
    return {
        "replications": len(results),
        "seeds": [r["seed"] for r in results],
        "events": int(sum(r["events"] for r in results)),
        "services": services,
        "crossings": crossings,
    }
