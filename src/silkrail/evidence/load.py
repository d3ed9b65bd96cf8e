"""The evidence base: the published figures of ``data/evidence/``, loaded and checked as a whole.

Each file is validated by its schema (a bad record names its file, line and field); across the
files every figure's id is unique. :func:`load_evidence` gives one :class:`Evidence` with the
figures, the crossing figures and the dated sea index, and where each figure is written (so that
a figure whose place does not resolve can be named with its file and line).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from silkrail.errors import DataError
from silkrail.evidence.schema import (
    DATA_DIR,
    CrossingFigure,
    CrossingsFile,
    Figure,
    FiguresFile,
    SeaRate,
    line_of,
    load_cached,
)

FIGURE_FILES = ("times.yaml", "timetables.yaml", "lengths.yaml", "rates.yaml")
"""The files of figures: freight transit times, passenger timetables, railway distances, rates."""
CROSSINGS_FILE = "crossings.yaml"


def evidence_dir(directory: Path | None = None) -> Path:
    return Path(directory) if directory else DATA_DIR / "evidence"


@dataclass(frozen=True)
class Evidence:
    """The evidence base: every figure, the crossing figures, the dated sea index, and the
    content digest of each file (for fitted.yaml's provenance)."""

    figures: tuple[Figure, ...]
    crossings: tuple[CrossingFigure, ...]
    sea_index: tuple[SeaRate, ...]
    digests: dict[str, str]
    directory: Path
    where: dict[str, tuple[str, int]] = field(default_factory=dict)  # figure id -> (file, index)

    def line(self, figure_id: str, key: str = "id") -> tuple[str, int | None]:
        """(file name, line) of a figure's field, for messages about it."""
        name, index = self.where[figure_id]
        return name, line_of(self.directory / name, "figures", index, key)

    def counts(self) -> dict[str, int]:
        """How many figures there are of each quantity and traffic type."""
        c = Counter(f"{f.quantity}:{f.traffic}" for f in self.figures)
        return dict(sorted(c.items()))


def load_evidence(directory: Path | None = None) -> Evidence:
    """Every file of the evidence base, validated; a duplicate id raises :class:`DataError`
    naming the file and line of the second one."""
    d = evidence_dir(directory)
    figures: list[Figure] = []
    sea: list[SeaRate] = []
    where: dict[str, tuple[str, int]] = {}
    digests: dict[str, str] = {}
    for name in FIGURE_FILES:
        path = d / name
        if not path.is_file():
            continue
        digests[name] = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        parsed: FiguresFile = load_cached(path, "figures")
        for i, fig in enumerate(parsed.figures):
            if fig.id in where:
                first = where[fig.id][0]
                raise DataError(
                    f"duplicate figure id '{fig.id}' (first in {first}); give each figure its own id",
                    file=name,
                    line=line_of(path, "figures", i, "id"),
                    field=f"figures[{i}].id",
                )
            where[fig.id] = (name, i)
            figures.append(fig)
        sea += parsed.sea_index
    crossings: tuple[CrossingFigure, ...] = ()
    path = d / CROSSINGS_FILE
    if path.is_file():
        digests[CROSSINGS_FILE] = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        parsed_c: CrossingsFile = load_cached(path, "crossings")
        crossings = tuple(parsed_c.crossings)
    return Evidence(tuple(figures), crossings, tuple(sea), digests, d, where)


def published_count(ev: Evidence) -> int:
    """How many published figures the base holds: figures, crossing figures and sea index dates."""
    return len(ev.figures) + len(ev.crossings) + len(ev.sea_index)


__all__ = ["CROSSINGS_FILE", "FIGURE_FILES", "Evidence", "evidence_dir", "load_evidence", "published_count"]
