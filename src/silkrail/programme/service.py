"""Service plans to fleets: each pattern of a line's plan becomes a planned line of
:mod:`silkrail.timetable.fleet` (its cycle over its peak headway, plus the reserve), so that the
programme's fleets and ``silkrail fleet`` come from one formula. A line's fleet in a year follows
from the plan in force and the km open that year."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from silkrail.programme.schema import (
    VEHICLE_TYPES,
    LineKind,
    Pattern,
    ProgrammeLine,
    ServicePhase,
    VehicleType,
)
from silkrail.timetable.fleet import FleetFile, PlanLine, fleet_for_line, with_reserve

_PASSENGER_CAR: dict[LineKind, VehicleType] = {
    "urban_metro": "metro_car",
    "high_speed": "hsr_car",
    "standard_gauge": "coach",
}


def km_open(line: ProgrammeLine, year: int) -> float:
    """The km of ``line`` open in ``year`` (its sections as they open, else all of it)."""
    if line.sections:
        return round(sum(s.km for s in line.sections if s.opens <= year), 3)
    return line.km if line.opens <= year else 0.0


def phase_for(line: ProgrammeLine, year: int) -> ServicePhase | None:
    """The service plan in force in ``year``: the last phase begun by then."""
    current = None
    for phase in line.service:
        if phase.from_year <= year:
            current = phase
    return current if km_open(line, year) > 0 else None


def trains_per_day(pattern: Pattern) -> float:
    """Trains a day each way: given, from the headway over the service hours, or from the demand
    (the busier direction's share of a year's demand over a day's trains of ``load_per_train``)."""
    if pattern.trains_per_day is not None:
        return pattern.trains_per_day
    if pattern.headway_min is not None:
        return pattern.service_hours * 60 / pattern.headway_min
    assert pattern.demand is not None
    d = pattern.demand
    return math.ceil(d.per_year * d.peak_direction_share / 365 / d.load_per_train - 1e-9)


def peak_headway_min(pattern: Pattern) -> float:
    """The headway the fleet is sized for: the peak headway, else the trains a day spread evenly
    over the service hours."""
    if pattern.headway_min is not None:
        return pattern.headway_min
    return pattern.service_hours * 60 / trains_per_day(pattern)


@dataclass(frozen=True)
class PatternFleet:
    """The trainsets one pattern needs: ``trainsets`` with the reserve (for freight, trains of
    locomotives and wagons), and the vehicles they hold."""

    name: str
    traffic: str
    km: float
    run_h: float
    cycle_h: float
    headway_min: float
    trains_per_day: float
    in_service: int
    trainsets: int
    vehicles: dict[str, int]
    offpeak_headway_min: float | None = None
    train: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "train": self.train,
            "offpeak_headway_min": self.offpeak_headway_min,
            "traffic": self.traffic,
            "km": round(self.km, 1),
            "run_h": round(self.run_h, 2),
            "cycle_h": round(self.cycle_h, 2),
            "headway_min": round(self.headway_min, 1),
            "trains_per_day_each_way": round(self.trains_per_day, 1),
            "in_service": self.in_service,
            "trainsets": self.trainsets,
            "vehicles": dict(self.vehicles),
        }


@dataclass(frozen=True)
class LineFleet:
    """A line's fleet under one service plan over the km open: the sum of its patterns."""

    line_id: str
    name: str
    kind: LineKind
    from_year: int
    km: float
    basis: str
    patterns: tuple[PatternFleet, ...]
    published_trainsets: int | None = None
    published_what: str | None = None
    assumed: str | None = None
    sources: tuple[str, ...] = ()
    vehicles: dict[str, int] = field(default_factory=dict)

    @property
    def trainsets(self) -> int:
        return sum(p.trainsets for p in self.patterns)

    @property
    def passenger_trainsets(self) -> int:
        return sum(p.trainsets for p in self.patterns if p.traffic == "passenger")

    def to_dict(self) -> dict[str, object]:
        return {
            "line": self.line_id,
            "name": self.name,
            "from_year": self.from_year,
            "km": round(self.km, 2),
            "basis": self.basis,
            "trainsets": self.trainsets,
            "published_trainsets": self.published_trainsets,
            "published_what": self.published_what,
            "vehicles": dict(self.vehicles),
            "patterns": [p.to_dict() for p in self.patterns],
            "assumed": self.assumed,
            "source": list(self.sources),
        }


def pattern_fleet(
    kind: LineKind, pattern: Pattern, km: float, phase: ServicePhase, fleet: FleetFile
) -> PatternFleet:
    """The trainsets of one pattern over ``km`` (its own km if it names one)."""
    length = pattern.km or km
    headway = peak_headway_min(pattern)
    freight = pattern.traffic == "freight"
    turn = pattern.turnaround_min
    if turn is None:
        turn = fleet.turnaround_min.freight if freight else fleet.turnaround_min.passenger
    plan = PlanLine(
        id="pattern",
        name=pattern.name,
        phase=phase.from_year,
        length_km=length,
        lines=pattern.lines,
        run_min=pattern.run_min,
        speed_kmh=pattern.speed_kmh,
        headway_min=headway,
        service_hours=pattern.service_hours,
        units_per_train=pattern.units_per_train,
        turnaround_min=turn,
        source=phase.source,
        as_of=phase.as_of,
    )
    row = fleet_for_line(plan, turnaround_min=turn, reserve_share=fleet.reserve.share)
    vehicles: dict[str, int] = {}
    if freight:
        vehicles["locomotive"] = row.total * pattern.locomotives_per_train
        vehicles["wagon"] = row.total * pattern.wagons_per_train
    else:
        vehicles[_PASSENGER_CAR[kind]] = row.total * pattern.cars_per_unit
        if pattern.locomotives_per_train:
            vehicles["locomotive"] = row.total * pattern.locomotives_per_train
    if freight:
        train = f"{pattern.locomotives_per_train} locomotive(s) + {pattern.wagons_per_train} wagons"
    else:
        units = f"{pattern.units_per_train} x " if pattern.units_per_train > 1 else ""
        loco = f" + {pattern.locomotives_per_train} locomotive(s)" if pattern.locomotives_per_train else ""
        train = f"{units}{pattern.cars_per_unit} cars{loco}"
    return PatternFleet(
        name=pattern.name,
        offpeak_headway_min=pattern.offpeak_headway_min,
        train=train,
        traffic=pattern.traffic,
        km=length,
        run_h=plan.run_h,
        cycle_h=row.cycle_h,
        headway_min=headway,
        trains_per_day=trains_per_day(pattern),
        in_service=row.in_service,
        trainsets=row.total,
        vehicles=vehicles,
    )


def line_fleet(
    line: ProgrammeLine, year: int, fleet: FleetFile, *, plan_year: int | None = None
) -> LineFleet | None:
    """The fleet ``line`` needs in ``year`` (None before it opens or without a service plan),
    under the plan in force then, or in ``plan_year`` if that is earlier."""
    km = km_open(line, year)
    phase = phase_for(line, min(year, plan_year) if plan_year is not None else year)
    if phase is None or km <= 0:
        return None
    return _line_fleet(line, phase, km, fleet)


def _line_fleet(line: ProgrammeLine, phase: ServicePhase, km: float, fleet: FleetFile) -> LineFleet:
    patterns = tuple(pattern_fleet(line.kind, p, km, phase, fleet) for p in phase.patterns)
    vehicles = {t: sum(p.vehicles.get(t, 0) for p in patterns) for t in VEHICLE_TYPES}
    return LineFleet(
        line_id=line.id,
        name=line.name,
        kind=line.kind,
        from_year=phase.from_year,
        km=km,
        basis=phase.basis,
        patterns=patterns,
        published_trainsets=phase.published_trainsets,
        published_what=phase.published_what,
        assumed=phase.assumed,
        sources=tuple(phase.sources),
        vehicles={t: n for t, n in vehicles.items() if n},
    )


@dataclass(frozen=True)
class FleetCheck:
    """A modelled fleet against a published one: the line, the year and km it applies to."""

    line_id: str
    name: str
    year: int
    km: float
    modelled: int
    published: int
    published_what: str
    basis: str
    implied_headway_min: float | None

    @property
    def within_one(self) -> bool:
        return abs(self.modelled - self.published) <= 1

    def to_dict(self) -> dict[str, object]:
        return {
            "line": self.line_id,
            "name": self.name,
            "year": self.year,
            "km": round(self.km, 2),
            "modelled": self.modelled,
            "published": self.published,
            "published_what": self.published_what,
            "basis": self.basis,
            "within_one": self.within_one,
            "implied_peak_headway_min": None
            if self.implied_headway_min is None
            else round(self.implied_headway_min, 1),
        }


def implied_headway(target: int, lf: LineFleet, line: ProgrammeLine, fleet: FleetFile) -> float | None:
    """The peak headway (minutes, one-pattern plans) at which the plan would need ``target``
    trainsets with the reserve: what a published fleet says about the service behind it."""
    if len(lf.patterns) != 1:
        return None
    p = lf.patterns[0]
    pattern = next(x for x in _phase_of(line, lf.from_year).patterns if x.name == p.name)
    in_service = math.floor(target * (1 - fleet.reserve.share) + 1e-9)
    per_line = in_service / (pattern.units_per_train * pattern.lines)
    return p.cycle_h * 60 / per_line if per_line > 0 else None


def _phase_of(line: ProgrammeLine, from_year: int) -> ServicePhase:
    return next(ph for ph in line.service if ph.from_year == from_year)


def fleet_checks(lines: list[ProgrammeLine], fleet: FleetFile, *, last_year: int) -> list[FleetCheck]:
    """Each published fleet against the model, at the start of its plan and again wherever more
    of the line opens while the plan is in force (up to ``last_year``)."""
    out = []
    for line in lines:
        for i, phase in enumerate(line.service):
            if phase.published_trainsets is None:
                continue
            end = line.service[i + 1].from_year - 1 if i + 1 < len(line.service) else last_year
            years = [
                phase.from_year,
                *sorted({s.opens for s in line.sections if phase.from_year < s.opens <= end}),
            ]
            for year in years:
                lf = _line_fleet(line, phase, km_open(line, year), fleet)
                out.append(
                    FleetCheck(
                        line_id=line.id,
                        name=line.name,
                        year=year,
                        km=lf.km,
                        modelled=lf.trainsets,
                        published=phase.published_trainsets,
                        published_what=phase.published_what or "",
                        basis=phase.basis,
                        implied_headway_min=implied_headway(phase.published_trainsets, lf, line, fleet),
                    )
                )
    return out


@dataclass(frozen=True)
class Reconciliation:
    """Which service plan needs a published fleet: the fleet of each plan of the line, and the
    common headway of the opening plan's patterns at which the published fleet suffices."""

    line_id: str
    published: int
    published_what: str
    plans: tuple[LineFleet, ...]
    headway_for_published_min: float | None
    note: str
    demand_share_for_published: float | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "line": self.line_id,
            "published": self.published,
            "published_what": self.published_what,
            "plans": [
                {
                    "from_year": p.from_year,
                    "basis": p.basis,
                    "trainsets": p.trainsets,
                    "cars": sum(p.vehicles.values()),
                    "patterns": [x.to_dict() for x in p.patterns],
                    "assumed": p.assumed,
                }
                for p in self.plans
            ],
            "headway_for_published_min": self.headway_for_published_min,
            "demand_share_for_published": None
            if self.demand_share_for_published is None
            else round(self.demand_share_for_published, 3),
            "note": self.note,
        }


def reconcile(line: ProgrammeLine, published: int, what: str, fleet: FleetFile) -> Reconciliation:
    """Every plan of ``line`` with its fleet, and the common peak headway of the first plan's
    patterns at which ``published`` trainsets (with the reserve) are enough."""
    plans = tuple(_line_fleet(line, ph, line.km, fleet) for ph in line.service)
    first = plans[0] if plans else None
    best: float | None = None
    if first is not None:
        for tenth in range(50, 1201):  # 5 to 120 min in steps of 0.1
            h = tenth / 10
            in_service = sum(math.ceil(p.cycle_h * 60 / h - 1e-9) for p in first.patterns)
            if with_reserve(in_service, fleet.reserve.share) <= published:
                best = h
                break
    parts = [f"{p.from_year} plan ({p.basis}): {p.trainsets} trainsets" for p in plans]
    closest = min(plans, key=lambda p: abs(p.trainsets - published)) if plans else None
    note = "; ".join(parts)
    if closest is not None:
        note += (
            f". The {closest.from_year} plan ({closest.trainsets}) is the one closest to the published "
            f"{published}"
        )
    if best is not None and first is not None:
        names = " and ".join(p.name.split(" (")[0] for p in first.patterns)
        note += f"; {published} trainsets would run the {names} trains each every {best:g} min"
    share = demand_share_for(line, published, fleet)
    if share is not None:
        note += (
            f"; with the demand plan's patterns, {published} trainsets carry {share:.0%} of the published "
            "demand it is built on"
        )
    return Reconciliation(line.id, published, what, plans, best, note + ".", share)


def demand_share_for(line: ProgrammeLine, published: int, fleet: FleetFile) -> float | None:
    """The largest share of the demand behind ``line``'s demand-based plan (its last such plan)
    that ``published`` trainsets carry, every pattern's demand scaled alike (None without a
    demand-based plan)."""
    phase = next((ph for ph in reversed(line.service) if any(p.demand for p in ph.patterns)), None)
    if phase is None:
        return None

    def trainsets(scale: float) -> int:
        patterns = [
            p.model_copy(
                update={"demand": p.demand.model_copy(update={"per_year": p.demand.per_year * scale})}
            )
            if p.demand is not None
            else p
            for p in phase.patterns
        ]
        scaled = phase.model_copy(update={"patterns": patterns})
        return _line_fleet(line, scaled, line.km, fleet).trainsets

    lo, hi = 0.0, 1.0
    if trainsets(hi) <= published:
        return 1.0
    for _ in range(30):  # bisection on the share (the fleet grows with it)
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if trainsets(mid) <= published else (lo, mid)
    return lo
