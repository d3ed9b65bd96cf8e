"""Fleet sizing: the trainsets a timetable needs, and those a planned service pattern needs.

For a timetable, the trips of each circulation (services joined by their terminals) are laid out
over a period (two weeks, so alternate-day trains repeat), each trip holding its trainset from its
departure until it has turned round at the far end. The trainsets needed are those under way at
the start of the period plus, at each terminal, the largest shortfall of trainsets ready against
departures over the period (the deficit function of Ceder, "Public Transit Planning and
Operation", ch. 5): exact for a periodic timetable when any trainset may take any departure from
where it stands. One-way services (no return in the timetable) are given an empty return of the
same length. A maintenance reserve, a share of the whole fleet, comes on top.

For a planned line run at a headway, the same count is the classic cycle formula: a train needs
two runs and two turnarounds to come back, so ceil(cycle / headway) trainsets are under way."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from silkrail.network.loader import Sourced, validate_file
from silkrail.routing.json_types import JsonObject
from silkrail.timetable.feed import Feed, Trip

PERIOD_DAYS = 14


class ReserveRecord(Sourced):
    share: float = Field(ge=0, lt=1)
    note: str | None = None


class TurnaroundRecord(Sourced):
    passenger: float = Field(ge=0, le=24 * 60)
    freight: float = Field(ge=0, le=7 * 24 * 60)


class CompareRecord(Sourced):
    trainsets: int = Field(gt=0)
    what: str


class PlanLine(Sourced):
    id: str
    name: str
    phase: int = Field(ge=1900, le=2100)
    length_km: float = Field(gt=0)
    run_min: float | None = Field(default=None, gt=0)
    speed_kmh: float | None = Field(default=None, gt=0)
    lines: int = Field(default=1, ge=1, le=100)
    headway_min: float = Field(gt=0)
    service_hours: float = Field(gt=0, le=24)
    units_per_train: int = Field(default=1, ge=1, le=4)
    turnaround_min: float | None = Field(default=None, ge=0)
    compare_trainsets: int | None = Field(default=None, gt=0)
    assumed: str | None = None

    @model_validator(mode="after")
    def _running_time(self) -> PlanLine:
        if (self.run_min is None) == (self.speed_kmh is None):
            raise ValueError("give the end-to-end running time (run_min) or a commercial speed (speed_kmh)")
        return self

    @property
    def run_h(self) -> float:
        """End-to-end running time of one line."""
        if self.run_min is not None:
            return self.run_min / 60
        assert self.speed_kmh is not None
        return self.length_km / self.lines / self.speed_kmh


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    compare: CompareRecord | None = None
    lines: list[PlanLine] = Field(min_length=1)


class FleetFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reserve: ReserveRecord
    turnaround_min: TurnaroundRecord
    plans: list[Plan] = []


def load_fleet_data(path: Path | None = None) -> FleetFile:
    from silkrail.settings import get_settings

    parsed, _ = validate_file(Path(path) if path else Path(get_settings().data_dir) / "fleet.yaml", FleetFile)
    return parsed


def with_reserve(in_service: int, share: float) -> int:
    """The whole fleet when ``share`` of it is held back: in service / (1 - share), rounded up."""
    return math.ceil(in_service / (1 - share) - 1e-9)


@dataclass(frozen=True)
class FleetRow:
    """Trainsets of one circulation (timetable) or one planned line."""

    name: str
    services: tuple[str, ...]
    trips_per_week: float
    cycle_h: float  # a trainset's mean time from one departure to its next
    in_service: int
    total: int
    phase: int | None = None
    note: str = ""
    compare: int | None = None

    def to_dict(self) -> JsonObject:
        return {
            "name": self.name,
            "services": list(self.services),
            "phase": self.phase,
            "trips_per_week": round(self.trips_per_week, 1),
            "cycle_h": round(self.cycle_h, 2),
            "in_service": self.in_service,
            "with_reserve": self.total,
            "published": self.compare,
            "note": self.note,
        }


# -- a timetable -------------------------------------------------------------------------------


def _groups(feed: Feed) -> list[list[Trip]]:
    """Trips joined into circulations: two trips of the same traffic and the same operator
    (agency) share trainsets when they share a terminal (a frequency-based service counts its
    week of sailings). Trains of different operators never share sets: China Railway's
    Nanning-Yen Vien container train is not the FESCO shuttle's, though both end at Yen Vien;
    services that name one ``trainsets`` pool (with its source) share it across operators."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    from silkrail.timetable.export import sailings

    trips = [s for t in feed.trips if len(t.timed) >= 2 for s in sailings(t)]

    def key(t: Trip, stop: str) -> str:  # passenger and freight sets are not interchangeable,
        svc = feed.service_by_id[t.service]  # nor are two operators' sets, unless a source pools them
        return f"{svc.traffic}:{svc.trainsets or svc.agency}:{stop}"

    for t in trips:
        a, b = find(key(t, t.timed[0].stop)), find(key(t, t.timed[-1].stop))
        parent[a] = b
    groups: dict[str, list[Trip]] = defaultdict(list)
    for t in trips:
        groups[find(key(t, t.timed[0].stop))].append(t)
    return list(groups.values())


def fleet_for_feed(
    feed: Feed,
    *,
    turnaround_s: dict[str, float],
    reserve_share: float,
    start: dt.date | None = None,
) -> list[FleetRow]:
    """Trainsets per circulation of ``feed`` over the two weeks from the first Monday on or after
    ``start`` (default: a week after the feed's first day, when every calendar has begun)."""
    day0 = start or ((feed.start + dt.timedelta(days=7)) if feed.start else dt.date(2026, 1, 5))
    day0 += dt.timedelta(days=(7 - day0.weekday()) % 7)
    rows = []
    for trips in _groups(feed):
        rows.append(_circulation(feed, trips, day0, turnaround_s, reserve_share))
    return sorted(rows, key=lambda r: -r.total)


def _circulation(
    feed: Feed, trips: list[Trip], day0: dt.date, turnaround_s: dict[str, float], share: float
) -> FleetRow:
    period = PERIOD_DAYS * 86400.0
    t0 = feed.service_day_start(day0)
    events: dict[str, list[tuple[float, int]]] = defaultdict(list)
    under_way = 0
    n_trips = 0
    busy = 0.0
    one_way = False
    ends = {(t.timed[0].stop, t.timed[-1].stop) for t in trips}
    for t in trips:
        svc = feed.service_by_id[t.service]
        turn = turnaround_s.get(svc.traffic, 0.0)
        first, last = t.timed[0].stop, t.timed[-1].stop
        back = (last, first) not in ends  # no return in the timetable: an empty one
        one_way = one_way or back
        hold = t.duration_s + turn + ((t.duration_s + turn) if back else 0)
        home = first if back else last
        for k in range(PERIOD_DAYS):
            day = day0 + dt.timedelta(days=k)
            if not t.calendar.runs(day):
                continue
            dep = feed.service_day_start(day) - t0 + (t.timed[0].departure_s or 0)
            dep_mod = dep % period
            n_trips += 1
            busy += hold
            under_way += int((dep_mod + hold) // period)  # periods it spans past the start
            events[first].append((dep_mod, -1))
            events[home].append(((dep_mod + hold) % period, +1))
    waiting = 0
    for evs in events.values():
        level = low = 0
        for _, change in sorted(evs, key=lambda e: (e[0], -e[1])):
            level += change
            low = min(low, level)
        waiting += -low
    in_service = under_way + waiting
    names = tuple(sorted({feed.service_by_id[t.service].short_name or t.service for t in trips}))
    weeks = PERIOD_DAYS / 7
    return FleetRow(
        name=" / ".join(names),
        services=tuple(sorted({t.service for t in trips})),
        trips_per_week=n_trips / weeks,
        cycle_h=(in_service * period / n_trips / 3600) if n_trips else 0.0,
        in_service=in_service,
        total=with_reserve(in_service, share),
        note="one-way in the timetable: an empty return of the same length assumed" if one_way else "",
    )


# -- a planned service pattern ---------------------------------------------------------------


def fleet_for_line(line: PlanLine, *, turnaround_min: float, reserve_share: float) -> FleetRow:
    """Trainsets for ``line``: per line, ceil((2 run + 2 turnaround) / headway) under way at the
    peak headway, times the units coupled per train, plus the reserve."""
    turn = (line.turnaround_min if line.turnaround_min is not None else turnaround_min) / 60
    cycle = 2 * line.run_h + 2 * turn
    per_line = math.ceil(cycle / (line.headway_min / 60) - 1e-9) * line.units_per_train
    in_service = per_line * line.lines
    trips = 2 * line.lines * line.service_hours * 60 / line.headway_min * 7
    return FleetRow(
        name=line.name,
        services=(line.id,),
        trips_per_week=trips,
        cycle_h=cycle,
        in_service=in_service,
        total=with_reserve(in_service, reserve_share),
        phase=line.phase,
        note=line.assumed or "",
        compare=line.compare_trainsets,
    )


def fleet_for_plan(plan: Plan, data: FleetFile) -> list[FleetRow]:
    return [
        fleet_for_line(line, turnaround_min=data.turnaround_min.passenger, reserve_share=data.reserve.share)
        for line in plan.lines
    ]


def by_phase(rows: list[FleetRow]) -> list[tuple[int, int, int]]:
    """(year, trainsets added, trainsets in all) for each phase of a plan, in order."""
    years = sorted({r.phase for r in rows if r.phase is not None})
    out = []
    total = 0
    for y in years:
        added = sum(r.total for r in rows if r.phase == y)
        total += added
        out.append((y, added, total))
    return out


def headway_for(target_total: int, line: PlanLine, *, turnaround_min: float, reserve_share: float) -> float:
    """The headway (minutes) at which ``line`` would need ``target_total`` trainsets: what a
    published fleet implies about the service pattern behind it."""
    in_service = target_total * (1 - reserve_share) / line.units_per_train / line.lines
    turn = (line.turnaround_min if line.turnaround_min is not None else turnaround_min) / 60
    return (2 * line.run_h + 2 * turn) / in_service * 60


def plan_timetable(line: PlanLine, *, start: dt.date, end: dt.date) -> Feed:
    """The planned line as a timetable (one line, both directions at the headway over the service
    hours, every day): the fleet of its timetable must equal the cycle formula's."""
    from silkrail.timetable.feed import Agency, Calendar, Service, Stop, StopTime

    run = round(line.run_h * 3600)
    step = round(line.headway_min * 60)
    n = int(line.service_hours * 3600 // step)
    trips = []
    for direction, (a, b) in enumerate((("a", "b"), ("b", "a"))):
        for k in range(n):
            dep = 5 * 3600 + k * step
            trips.append(
                Trip(
                    f"{line.id}-{direction}-{k}",
                    line.id,
                    Calendar(start, end),
                    (StopTime(a, dep, dep), StopTime(b, dep + run, dep + run)),
                )
            )
    return Feed(
        timezone="Etc/UTC",
        agencies=(Agency("plan", line.name, "", "Etc/UTC"),),
        stops=(Stop("a", "A", 0.0, 0.0, "Etc/UTC"), Stop("b", "B", 0.0, 0.1, "Etc/UTC")),
        services=(Service(line.id, "plan", line.id, line.name, "passenger"),),
        trips=tuple(trips),
        start=start,
        end=end,
    )


def write_phase_chart(rows: list[FleetRow], path: Path, *, title: str) -> Path:
    """A bar chart of trainsets by phase year (added and cumulative)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    phases = by_phase(rows)
    fig, ax = plt.subplots(figsize=(7, 4))
    years = [str(y) for y, _, _ in phases]
    ax.bar(years, [t for _, _, t in phases], color="#9ecae1", label="trainsets in all (with reserve)")
    ax.bar(years, [a for _, a, _ in phases], color="#3182bd", label="added in the phase")
    for i, (_, _, t) in enumerate(phases):
        ax.text(i, t, str(t), ha="center", va="bottom")
    ax.set_ylabel("trainsets")
    ax.set_title(title)
    ax.legend(loc="upper left")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


@dataclass(frozen=True)
class FleetReport:
    title: str
    rows: list[FleetRow]
    phases: list[tuple[int, int, int]]
    notes: list[str]

    def to_dict(self) -> JsonObject:
        return {
            "title": self.title,
            "rows": [r.to_dict() for r in self.rows],
            "phases": [{"year": y, "added": a, "total": t} for y, a, t in self.phases],
            "notes": self.notes,
        }


def fleet_report(target: str, *, data: FleetFile | None = None) -> FleetReport:
    """The fleet for ``target``: ``corridors`` (the package's services), a GTFS zip, or the id of
    a plan in fleet.yaml."""
    from silkrail.errors import DataError

    data = data or load_fleet_data()
    share = data.reserve.share
    reserve_note = f"reserve: {share:.0%} of the fleet held back ({data.reserve.sources[0].split(',')[0]} …)"
    turn = {"passenger": data.turnaround_min.passenger * 60, "freight": data.turnaround_min.freight * 60}
    plans = {p.id: p for p in data.plans}
    if target in plans:
        plan = plans[target]
        rows = fleet_for_plan(plan, data)
        notes = [reserve_note] + [f"{r.name}: {r.note}" for r in rows if r.note]
        if plan.compare is not None:
            total = sum(r.total for r in rows)
            line = plan.lines[0]
            h = headway_for(
                plan.compare.trainsets,
                line,
                turnaround_min=data.turnaround_min.passenger,
                reserve_share=share,
            )
            notes.append(
                f"published: {plan.compare.trainsets} ({plan.compare.what}); this pattern needs {total}. "
                f"{plan.compare.trainsets} trainsets would run '{line.name}' every {h:.1f} min each way with "
                f"single units, every {h * 2:.1f} min with pairs coupled: the published fleet implies far "
                "more or longer trains than this pattern, or regional services besides the through trains"
            )
        return FleetReport(plan.name, rows, by_phase(rows), notes)
    if target == "corridors":
        from silkrail.timetable.services import load_services

        feed, title = load_services(), "corridor services"
    elif target.lower().endswith(".zip") or Path(target).is_dir():
        from silkrail.timetable.gtfs_import import read_gtfs

        feed, title = read_gtfs(Path(target)), Path(target).name
    else:
        raise DataError(
            f"'{target}' is not a timetable or a plan; give 'corridors', a GTFS zip, or one of "
            + ", ".join(sorted(plans)),
            field="target",
        )
    rows = fleet_for_feed(feed, turnaround_s=turn, reserve_share=share)
    notes = [
        reserve_note,
        f"turnaround: {data.turnaround_min.passenger:g} min passenger, "
        f"{data.turnaround_min.freight:g} min freight",
    ]
    return FleetReport(title, rows, [], notes)
