"""KPIs across replications: per service and per crossing, with 95 % confidence intervals.

The results are frozen dataclasses. ``to_dict()`` gives the JSON that ``silkrail simulate
--json`` prints; ``to_frame()`` one row per service or crossing (pandas, imported then).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas

    from silkrail.simulation.model import Replication
    from silkrail.simulation.scenario import SimInput


@dataclass(frozen=True, slots=True)
class Interval:
    """The mean of a KPI over replications and the half-width of its 95 % confidence interval
    (NaN with one replication; both NaN when no replication had a value)."""

    mean: float
    ci95: float

    @property
    def low(self) -> float:
        return self.mean - self.ci95

    @property
    def high(self) -> float:
        return self.mean + self.ci95

    def to_dict(self) -> dict[str, float]:
        return {"mean": self.mean, "ci95": self.ci95}


@dataclass(frozen=True, slots=True)
class ServiceKpis:
    """One service: trains delivered, stranded and rerouted, and transit times in hours."""

    name: str
    planned_h: float  # the planned transit time, without queueing
    trains_delivered: Interval
    stranded: Interval
    rerouted: Interval
    transit_mean_h: Interval
    transit_p50_h: Interval
    transit_p95_h: Interval


@dataclass(frozen=True, slots=True)
class CrossingKpis:
    """One crossing or line section: trains served, queue waits in hours, utilisation and the
    longest queue."""

    name: str
    servers: int
    trains: Interval
    wait_mean_h: Interval
    wait_p95_h: Interval
    utilisation: Interval
    max_queue: Interval


def _row_dict(row: ServiceKpis | CrossingKpis) -> dict[str, object]:
    values = ((f.name, getattr(row, f.name)) for f in fields(row))
    return {name: v.to_dict() if isinstance(v, Interval) else v for name, v in values}


def _rows_frame(rows: tuple[ServiceKpis, ...] | tuple[CrossingKpis, ...], cls: type) -> pandas.DataFrame:
    """One row per service or crossing; an interval KPI gives two columns, ``<kpi>`` (the mean)
    and ``<kpi>_ci95``."""
    from silkrail.frames import pandas as require_pandas

    pd = require_pandas()
    columns: list[str] = []
    for f in fields(cls):
        columns.append(f.name)
        if f.type in ("Interval", Interval):
            columns.append(f"{f.name}_ci95")
    data = []
    for row in rows:
        values: list[object] = []
        for f in fields(row):
            v = getattr(row, f.name)
            values += [v.mean, v.ci95] if isinstance(v, Interval) else [v]
        data.append(values)
    return pd.DataFrame(data, columns=columns)


@dataclass(frozen=True)
class Kpis:
    """KPIs of a scenario over its replications. ``results`` and ``input`` (the replications'
    raw results and the compiled scenario) are kept only by ``simulate(..., trace=True)``, for
    plots; they are not part of :meth:`to_dict`."""

    replications: int
    seeds: tuple[int, ...]
    events: int
    services: tuple[ServiceKpis, ...]
    crossings: tuple[CrossingKpis, ...]
    scenario: str = ""
    files: tuple[str, ...] = ()
    start: str = ""
    days: float = 0.0
    results: tuple[Replication, ...] | None = field(default=None, repr=False, compare=False)
    input: SimInput | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, object]:
        """The JSON form (``silkrail simulate --json``)."""
        return {
            "replications": self.replications,
            "seeds": list(self.seeds),
            "events": self.events,
            "services": [_row_dict(s) for s in self.services],
            "crossings": [_row_dict(c) for c in self.crossings],
            "scenario": self.scenario,
            "files": list(self.files),
            "start": self.start,
            "days": self.days,
        }

    def to_frame(self, table: str = "services") -> pandas.DataFrame:
        """``services`` or ``crossings`` as a DataFrame (needs pandas)."""
        if table == "services":
            return _rows_frame(self.services, ServiceKpis)
        if table == "crossings":
            return _rows_frame(self.crossings, CrossingKpis)
        raise ValueError(f"unknown KPI table '{table}'; use 'services' or 'crossings'")

    def service(self, name: str) -> ServiceKpis:
        """The KPIs of the service called ``name``."""
        for s in self.services:
            if s.name == name:
                return s
        raise KeyError(f"no service '{name}'; services: {', '.join(s.name for s in self.services)}")

    def crossing(self, name: str) -> CrossingKpis:
        """The KPIs of the crossing (or line section) called ``name``."""
        for c in self.crossings:
            if c.name == name:
                return c
        raise KeyError(f"no crossing '{name}'; crossings: {', '.join(c.name for c in self.crossings)}")


def _ci(values: list[float]) -> Interval:
    arr = np.asarray([v for v in values if v == v], dtype=float)
    if len(arr) == 0:
        return Interval(math.nan, math.nan)
    if len(arr) == 1:
        return Interval(float(arr[0]), math.nan)
    from scipy.stats import t

    half = float(t.ppf(0.975, len(arr) - 1) * arr.std(ddof=1) / math.sqrt(len(arr)))
    return Interval(float(arr.mean()), half)


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else math.nan


def summarise(results: Sequence[Replication]) -> Kpis:
    """Service KPIs (trains delivered, transit mean/p50/p95 in hours) and crossing KPIs (trains,
    queue wait mean/p95, utilisation, max queue): the mean over replications and its 95 % CI."""
    services = []
    for i, first in enumerate(results[0].services):
        per = [r.services[i] for r in results]
        services.append(
            ServiceKpis(
                name=first.name,
                planned_h=first.planned_h,
                trains_delivered=_ci([p.delivered for p in per]),
                stranded=_ci([p.stranded for p in per]),
                rerouted=_ci([p.rerouted for p in per]),
                transit_mean_h=_ci([float(np.mean(p.transit_h)) if p.transit_h else math.nan for p in per]),
                transit_p50_h=_ci([_pct(p.transit_h, 50) for p in per]),
                transit_p95_h=_ci([_pct(p.transit_h, 95) for p in per]),
            )
        )
    crossings = []
    for i, head in enumerate(results[0].resources):
        at = [r.resources[i] for r in results]
        crossings.append(
            CrossingKpis(
                name=head.name,
                servers=head.servers,
                trains=_ci([p.trains for p in at]),
                wait_mean_h=_ci([float(np.mean(p.waits_h)) if p.waits_h else 0.0 for p in at]),
                wait_p95_h=_ci([_pct(p.waits_h, 95) if p.waits_h else 0.0 for p in at]),
                utilisation=_ci([p.utilisation for p in at]),
                max_queue=_ci([p.max_queue for p in at]),
            )
        )
    return Kpis(
        replications=len(results),
        seeds=tuple(r.seed for r in results),
        events=int(sum(r.events for r in results)),
        services=tuple(services),
        crossings=tuple(crossings),
    )


@dataclass(frozen=True, slots=True)
class Change:
    """One KPI's mean in scenario A and B, and the change B - A."""

    a: float
    b: float

    @property
    def change(self) -> float:
        return self.b - self.a

    def to_dict(self) -> dict[str, float]:
        return {"a": self.a, "b": self.b, "change": self.change}


@dataclass(frozen=True, slots=True)
class ComparisonRow:
    """A service or crossing present in either scenario, with its KPIs' changes."""

    name: str
    changes: dict[str, Change]

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, **{k: v.to_dict() for k, v in self.changes.items()}}


SERVICE_COMPARED = ("trains_delivered", "transit_mean_h", "transit_p95_h")
CROSSING_COMPARED = ("trains", "wait_mean_h", "wait_p95_h", "utilisation", "max_queue")


@dataclass(frozen=True)
class Comparison:
    """Scenario B against scenario A: the change of the mean KPIs (``silkrail simulate compare``)."""

    a: str
    b: str
    services: tuple[ComparisonRow, ...]
    crossings: tuple[ComparisonRow, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "a": self.a,
            "b": self.b,
            "services": [r.to_dict() for r in self.services],
            "crossings": [r.to_dict() for r in self.crossings],
        }

    def to_frame(self, table: str = "services") -> pandas.DataFrame:
        """``services`` or ``crossings``: one row per name, columns ``<kpi>_a``, ``<kpi>_b`` and
        ``<kpi>_change`` (needs pandas)."""
        from silkrail.frames import pandas as require_pandas

        if table not in ("services", "crossings"):
            raise ValueError(f"unknown KPI table '{table}'; use 'services' or 'crossings'")
        rows: tuple[ComparisonRow, ...] = getattr(self, table)
        data = []
        for r in rows:
            row: dict[str, object] = {"name": r.name}
            for k, v in r.changes.items():
                row |= {f"{k}_a": v.a, f"{k}_b": v.b, f"{k}_change": v.change}
            data.append(row)
        return require_pandas().DataFrame(data)


def compare(a: Kpis, b: Kpis) -> Comparison:
    """Differences B - A of the mean KPIs, for services and crossings present in either."""

    def rows(
        left_rows: tuple[ServiceKpis, ...] | tuple[CrossingKpis, ...],
        right_rows: tuple[ServiceKpis, ...] | tuple[CrossingKpis, ...],
        keys: tuple[str, ...],
    ) -> tuple[ComparisonRow, ...]:
        left = {x.name: x for x in left_rows}
        right = {x.name: x for x in right_rows}
        out = []
        for name in list(left) + [n for n in right if n not in left]:
            changes = {key: Change(_mean(left.get(name), key), _mean(right.get(name), key)) for key in keys}
            out.append(ComparisonRow(name, changes))
        return tuple(out)

    return Comparison(
        a=a.scenario,
        b=b.scenario,
        services=rows(a.services, b.services, SERVICE_COMPARED),
        crossings=rows(a.crossings, b.crossings, CROSSING_COMPARED),
    )


def _mean(row: ServiceKpis | CrossingKpis | None, key: str) -> float:
    if row is None:
        return math.nan
    value: Interval = getattr(row, key)
    return value.mean
