"""Flow sets for the resilience analysis: the services of a scenario, or an OD file.

An OD file is CSV with a header: ``origin,destination,teu_per_year`` and optionally ``mode``
(rail, sea or any; default rail), ``via`` (crossing ids joined by '+') and ``name``. A bad row
raises DataError naming the file, the row's line and the field."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, replace
from pathlib import Path

from silkrail.errors import DataError

WEEKS_PER_YEAR = 365.0 / 7.0
MAX_FLOWS = 100_000
REQUIRED = ("origin", "destination", "teu_per_year")
OPTIONAL = ("mode", "via", "name")


@dataclass(frozen=True)
class Flow:
    """A yearly flow between two places; ``where`` says where it was written. A freight flow
    carries ``teu_per_year``; a passenger service carries no TEU, only ``trains_per_year``
    (counted apart in the resilience analysis)."""

    name: str
    origin: str
    destination: str
    teu_per_year: float
    mode: str = "rail"
    via: tuple[str, ...] = ()
    where: str = ""
    traffic: str = "freight"  # freight | passenger
    trains_per_year: float = 0.0

    @property
    def passenger(self) -> bool:
        return self.traffic == "passenger"


def load_flows(
    spec: str | Path, *, mode: str | None = None, select: list[str] | None = None, keep_via: bool = True
) -> list[Flow]:
    """The flows of ``spec``: a CSV OD file, else a scenario (file or shipped name). ``mode``
    overrides each flow's mode; ``select`` keeps the flows whose name contains one of its texts;
    ``keep_via=False`` lets every flow take its best route (no via crossings)."""
    path = Path(spec)
    flows = _read_csv(path) if path.suffix.lower() == ".csv" else _from_scenario(spec)
    if not flows:
        raise DataError("the flow set is empty; give at least one flow", file=path.name)
    if select:
        names = [f.name for f in flows]
        flows = [f for f in flows if any(t.lower() in f.name.lower() for t in select)]
        if not flows:
            raise DataError(
                f"no flow's name contains {' or '.join(repr(t) for t in select)}; flows: {', '.join(names)}",
                file=path.name,
                field="select",
            )
    if mode is not None or not keep_via:
        flows = [replace(f, mode=mode or f.mode, via=f.via if keep_via else ()) for f in flows]
    return flows


def _from_scenario(spec: str | Path) -> list[Flow]:
    """A scenario's services as yearly flows by rail (trains a week x TEU a train x weeks; a
    passenger service as trains a year, no TEU), with the scenario's changes to a service's
    trains a week or scale applied; a service that runs a timetable trip as its trip runs."""
    from silkrail.simulation.scenario import load_scenario, service_ends

    scenario, _ = load_scenario(spec)
    weekly: dict[str, float] = {}
    scale: dict[str, float] = {}
    for ch in scenario.changes:  # the scenario's changes to its services' volumes
        if ch.service and ch.trains_per_week:
            weekly[ch.service] = ch.trains_per_week
        if ch.service and ch.scale:
            scale[ch.service] = ch.scale
    out = []
    for s in scenario.services:
        ends = service_ends(s)
        per_week = weekly.get(s.name, ends.per_week) * scale.get(s.name, 1.0)
        passenger = ends.traffic == "passenger"  # a passenger train carries no TEU
        out.append(
            Flow(
                s.name,
                ends.origin,
                ends.destination,
                0.0 if passenger else per_week * s.teu * WEEKS_PER_YEAR,
                "rail",
                ends.via,
                f"{scenario.files[-1]}: service '{s.name}'",
                ends.traffic,
                per_week * WEEKS_PER_YEAR,
            )
        )
    return out


def _read_csv(path: Path) -> list[Flow]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise DataError(f"cannot read the flow file ({exc.strerror})", file=str(path)) from None
    except UnicodeDecodeError:
        raise DataError("the flow file is not UTF-8 text", file=path.name) from None
    reader = csv.DictReader(text.splitlines())
    head = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in head]
    if missing:
        raise DataError(
            f"the header lacks {', '.join(missing)}; columns: {', '.join(REQUIRED + OPTIONAL)}",
            file=path.name,
            line=1,
        )
    unknown = [h for h in head if h not in REQUIRED + OPTIONAL]
    if unknown:
        raise DataError(
            f"unknown column {', '.join(unknown)}; columns: {', '.join(REQUIRED + OPTIONAL)}",
            file=path.name,
            line=1,
        )
    flows = []
    for i, row in enumerate(reader):
        line = reader.line_num
        if i >= MAX_FLOWS:
            raise DataError(f"more than {MAX_FLOWS:,} flows; split the file", file=path.name, line=line)
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
        flows.append(_row(row, path.name, line, i))
    return flows


def _row(row: dict[str, str], file: str, line: int, i: int) -> Flow:
    for col in ("origin", "destination"):
        if not row.get(col):
            raise DataError(f"row {i + 1} has no {col}; name a place", file=file, line=line, field=col)
    raw = row.get("teu_per_year", "")
    try:
        teu = float(raw)
    except ValueError:
        raise DataError(
            f"'{raw}' is not a number of TEU a year", file=file, line=line, field="teu_per_year"
        ) from None
    if not math.isfinite(teu) or teu < 0:
        raise DataError(
            f"{raw} TEU a year: a volume must be a finite number >= 0",
            file=file,
            line=line,
            field="teu_per_year",
        )
    mode = row.get("mode") or "rail"
    if mode not in ("rail", "sea", "any"):
        raise DataError(f"'{mode}' is not a mode; use rail, sea or any", file=file, line=line, field="mode")
    via = tuple(v.strip() for v in (row.get("via") or "").split("+") if v.strip())
    name = row.get("name") or f"{row['origin']} → {row['destination']}"
    return Flow(name, row["origin"], row["destination"], teu, mode, via, f"{file} line {line}")
