"""Rolling-stock demand by year and type: the operator's present fleet ageing out at a stated
retirement age and replaced, its growth with the conventional network's traffic where published,
and the new lines' fleets as their service plans need them; priced at published unit prices and
compared with the published totals.

The model, year by year from ``settings.first_year`` to ``settings.last_year``:

- the conventional fleet (locomotives, coaches, wagons) starts from its published count and ages
  (age bands where published, the gaps spread evenly and marked); units at or past the retirement
  age leave service, those past it in the first year (the backlog) over ``backlog_years``;
- the conventional fleet is kept at its present size times the traffic index of its type (coaches
  follow passengers, wagons tonnes, locomotives the mean of the two): ``flat`` keeps today's
  traffic, ``sector_plan`` follows the published sector plan less the new lines' own forecasts;
- each new line's vehicles follow its fleet by year (:mod:`silkrail.programme.service`), bought
  ``buy_years_before_opening`` years ahead, and are replaced when they reach their age;
- a unit bought is a unit counted: the total is compared with the published units and cost.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from silkrail.errors import DataError
from silkrail.programme.schema import VEHICLE_TYPES, FleetCount, ProgrammeFile, VehicleType
from silkrail.programme.service import line_fleet
from silkrail.timetable.fleet import FleetFile

MAX_AGE = 100
CONVENTIONAL: tuple[VehicleType, ...] = ("locomotive", "coach", "wagon")


@dataclass(frozen=True)
class Assumptions:
    """The levers of the demand model (the base case is all defaults)."""

    retirement_shift_years: int = 0
    conventional_growth: Literal["flat", "sector_plan"] = "flat"
    new_line_freight_scale: float = 1.0
    hsr_plan_from: int | None = None  # keep the high-speed plan of this year (None: every phase)
    price_labels: dict[str, str] = field(default_factory=dict)  # type -> price label
    reserve_share: float | None = None
    freight_turnaround_min: float | None = None
    km_plan: str | None = None  # a city whose metro fleet follows its km plan (fleet in proportion to km)

    def describe(self) -> str:
        parts = []
        if self.retirement_shift_years:
            parts.append(f"retirement ages {self.retirement_shift_years:+d} years")
        if self.conventional_growth != "flat":
            parts.append("conventional traffic as the sector plan")
        if self.new_line_freight_scale != 1.0:
            parts.append(f"new lines' freight x{self.new_line_freight_scale:g}")
        if self.hsr_plan_from is not None:
            parts.append(f"high-speed plan of {self.hsr_plan_from} only")
        for t, label in self.price_labels.items():
            parts.append(f"{t} price: {label}")
        if self.reserve_share is not None:
            parts.append(f"reserve {self.reserve_share:.0%}")
        if self.freight_turnaround_min is not None:
            parts.append(f"freight trains turned in {self.freight_turnaround_min / 60:g} h")
        if self.km_plan is not None:
            parts.append(f"{self.km_plan} at its km plan")
        return "; ".join(parts) or "base case"


@dataclass(frozen=True)
class DemandYear:
    """Units bought in one year by type, their cost, and the fleet in service at the year's end."""

    year: int
    bought: dict[str, int]
    cost_usd: float
    in_service: dict[str, int]
    retired: dict[str, int]

    @property
    def units(self) -> int:
        return sum(self.bought.values())

    def to_dict(self) -> dict[str, object]:
        return {
            "year": self.year,
            "by_type": dict(self.bought),
            "units": self.units,
            "cost_usd": round(self.cost_usd),
            "in_service": dict(self.in_service),
            "retired": dict(self.retired),
        }


@dataclass(frozen=True, slots=True)
class CohortCheck:
    """The modelled cohorts against a published count of units past their age limit."""

    type: str
    what: str
    published: int
    modelled: int

    def to_dict(self) -> dict[str, object]:
        return {"type": self.type, "what": self.what, "published": self.published, "modelled": self.modelled}


@dataclass(frozen=True)
class Demand:
    """The demand model's answer under one set of assumptions."""

    assumptions: Assumptions
    years: tuple[DemandYear, ...]
    prices_vnd: dict[str, float]
    notes: tuple[str, ...]
    checks: tuple[CohortCheck, ...] = ()

    @property
    def units(self) -> int:
        return sum(y.units for y in self.years)

    @property
    def cost_usd(self) -> float:
        return sum(y.cost_usd for y in self.years)

    def by_type(self, first: int | None = None, last: int | None = None) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for y in self.years:
            if (first is None or y.year >= first) and (last is None or y.year <= last):
                for t, n in y.bought.items():
                    out[t] += n
        return {t: out.get(t, 0) for t in VEHICLE_TYPES}


# --- the present fleet as cohorts -------------------------------------------------------------


def _band(band: str, limit: int) -> tuple[int, int]:
    """Ages [a, b) of an age band; an open band 'A+' is taken to span 10 years."""
    if band.endswith("+"):
        a = int(band[:-1])
        return a, a + 10
    a, b = (int(x) for x in band.split("-"))
    return a, b


def initial_cohorts(count: FleetCount, retire_age: int, base_year: int) -> tuple[np.ndarray, str]:
    """Units by age (index = age) at the end of ``base_year`` and a note on how they were derived."""
    ages = np.zeros(MAX_AGE + 1)
    if count.ages and count.ages_year is not None:
        shift = base_year - count.ages_year
        for band, n in count.ages.items():
            a, b = _band(band, retire_age)
            ages[a + shift : b + shift] += n / (b - a)
        total = ages.sum()
        diff = count.units - total
        if diff < 0:  # fewer now: the oldest have gone
            remove = -diff
            for age in range(MAX_AGE, -1, -1):
                take = min(ages[age], remove)
                ages[age] -= take
                remove -= take
                if remove <= 0:
                    break
        elif diff > 0:  # more now: bought since the count
            ages[:shift] += diff / max(shift, 1)
        note = (
            f"{count.type}: {count.units} in {count.year}, aged from the {count.ages_year} age bands "
            f"(each band spread evenly; an open band taken as 10 years wide)"
        )
    else:
        past = count.past_life_units or 0
        ages[retire_age] += past
        rest = count.units - past
        ages[:retire_age] += rest / retire_age
        note = f"{count.type}: {count.units} in {count.year}; {count.gap or 'no ages published'}"
    return ages, note


# --- traffic indices ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrafficIndex:
    """Conventional traffic by year as an index (1 = the operator's latest year)."""

    passengers: dict[int, float]
    tonnes: dict[int, float]


def traffic_index(programme: ProgrammeFile, scope: str, years: range) -> TrafficIndex:
    """Index of conventional traffic (1 = the operator's latest year) for passengers and tonnes:
    ``flat`` is 1 throughout; ``sector_plan`` is the sector plan less the new lines' published
    forecasts, linear between the published years and flat after the last."""
    if scope == "flat":
        return TrafficIndex({y: 1.0 for y in years}, {y: 1.0 for y in years})
    base = max((t for t in programme.traffic if t.scope == "operator"), key=lambda t: t.year, default=None)
    plan = sorted((t for t in programme.traffic if t.scope == "sector_plan"), key=lambda t: t.year)
    if base is None or not plan:
        raise DataError(
            "the sector-plan growth needs operator traffic and sector-plan figures", field="traffic"
        )
    new_lines = _new_line_demand(programme)

    def index(kind: str) -> dict[int, float]:
        b = getattr(base, kind)
        points = [(base.year, b)]
        for t in plan:
            v = getattr(t, kind)
            if v is None:
                continue
            points.append((t.year, max(v - _interp(new_lines[kind], t.year), 0.0)))
        xs, ys = zip(*points, strict=True)
        return {y: float(np.interp(y, xs, ys)) / b for y in years}

    return TrafficIndex(index("passengers"), index("tonnes"))


def _new_line_demand(programme: ProgrammeFile) -> dict[str, list[tuple[int, float]]]:
    """The standard-gauge lines' published demand by year (passengers, tonnes), from their plans."""
    points: dict[str, dict[int, float]] = {"passengers": defaultdict(float), "tonnes": defaultdict(float)}
    for line in programme.lines:
        if line.kind != "standard_gauge":
            continue
        for phase in line.service:
            for p in phase.patterns:
                if p.demand is not None:
                    points[p.demand.unit][phase.from_year] += p.demand.per_year
    return {k: sorted(v.items()) for k, v in points.items()}


def _interp(points: list[tuple[int, float]], year: int) -> float:
    if not points:
        return 0.0
    xs, ys = zip(*points, strict=True)
    if year < xs[0]:
        return 0.0
    return float(np.interp(year, xs, ys))


# --- the model --------------------------------------------------------------------------------


def prices_vnd(programme: ProgrammeFile, labels: dict[str, str]) -> dict[str, float]:
    """VND per unit of each type: the price with the chosen label (default 'published')."""
    out: dict[str, float] = {}
    for t in VEHICLE_TYPES:
        want = labels.get(t, "published")
        options = [p for p in programme.prices if p.type == t]
        chosen = next((p for p in options if p.label == want), None)
        if chosen is None:
            known = ", ".join(sorted({p.label for p in options})) or "none"
            raise DataError(f"no {t} price labelled '{want}'; labels: {known}", field="prices")
        out[t] = chosen.vnd if chosen.vnd is not None else chosen.usd * programme.exchange_rate.vnd_per_usd  # type: ignore[operator]
    return out


def new_line_vehicles(
    programme: ProgrammeFile, fleet: FleetFile, years: range, a: Assumptions
) -> dict[int, dict[str, float]]:
    """Vehicles of every type the new lines need in each of ``years``; with ``a.km_plan``, that
    city's vehicles scaled to its km plan's km of the year (fleet in proportion to km)."""
    scale_of = km_plan_scale(programme, a.km_plan, years) if a.km_plan else {}
    out: dict[int, dict[str, float]] = {}
    for y in years:
        need: dict[str, float] = defaultdict(float)
        for line in programme.lines:
            plan_year = a.hsr_plan_from if line.kind == "high_speed" else None
            lf = line_fleet(line, y, fleet, plan_year=plan_year)
            if lf is None:
                continue
            city = scale_of.get(y, 1.0) if line.system == a.km_plan else 1.0
            for p in lf.patterns:
                scale = a.new_line_freight_scale if p.traffic == "freight" else city
                for t, n in p.vehicles.items():
                    need[t] += n * scale
        out[y] = dict(need)
    return out


def km_plan_scale(programme: ProgrammeFile, system: str | None, years: range) -> dict[int, float]:
    """Per year, the km of ``system``'s km plan (linear between its years, flat after the last)
    over the km its lines have open; at least 1."""
    from silkrail.programme.service import km_open

    plan = next((k for k in programme.km_plans if k.system == system), None)
    if plan is None:
        known = ", ".join(k.system for k in programme.km_plans) or "none"
        raise DataError(f"no km plan for '{system}'; plans: {known}", field="km_plans")
    xs = sorted(plan.km_by_year)
    ys = [plan.km_by_year[x] for x in xs]
    out = {}
    for y in years:
        modelled = sum(km_open(line, y) for line in programme.lines if line.system == system)
        target = float(np.interp(y, xs, ys)) if y >= xs[0] else 0.0
        out[y] = max(target / modelled, 1.0) if modelled > 0 else 1.0
    return out


def run_demand(programme: ProgrammeFile, fleet: FleetFile, a: Assumptions | None = None) -> Demand:
    """Units bought per year by type under ``a`` (default: the base case)."""
    a = a or Assumptions()
    if a.reserve_share is not None:
        fleet = fleet.model_copy(
            update={"reserve": fleet.reserve.model_copy(update={"share": a.reserve_share})}
        )
    if a.freight_turnaround_min is not None:
        turn = fleet.turnaround_min.model_copy(update={"freight": a.freight_turnaround_min})
        fleet = fleet.model_copy(update={"turnaround_min": turn})
    s = programme.settings
    first, last = s.first_year, s.last_year
    base_year = first - 1
    lead = s.buy_years_before_opening
    retire: dict[str, int] = {r.type: r.age + a.retirement_shift_years for r in programme.retirement}
    missing = [t for t in VEHICLE_TYPES if t not in retire]
    if missing:
        raise DataError(f"no retirement age for {', '.join(missing)}", field="retirement")
    prices = prices_vnd(programme, a.price_labels)
    index = traffic_index(programme, a.conventional_growth, range(base_year, last + 1))
    type_index = {
        "coach": index.passengers,
        "wagon": index.tonnes,
        "locomotive": {y: (index.passengers[y] + index.tonnes[y]) / 2 for y in index.tonnes},
    }
    notes: list[str] = []
    checks: list[CohortCheck] = []

    # the conventional fleet
    cohorts: dict[str, np.ndarray] = {}
    base_units: dict[str, float] = {}
    for count in programme.fleet:
        ages, note = initial_cohorts(count, retire[count.type], base_year)
        cohorts[count.type] = ages
        base_units[count.type] = float(count.units)
        notes.append(note)
        if count.past_life_by is not None and count.past_life_units is not None:
            limit = retire[count.type] - a.retirement_shift_years
            at = ages[limit - (base_year - count.past_life_by) :].sum()
            checks.append(
                CohortCheck(
                    type=count.type,
                    what=f"past the {limit}-year limit by {count.past_life_by}",
                    published=count.past_life_units,
                    modelled=round(float(at)),
                )
            )

    # the new lines' fleets: requirement by year, ahead by the purchase lead
    horizon = range(base_year, last + lead + 1)
    need = new_line_vehicles(programme, fleet, horizon, a)
    for t in VEHICLE_TYPES:
        cohorts.setdefault(t, np.zeros(MAX_AGE + 1))
    programme_cohorts = {t: np.zeros(MAX_AGE + 1) for t in VEHICLE_TYPES}
    for t in VEHICLE_TYPES:  # what the new lines have at the start (bought before the first year)
        programme_cohorts[t][0] = need[base_year + lead].get(t, 0.0)

    backlog = {t: cohorts[t][retire[t] + 1 :].sum() + cohorts[t][retire[t]] for t in cohorts}
    backlog_per_year = {t: backlog[t] / s.backlog_years for t in backlog}
    carry = {t: 0.0 for t in VEHICLE_TYPES}
    years: list[DemandYear] = []
    for y in range(first, last + 1):
        bought: dict[str, float] = {}
        retired: dict[str, float] = {}
        for t in VEHICLE_TYPES:
            conv = cohorts[t]
            prog = programme_cohorts[t]
            conv[1:] = conv[:-1].copy()
            conv[0] = 0.0
            prog[1:] = prog[:-1].copy()
            prog[0] = 0.0
            r = retire[t]
            # conventional: the backlog over its years (with this year's arrivals at the limit),
            # then each year's arrivals at the age
            clearing = y - first < s.backlog_years
            allowed = backlog_per_year[t] + conv[r] if clearing else conv[r:].sum()
            out_conv = _take_oldest(conv, min(allowed, conv[r:].sum()))
            out_prog = prog[r:].sum()
            prog[r:] = 0.0
            target = base_units.get(t, 0.0) * type_index.get(t, {}).get(y, 1.0)
            buy_conv = max(target - conv.sum(), 0.0) if t in base_units else 0.0
            conv[0] += buy_conv
            # new lines: what next year's service needs beyond what runs now
            want = need[y + lead].get(t, 0.0)
            buy_prog = max(want - prog.sum(), 0.0)
            prog[0] += buy_prog
            exact = buy_conv + buy_prog + carry[t]
            n = math.floor(exact + 0.5)
            carry[t] = exact - n
            bought[t] = n
            retired[t] = out_conv + out_prog
        cost_vnd = sum(prices[t] * n for t, n in bought.items())
        years.append(
            DemandYear(
                year=y,
                bought={t: int(n) for t, n in bought.items()},
                cost_usd=cost_vnd / programme.exchange_rate.vnd_per_usd,
                in_service={
                    t: round(float(cohorts[t].sum() + programme_cohorts[t].sum())) for t in VEHICLE_TYPES
                },
                retired={t: round(v) for t, v in retired.items()},
            )
        )
    return Demand(a, tuple(years), prices, tuple(notes), tuple(checks))


def _take_oldest(ages: np.ndarray, n: float) -> float:
    """Remove ``n`` units from the oldest ages; the number removed."""
    left = n
    for age in range(len(ages) - 1, -1, -1):
        if left <= 1e-12:
            break
        take = min(ages[age], left)
        ages[age] -= take
        left -= take
    return n - left


# --- comparison and sensitivity ----------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    label: str
    assumptions: Assumptions
    units: int
    cost_usd: float
    by_type: dict[str, int]

    def change_units(self, base_units: int) -> int:
        """Units bought against the base case's."""
        return self.units - base_units

    def effect_on_gap(self, base_units: int, published: int | None) -> str | None:
        """Whether this variant closes or widens the gap to the published units (None without them)."""
        if not published:
            return None
        gap_base, gap = abs(published - base_units), abs(published - self.units)
        return "closes" if gap < gap_base else ("widens" if gap > gap_base else "none")

    def to_dict(self, base_units: int, published: int | None) -> dict[str, object]:
        out: dict[str, object] = {
            "label": self.label,
            "assumptions": self.assumptions.describe(),
            "units": self.units,
            "change_units": self.change_units(base_units),
            "cost_usd": round(self.cost_usd),
            "by_type": dict(self.by_type),
        }
        effect = self.effect_on_gap(base_units, published)
        return out if effect is None else {**out, "effect_on_gap": effect}


SENSITIVITY: tuple[tuple[str, Assumptions], ...] = (
    ("retirement 10 years earlier", Assumptions(retirement_shift_years=-10)),
    ("retirement 5 years earlier", Assumptions(retirement_shift_years=-5)),
    ("retirement 5 years later", Assumptions(retirement_shift_years=5)),
    ("retirement 10 years later", Assumptions(retirement_shift_years=10)),
    ("conventional traffic as the sector plan", Assumptions(conventional_growth="sector_plan")),
    ("new lines' freight halved", Assumptions(new_line_freight_scale=0.5)),
    ("new lines' freight doubled", Assumptions(new_line_freight_scale=2.0)),
    ("high-speed opening plan only", Assumptions(hsr_plan_from=2035)),
    ("Ho Chi Minh City at its 2026 plan (700 km)", Assumptions(km_plan="Ho Chi Minh City metro")),
    ("freight trains turned in 12 h, not a day", Assumptions(freight_turnaround_min=720)),
    ("reserve 10 % of the fleet", Assumptions(reserve_share=0.10)),
    ("reserve 20 % of the fleet", Assumptions(reserve_share=0.20)),
    ("high-speed cars at the CRRC 2017 price", Assumptions(price_labels={"hsr_car": "CRRC 2017 contract"})),
    (
        "both published plans: sector traffic and Ho Chi Minh City 2026",
        Assumptions(conventional_growth="sector_plan", km_plan="Ho Chi Minh City metro"),
    ),
)
"""The assumptions varied one at a time around the base case."""


def sensitivity(
    programme: ProgrammeFile, fleet: FleetFile, variants: tuple[tuple[str, Assumptions], ...] = SENSITIVITY
) -> list[Variant]:
    out = []
    for label, a in (("base case", Assumptions()), *variants):
        d = run_demand(programme, fleet, a)
        out.append(Variant(label, a, d.units, d.cost_usd, d.by_type()))
    return out
