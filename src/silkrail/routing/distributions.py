"""Figures as distributions: a component's mean, its log-normal spread and where it comes from,
and the 10th-90th percentile range of a sum of such components."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Z90 = 1.2815515655446004  # the 90th percentile of the standard normal


@dataclass(frozen=True)
class Component:
    """A time component's value (its mean, h), log-spread and provenance: ``basis`` is one of
    timetable, curated, fitted, modelled, default; ``record`` the curated record it comes
    from; ``param`` the model parameter it is, if any."""

    value: float
    sigma_log: float
    basis: str
    record: str | None = None
    param: str | None = None

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


def lognormal_ranges(
    mean: NDArray[np.float64], variance: NDArray[np.float64], extra_sigma: float = 0.0
) -> NDArray[np.float64]:
    """:func:`lognormal_range` of arrays: (n, 2) (a mean that is not positive gives (0, 0))."""
    out = np.zeros((len(mean), 2))
    ok = np.isfinite(mean) & (mean > 0)
    mu0, v = mean[ok], variance[ok]
    s2 = np.log1p(v / (mu0 * mu0)) + extra_sigma * extra_sigma
    s = np.sqrt(s2)
    mu = np.log(mu0) - s2 / 2
    out[ok, 0] = np.exp(mu - Z90 * s)
    out[ok, 1] = np.exp(mu + Z90 * s)
    return out


def share_variance(part: float, sigma_log: float) -> float:
    """Variance of a part of a total that is off by a log-normal factor of spread ``sigma_log``."""
    return lognormal_variance(max(part, 0.0), sigma_log)


def sigma_of_range(rng: Sequence[float]) -> float:
    """The log spread whose 10th-90th percentiles span a published [low, high] range."""
    lo, hi = float(rng[0]), float(rng[1])
    if lo <= 0 or hi <= lo:
        return 0.5
    return math.log(hi / lo) / (2 * Z90)


__all__ = [
    "Z90",
    "Component",
    "lognormal_range",
    "lognormal_ranges",
    "lognormal_variance",
    "share_variance",
    "sigma_of_range",
]
