"""The programme as a planner sees it, in one record: the lines, km and investment by year,
trainsets by year, published fleets against the model, rolling-stock demand with its comparison
and sensitivity, and the border links with the routes they change."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from silkrail.errors import DataError
from silkrail.programme.demand import CohortCheck, Demand, Variant, run_demand, sensitivity
from silkrail.programme.links import BorderLink, RouteChange, border_links, route_changes
from silkrail.programme.schema import VEHICLE_TYPES, ProgrammeFile, Target
from silkrail.programme.service import (
    FleetCheck,
    LineFleet,
    Reconciliation,
    fleet_checks,
    line_fleet,
    reconcile,
)
from silkrail.programme.timeline import PhaseComparison, YearFigures, line_cost, phase_comparison, timeline

if TYPE_CHECKING:
    from silkrail.routing.router import Router
    from silkrail.timetable.fleet import FleetFile

YEAR_BOUNDS = (1990, 2100)
"""The years a programme report may span."""


@dataclass(frozen=True)
class FleetComparison:
    """The modelled rolling-stock demand against the published units and cost: the totals, the
    assumptions, each sensitivity variant (against ``base_units``) and the cohort checks."""

    published_units_2050: int | None
    published_cost_vnd: float | None
    modelled_units_2050: int
    modelled_cost_vnd: int
    modelled_cost_usd: int
    years: tuple[int, int]
    modelled_by_type: dict[str, int]
    assumptions: tuple[str, ...]
    variants: tuple[Variant, ...]
    base_units: int
    checks: tuple[CohortCheck, ...]
    published_by_type_2030_2050: dict[str, int] | None
    modelled_by_type_2030_2050: dict[str, int] | None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "published_units_2050": self.published_units_2050,
            "published_cost_vnd": self.published_cost_vnd,
            "modelled_units_2050": self.modelled_units_2050,
            "modelled_cost_vnd": self.modelled_cost_vnd,
            "modelled_cost_usd": self.modelled_cost_usd,
            "years": list(self.years),
            "modelled_by_type": self.modelled_by_type,
            "assumptions": list(self.assumptions),
            "sensitivity": [v.to_dict(self.base_units, self.published_units_2050) for v in self.variants],
            "checks": [c.to_dict() for c in self.checks],
        }
        if self.published_by_type_2030_2050 is None:
            return out
        return {
            **out,
            "published_by_type_2030_2050": self.published_by_type_2030_2050,
            "modelled_by_type_2030_2050": self.modelled_by_type_2030_2050,
        }


@dataclass(frozen=True)
class FleetYear:
    """Trainsets (freight: trains) each line needs in a year, those added since the year before,
    and the vehicles of every type."""

    year: int
    by_line: dict[str, int]
    added: int
    vehicles: dict[str, int]

    @property
    def trainsets(self) -> int:
        return sum(self.by_line.values())

    def to_dict(self) -> dict[str, object]:
        return {
            "year": self.year,
            "trainsets": self.trainsets,
            "added": self.added,
            "by_line": dict(self.by_line),
            "vehicles": dict(self.vehicles),
        }


@dataclass(frozen=True)
class Programme:
    """Everything ``silkrail programme`` prints, writes as JSON and draws in its report."""

    data: ProgrammeFile
    year_from: int
    year_to: int
    years: tuple[YearFigures, ...]
    fleet: tuple[FleetYear, ...]
    plans: dict[str, tuple[LineFleet, ...]]
    checks: tuple[FleetCheck, ...]
    reconciliation: Reconciliation | None
    demand: Demand
    variants: tuple[Variant, ...]
    phases: tuple[PhaseComparison, ...]
    links: tuple[BorderLink, ...]
    route_changes: tuple[RouteChange, ...]
    notes: tuple[str, ...]

    def target(self, target_id: str) -> Target | None:
        return next((t for t in self.data.targets if t.id == target_id), None)

    def comparison(self) -> dict[str, object]:
        """:meth:`fleet_comparison` in its JSON form (``silkrail programme --json``'s comparison)."""
        return self.fleet_comparison().to_dict()

    def fleet_comparison(self) -> FleetComparison:
        """The modelled rolling-stock demand against the published units and cost, with every
        assumption and its effect on the gap."""
        published = self.target("vnr-rolling-stock-2050")
        by_type = self.target("vnr-demand-2030-2050")
        base = self.variants[0] if self.variants else None
        units = self.demand.units
        first = 2030
        return FleetComparison(
            published_units_2050=published.units if published else None,
            published_cost_vnd=published.cost_vnd if published else None,
            modelled_units_2050=units,
            modelled_cost_vnd=round(self.demand.cost_usd * self.data.exchange_rate.vnd_per_usd),
            modelled_cost_usd=round(self.demand.cost_usd),
            years=(self.data.settings.first_year, self.data.settings.last_year),
            modelled_by_type=self.demand.by_type(),
            assumptions=tuple(self.assumptions()),
            variants=self.variants,
            base_units=base.units if base else units,
            checks=self.demand.checks,
            published_by_type_2030_2050=None
            if by_type is None
            else {str(k): v for k, v in by_type.by_type.items()},
            modelled_by_type_2030_2050=None if by_type is None else self.demand.by_type(first, by_type.year),
        )

    def assumptions(self) -> list[str]:
        s = self.data.settings
        retire = ", ".join(f"{r.type} {r.age} y" for r in self.data.retirement)
        prices = ", ".join(f"{t} VND {v / 1e9:,.2f} bn" for t, v in self.demand.prices_vnd.items())
        return [
            f"retirement ages: {retire} ({self.data.retirement[0].sources[0].split(',')[0]}; "
            "urban and high-speed ages are silkrail defaults)",
            "units past their age in the first year are replaced over "
            f"{s.backlog_years} years; a new line's fleet is bought {s.buy_years_before_opening} year(s) "
            "before it runs",
            "the conventional fleet keeps its present size (traffic held at the 2024 level): the sector "
            "plan's figures (2021) include the new lines and, less the Lao Cai-Haiphong line's own forecast "
            "(2024), leave the conventional network 3.7 times its passengers and three quarters of its "
            "tonnes by 2030, which is a sensitivity here, not the base",
            "the new lines' fleets follow their service plans (each plan's basis and assumptions are listed "
            "with it); a freight train is one locomotive and its wagons; the reserve is fleet.yaml's share",
            f"unit prices: {prices}",
            f"VND {self.data.exchange_rate.vnd_per_usd:,.0f} to the US$",
            *self.demand.notes,
        ]

    def to_dict(self) -> dict[str, object]:
        """The JSON of ``silkrail programme --json`` (DESIGN.md's contract, extended)."""
        lines = []
        for line in self.data.lines:
            cost = line_cost(self.data, line)
            lines.append(
                {
                    "id": line.id,
                    "name": line.name,
                    "kind": line.kind,
                    "system": line.system,
                    "termini": list(line.termini),
                    "km": line.km,
                    "gauge_mm": line.gauge_mm,
                    "design_speed_kmh": line.design_speed_kmh,
                    "opens": line.opens,
                    "sections": [{"name": s.name, "km": s.km, "opens": s.opens} for s in line.sections],
                    "status": line.status,
                    "cost_usd": round(cost.usd),
                    "cost_basis": cost.basis,
                    "geometry": line.geometry,
                    "network_line": line.network_line,
                    "source": list(line.sources),
                }
            )
        return {
            "programme": self.data.name,
            "country": self.data.country,
            "years": [self.year_from, self.year_to],
            "lines": lines,
            "km_by_year": [y.to_dict() for y in self.years],
            "fleet_by_year": [f.to_dict() for f in self.fleet],
            "fleet_checks": [c.to_dict() for c in self.checks],
            "hsr_reconciliation": None if self.reconciliation is None else self.reconciliation.to_dict(),
            "demand_by_year": [y.to_dict() for y in self.demand.years],
            "comparison": self.comparison(),
            "phases": [p.to_dict() for p in self.phases],
            "border_links": [link.to_dict() for link in self.links],
            "route_changes": [r.to_dict() for r in self.route_changes],
            "notes": list(self.notes),
        }


def check_years(year_from: int, year_to: int) -> None:
    lo, hi = YEAR_BOUNDS
    for name, y in (("year_from", year_from), ("year_to", year_to)):
        if not lo <= y <= hi:
            raise DataError(f"{y} is outside {lo}-{hi}; give a year in that span", field=name)
    if year_to < year_from:
        raise DataError(f"the last year {year_to} is before the first year {year_from}", field="year_to")


def build_programme(
    data: ProgrammeFile,
    *,
    fleet: FleetFile,
    year_from: int | None = None,
    year_to: int | None = None,
    router: Router | None = None,
    with_sensitivity: bool = True,
    data_dir: Path | None = None,
) -> Programme:
    """The programme ``data`` from ``year_from`` to ``year_to`` (default: the demand model's
    years); with a ``router``, the routes its border links change, before and after."""
    from silkrail.network.curated import load_file
    from silkrail.settings import get_settings

    s = data.settings
    y0 = s.first_year if year_from is None else year_from
    y1 = s.last_year if year_to is None else year_to
    check_years(y0, y1)
    years = range(y0, y1 + 1)
    figures = tuple(timeline(data, years))
    fleet_years = []
    previous: dict[str, int] | None = None
    for y in years:
        by_line: dict[str, int] = {}
        vehicles: dict[str, int] = dict.fromkeys(VEHICLE_TYPES, 0)
        for line in data.lines:
            lf = line_fleet(line, y, fleet)
            if lf is None:
                continue
            by_line[line.id] = lf.trainsets
            for t, n in lf.vehicles.items():
                vehicles[t] += n
        if previous is None:
            before = {line.id: lf.trainsets for line in data.lines if (lf := line_fleet(line, y - 1, fleet))}
        else:
            before = previous
        added = sum(max(n - before.get(k, 0), 0) for k, n in by_line.items())
        fleet_years.append(FleetYear(y, by_line, added, vehicles))
        previous = by_line
    plans = {
        line.id: tuple(lf for ph in line.service if (lf := line_fleet(line, ph.from_year, fleet)) is not None)
        for line in data.lines
        if line.service
    }
    checks = tuple(fleet_checks(list(data.lines), fleet, last_year=s.last_year))
    hsr = next((line for line in data.lines if line.kind == "high_speed"), None)
    emus = next((t for t in data.targets if t.trainsets), None)
    reconciliation = (
        reconcile(hsr, emus.trainsets, emus.what, fleet)
        if hsr is not None and emus is not None and emus.trainsets
        else None
    )
    demand = run_demand(data, fleet)
    variants = tuple(sensitivity(data, fleet)) if with_sensitivity else ()
    folder = Path(data_dir) if data_dir is not None else get_settings().data_dir
    borders = load_file(folder / "borders.yaml")
    lines_file = load_file(folder / "lines.yaml")
    links = tuple(border_links(data.country, borders, lines_file))
    changes = tuple(route_changes(router, list(links), lines=lines_file)) if router is not None else ()
    notes = (
        "Run times come from published timetables where given, else from a commercial speed stated "
        "with the plan; the transit model's passenger traffic type is not used for them.",
        "Fleets follow silkrail's cycle formula (timetable/fleet.py): per pattern ceil((2 run + 2 turn) / "
        "peak headway) trains under way, plus the reserve share of fleet.yaml.",
    )
    return Programme(
        data=data,
        year_from=y0,
        year_to=y1,
        years=figures,
        fleet=tuple(fleet_years),
        plans=plans,
        checks=checks,
        reconciliation=reconciliation,
        demand=demand,
        variants=variants,
        phases=tuple(phase_comparison(data)),
        links=links,
        route_changes=changes,
        notes=notes,
    )
