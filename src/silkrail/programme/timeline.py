"""The programme over time: km in service by year, each line's cost (published, or the average
cost per km of its city's published phase), and investment spread over the construction years."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from silkrail.programme.schema import PhaseTotal, ProgrammeFile, ProgrammeLine
from silkrail.programme.service import km_open


@dataclass(frozen=True)
class Cost:
    """A cost in US$ and where it comes from: ``published`` or ``phase_average`` (the line's km
    at the average cost per km of its city's published phase)."""

    usd: float
    basis: str
    note: str = ""


def to_usd(programme: ProgrammeFile, *, usd: float | None = None, vnd: float | None = None) -> float | None:
    if usd is not None:
        return usd
    if vnd is not None:
        return vnd / programme.exchange_rate.vnd_per_usd
    return None


def phase_total_for(programme: ProgrammeFile, system: str, year: int) -> PhaseTotal | None:
    """The published phase of ``system`` that covers ``year`` (else the nearest one)."""
    phases = [p for p in programme.phase_totals if p.system == system]
    if not phases:
        return None
    for p in phases:
        if p.from_year <= year <= p.to_year:
            return p
    return min(phases, key=lambda p: min(abs(year - p.from_year), abs(year - p.to_year)))


def section_costs(programme: ProgrammeFile, line: ProgrammeLine) -> list[tuple[int, float, Cost]]:
    """(opening year, km, cost) of each part of ``line`` that opens on its own: published costs
    where given (a line's cost shared by km among sections without their own), else the km at the
    phase average cost per km."""
    parts = [(s.opens, s.km, to_usd(programme, usd=s.cost_usd, vnd=s.cost_vnd)) for s in line.sections] or [
        (line.opens, line.km, None)
    ]
    line_cost = to_usd(programme, usd=line.cost_usd, vnd=line.cost_vnd)
    own = sum(c for _, _, c in parts if c is not None)
    rest_km = sum(km for _, km, c in parts if c is None)
    out = []
    for opens, km, cost in parts:
        if cost is not None:
            out.append((opens, km, Cost(cost, "published")))
        elif line_cost is not None and rest_km > 0:
            out.append((opens, km, Cost(max(line_cost - own, 0.0) * km / rest_km, "published")))
        else:
            phase = phase_total_for(programme, line.system, opens)
            if phase is None:
                out.append((opens, km, Cost(0.0, "unknown", "no cost and no phase average published")))
                continue
            per_km = phase.cost_usd / phase.km
            out.append(
                (
                    opens,
                    km,
                    Cost(
                        per_km * km,
                        "phase_average",
                        f"{km:g} km at US${per_km / 1e6:,.0f} M/km "
                        f"({phase.system} {phase.from_year}-{phase.to_year})",
                    ),
                )
            )
    return out


def line_cost(programme: ProgrammeFile, line: ProgrammeLine) -> Cost:
    """The whole line's cost in US$ with its basis (mixed when parts differ)."""
    parts = section_costs(programme, line)
    bases = {c.basis for _, _, c in parts}
    basis = bases.pop() if len(bases) == 1 else "published+phase_average"
    notes = "; ".join(c.note for _, _, c in parts if c.note)
    return Cost(sum(c.usd for _, _, c in parts), basis, notes)


def build_years(programme: ProgrammeFile, line: ProgrammeLine, opens: int) -> range:
    """The years a part opening in ``opens`` is built: from the published start (or ``opens``
    less the kind's build years) to the year before it opens."""
    start = line.build_start if line.build_start is not None and line.build_start < opens else None
    if start is None:
        start = opens - programme.settings.build_years[line.kind]
    return range(start, max(opens, start + 1))


def investment_by_year(programme: ProgrammeFile) -> dict[str, dict[int, float]]:
    """US$ spent per year on each line, spread evenly over its parts' construction years."""
    out: dict[str, dict[int, float]] = {}
    for line in programme.lines:
        per_year: dict[int, float] = defaultdict(float)
        for opens, _km, cost in section_costs(programme, line):
            years = build_years(programme, line, opens)
            for y in years:
                per_year[y] += cost.usd / len(years)
        out[line.id] = dict(per_year)
    return out


@dataclass(frozen=True)
class YearFigures:
    """The network of the programme in one year: km in service by kind and by system, lines
    open, and investment that year (US$) by system."""

    year: int
    km_by_kind: dict[str, float]
    km_by_system: dict[str, float]
    lines_open: tuple[str, ...]
    investment_usd_by_system: dict[str, float]

    @property
    def km(self) -> float:
        return sum(self.km_by_kind.values())

    @property
    def investment_usd(self) -> float:
        return sum(self.investment_usd_by_system.values())

    def to_dict(self) -> dict[str, object]:
        return {
            "year": self.year,
            "km": round(self.km, 1),
            "km_by_kind": {k: round(v, 1) for k, v in self.km_by_kind.items()},
            "km_by_system": {k: round(v, 1) for k, v in self.km_by_system.items()},
            "lines_open": list(self.lines_open),
            "investment_usd": round(self.investment_usd),
            "investment_usd_by_system": {k: round(v) for k, v in self.investment_usd_by_system.items()},
        }


def timeline(programme: ProgrammeFile, years: range) -> list[YearFigures]:
    """Km in service and investment for each of ``years``."""
    invest = investment_by_year(programme)
    out = []
    for y in years:
        by_kind: dict[str, float] = defaultdict(float)
        by_system: dict[str, float] = defaultdict(float)
        spend: dict[str, float] = defaultdict(float)
        open_ids = []
        for line in programme.lines:
            km = km_open(line, y)
            if km > 0:
                by_kind[line.kind] += km
                by_system[line.system] += km
                open_ids.append(line.id)
            if invest[line.id].get(y):
                spend[line.system] += invest[line.id][y]
        out.append(YearFigures(y, dict(by_kind), dict(by_system), tuple(open_ids), dict(spend)))
    return out


@dataclass(frozen=True)
class PhaseComparison:
    """A published phase of a city programme against the lines modelled in it."""

    system: str
    from_year: int
    to_year: int
    published_km: float
    published_usd: float
    modelled_km: float
    modelled_usd: float
    named_km: float
    named_usd: float
    sources: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "system": self.system,
            "years": [self.from_year, self.to_year],
            "published_km": self.published_km,
            "published_usd": self.published_usd,
            "modelled_km": round(self.modelled_km, 1),
            "modelled_usd": round(self.modelled_usd),
            "named_lines_km": round(self.named_km, 1),
            "named_lines_usd": round(self.named_usd),
        }


def phase_comparison(programme: ProgrammeFile) -> list[PhaseComparison]:
    """Each published phase: its km and cost against the parts of lines opening in it (all, and
    the named lines alone)."""
    out = []
    for phase in programme.phase_totals:
        km = usd = named_km = named_usd = 0.0
        for line in programme.lines:
            if line.system != phase.system:
                continue
            for opens, part_km, cost in section_costs(programme, line):
                if phase.from_year <= opens <= phase.to_year:
                    km += part_km
                    usd += cost.usd
                    if not line.unnamed:
                        named_km += part_km
                        named_usd += cost.usd
        out.append(
            PhaseComparison(
                phase.system,
                phase.from_year,
                phase.to_year,
                phase.km,
                phase.cost_usd,
                km,
                usd,
                named_km,
                named_usd,
                tuple(phase.sources),
            )
        )
    return out
