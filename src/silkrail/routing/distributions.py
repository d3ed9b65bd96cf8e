"""Figures as distributions: a component's mean, its log-normal spread and where it comes from,
and the 10th-90th percentile range of a sum of such components."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

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
    "lognormal_variance",
    "share_variance",
    "sigma_of_range",
]
