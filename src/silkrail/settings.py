"""Paths and defaults, read from the environment (prefix ``SILKRAIL_``) when asked, never at import.

A plain frozen dataclass rather than pydantic-settings: loading a built network must stay
well under 300 ms, and importing pydantic-settings alone costs about 200 ms here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from typing import Any

_PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGED_OUTLINES = _PACKAGE_DIR / "data" / "outlines" / "countries-land-1km.geo.json.gz"
"""The country outlines shipped with the package (OpenStreetMap, ODbL; see its README)."""
ENV_PREFIX = "SILKRAIL_"


def _default_home() -> Path:
    """The platform's cache directory for silkrail (``~/.cache/silkrail`` on Linux, following
    ``XDG_CACHE_HOME``; ``~/Library/Caches/silkrail`` on macOS; ``%LOCALAPPDATA%\\silkrail\\Cache``
    on Windows). Every installation of the same data shares it: its files are keyed on content."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("silkrail", appauthor=False))


@dataclass(frozen=True)
class Settings:
    """silkrail's settings; each field can be set as ``SILKRAIL_<FIELD>`` in the environment.

    home: cache and state directory. countries_file: GeoJSON country outlines, plain or
    gzipped (default: the outlines shipped with the package). data_dir: the curated YAML. rail_file, sea_file,
    ports_file: raw sources (default: the compact copies shipped with the package, see
    :mod:`silkrail.network.packed`). today: the
    reference date that says which lines are open when no year is asked for (``YYYY-MM-DD``;
    default: the current date)."""

    home: Path = field(default_factory=_default_home)
    countries_file: Path | None = None
    data_dir: Path = _PACKAGE_DIR / "data"
    rail_file: Path | None = None
    sea_file: Path | None = None
    ports_file: Path | None = None
    today: date | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "today":
                continue
            if isinstance(value, str):
                object.__setattr__(self, f.name, Path(value).expanduser() if value else None)

    def reference_date(self) -> date:
        """'Today' for silkrail: the setting, else the current date."""
        return self.today or date.today()

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    def resolve_countries_file(self) -> Path | None:
        """The country outlines file: the setting, else the one shipped with the package."""
        if self.countries_file is not None:
            return self.countries_file
        return PACKAGED_OUTLINES if PACKAGED_OUTLINES.is_file() else None


def get_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Read the settings now: ``SILKRAIL_*`` environment variables, then explicit overrides."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in fields(Settings):
        raw = env.get(ENV_PREFIX + f.name.upper())
        if raw and f.name == "today":
            values[f.name] = _parse_date(raw)
        elif raw:
            values[f.name] = Path(raw).expanduser()
    values.update(overrides)
    return Settings(**values)


def _parse_date(raw: str) -> date:
    from silkrail.errors import DataError

    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise DataError(f"'{raw}' is not a date; give YYYY-MM-DD", field=f"{ENV_PREFIX}TODAY") from None


def reference_year() -> int:
    """The year of 'today' (``SILKRAIL_TODAY``, else the current date): which lines are open
    when a query names no year. Reads that one setting, not the whole record (a route asks for
    it on every query)."""
    raw = os.environ.get(ENV_PREFIX + "TODAY")
    return (_parse_date(raw) if raw else date.today()).year
