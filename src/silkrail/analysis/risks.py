"""Security and sanctions statements about countries, each as its source states it.

Declared once here (pydantic) and loaded through the curated data's validating loader, so a bad
record is refused with its file, line and field. A statement is shown beside the routes that
cross its country; nothing is scored, and a country without a record has no statement (which
says nothing about its risk).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from silkrail.network.loader import Country, Sourced, Strict, check_country, validate_file

DATA_FILE = "risks.yaml"
RiskKind = Literal["sanctions", "security"]


class _RiskRecord(Sourced):
    country: Country
    kind: RiskKind
    statement: str = Field(min_length=10, max_length=600)

    _c = field_validator("country")(check_country)


class _RisksFile(Strict):
    risks: list[_RiskRecord] = Field(max_length=500)


@dataclass(frozen=True)
class RiskNote:
    """What a source states about a country's security or sanctions, with the source."""

    country: str
    kind: RiskKind
    statement: str
    sources: tuple[str, ...]
    as_of: str

    def to_dict(self) -> dict[str, object]:
        return {
            "country": self.country,
            "kind": self.kind,
            "statement": self.statement,
            "source": list(self.sources),
            "as_of": self.as_of,
        }


def load_risks(path: Path | None = None) -> tuple[RiskNote, ...]:
    """The statements of ``path`` (default: the package's ``risks.yaml``), in file order; a bad
    record raises DataError naming the file, line and field."""
    if path is None:
        return _packaged()
    return _load(Path(path))


@cache
def _packaged() -> tuple[RiskNote, ...]:
    from silkrail.settings import get_settings

    return _load(get_settings().data_dir / DATA_FILE)


def _load(path: Path) -> tuple[RiskNote, ...]:
    parsed, _ = validate_file(path, _RisksFile)
    f: _RisksFile = parsed
    return tuple(
        RiskNote(r.country, r.kind, " ".join(r.statement.split()), tuple(r.sources), r.as_of) for r in f.risks
    )


def risks_for(countries: list[str] | tuple[str, ...], notes: tuple[RiskNote, ...]) -> list[RiskNote]:
    """The statements about ``countries``, in the order the countries are given."""
    return [n for c in dict.fromkeys(countries) for n in notes if n.country == c]
