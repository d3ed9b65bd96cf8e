"""The model's predictions of every figure as arrays: a compiled design that turns a vector of
parameter values into predicted times, distances and costs in one pass of numpy.

A figure's time is a sum of terms, each a product of a number read off its route and parameters
raised to +1 or -1 (``km x track factor x train category / speed``), plus counts times a
parameter (dwell, gauge change, terminal time) and a fixed part. Distance and money are sums of
the same kind. The structures compiled here are the model's (line classes, traffic types, train
categories, track factors) and the round-2 model's (speed by gauge and railway, one dwell and one
terminal time, the extract's km), so the report can compare the two on the same folds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from silkrail.calibration.features import Features
from silkrail.traffic import Traffic

STRUCTURES = ("transit", "round2")
"""``transit``: this model. ``round2``: the model it replaces, refitted on the same folds."""


@dataclass
class Names:
    """An index of parameter names (the vector's positions)."""

    names: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)

    def __call__(self, name: str) -> int:
        if name not in self.index:
            self.index[name] = len(self.names)
            self.names.append(name)
        return self.index[name]


@dataclass
class Design:
    """Compiled predictions: term arrays per quantity, and the parameter names they use."""

    names: Names
    figure: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))  # term -> figure
    coef: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    up: NDArray[np.int64] = field(default_factory=lambda: np.zeros((0, 3), np.int64))  # multiplied (-1: none)
    down: NDArray[np.int64] = field(default_factory=lambda: np.zeros((0, 2), np.int64))  # divided by
    fixed: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))  # per figure
    n: int = 0
    cost: list[int] = field(default_factory=list)  # figures predicted by the tariff (outside the terms)
    sigma_terms: NDArray[np.int64] = field(
        default_factory=lambda: np.zeros(0, np.int64)
    )  # sigma name per term

    def predict(
        self,
        theta: NDArray[np.float64],
        feats: Sequence[Features],
        tariff: Callable[..., float],
        *,
        categories: bool = True,
    ) -> NDArray[np.float64]:
        """Predicted value of every figure for parameter values ``theta`` (by position); without
        ``categories``, every train as a standard one (a query that names no category)."""
        th = np.r_[theta, 1.0]  # position -1 reads 1
        val = self.term_values(theta, categories=categories)
        out = np.bincount(self.figure, weights=val, minlength=self.n) + self.fixed
        for i in self.cost:
            out[i] = tariff(feats[i], th)
        return out

    def term_values(self, theta: NDArray[np.float64], *, categories: bool = True) -> NDArray[np.float64]:
        th = np.r_[theta, 1.0]  # position -1 reads 1
        up = th[self.up[:, 0]] * th[self.up[:, 1]]
        if categories:
            up = up * th[self.up[:, 2]]  # the train category's factor (column 2)
        return self.coef * up / (th[self.down[:, 0]] * th[self.down[:, 1]])


def compile_design(feats: Sequence[Features], structure: str = "transit") -> Design:
    """The design of ``feats`` under a structure (see :data:`STRUCTURES`)."""
    names = Names()
    figure: list[int] = []
    coef: list[float] = []
    up: list[tuple[int, int, int]] = []
    down: list[tuple[int, int]] = []
    sig: list[int] = []
    fixed = np.zeros(len(feats))
    cost: list[int] = []

    def term(i: int, c: float, u: tuple[int, int], d: tuple[int, int], s: int, train: int = -1) -> None:
        figure.append(i)
        coef.append(c)
        up.append((*u, train))
        down.append(d)
        sig.append(s)

    for i, f in enumerate(feats):
        if f.error is not None:
            continue
        q = f.quantity
        if q == "cost":
            cost.append(i)
            continue
        t = f.traffic
        freight = t is not Traffic.PASSENGER
        if structure == "round2":
            group = "container"  # the round-2 model priced every route as freight
            if q == "distance":
                for km in f.run_gauge.values():
                    term(i, km, (-1, -1), (-1, -1), -1)
                fixed[i] = f.other_km + f.paced_km
                continue
            for (g, cc), km in f.run_gauge.items():
                v = names(f"round2.speed_kmh.{g}")
                term(i, km, (-1, -1), (v, names(f"round2.railway_speed.{cc}")), v)
            n_dwell = sum(f.dwell.values())
            if n_dwell:
                p = names("round2.border_dwell_h")
                term(i, float(n_dwell), (p, -1), (-1, -1), p)
            if f.ends:
                p = names("round2.terminal_h")
                term(i, float(f.ends), (p, -1), (-1, -1), p)
            fixed[i] = f.fixed_h + _changes_fixed(f)
            if f.sea_km:
                p = names("sea_calls_h_per_1000km")
                term(i, f.sea_km / 1000.0, (p, -1), (-1, -1), -1)
            del group
            continue
        if q == "distance":
            for (c, cc), km in f.run.items():
                term(i, km, (names(f"track_factor.{c}"), _railway_track(names, c, cc)), (-1, -1), -1)
            fixed[i] = f.other_km
            continue
        family = "railway_speed" if freight else "railway_speed_passenger"
        for (c, cc, line), km in f.run_time.items():
            run_c = "modern" if freight and c == "high_speed" else c
            v = names(f"{t.value}.speed_kmh.{run_c}")
            if freight:
                railway = names(f"{family}.{cc}")
            elif line:
                # a curated line's passenger trains: the line's own factor, not the railway's
                railway = names(f"line_speed_passenger.{line}")
            else:
                # a railway's passenger factor describes its other track, not high-speed trains
                railway = -1 if c == "high_speed" else names(f"{family}.{cc}")
            # an express or a stopping train: its category's factor, on all but high-speed lines
            train = f.figure.train
            scaled = train != "standard" and (freight or c != "high_speed")
            tc = names(f"{t.value}.{train}_run") if scaled else -1
            term(i, km, (names(f"track_factor.{c}"), _railway_track(names, c, cc)), (v, railway), v, tc)
        for p_name, n in f.dwell.items():
            p = names(p_name)
            term(i, float(n), (p, -1), (-1, -1), p)
        for p_name, n in f.changes.items():
            p = names(p_name)
            term(i, float(n), (p, -1), (-1, -1), p)
        if f.ends:
            p = names(f"{t.value}.terminal_h")
            term(i, float(f.ends), (p, -1), (-1, -1), p)
        if f.sea_km:
            p = names("sea_calls_h_per_1000km")
            term(i, f.sea_km / 1000.0, (p, -1), (-1, -1), -1)
        fixed[i] = f.fixed_h
    return Design(
        names,
        np.array(figure, np.int64),
        np.array(coef, np.float64),
        np.array(up, np.int64).reshape(-1, 3),
        np.array(down, np.int64).reshape(-1, 2),
        fixed,
        len(feats),
        cost,
        np.array(sig, np.int64),
    )


def _railway_track(names: Names, line_class: str, railway: str) -> int:
    """A railway's track factor, where it applies: its older lines, not a high-speed line (new,
    straight, and mapped at about its own length)."""
    return -1 if line_class == "high_speed" else names(f"railway_track.{railway}")


def _changes_fixed(f: Features) -> float:
    """The round-2 model had no per-traffic change times: the prior container method times."""
    return 2.2 * sum(f.changes.values())


def log_errors(
    pred: NDArray[np.float64], feats: Sequence[Features], rows: Sequence[int]
) -> NDArray[np.float64]:
    return np.array([math.log(max(pred[i], 1e-9)) - feats[i].log_value for i in rows])


__all__ = ["STRUCTURES", "Design", "Names", "compile_design", "log_errors"]
