"""Paths and defaults, read from the environment (prefix ``SILKRAIL_``) when asked, never at import."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

_PACKAGE_DIR = Path(__file__).resolve().parent
_COUNTRIES_REL = Path("node_modules/@geo-maps/countries-land-1km/map.geo.json")


def _default_home() -> Path:
    return Path.home() / ".cache" / "silkrail"


class Settings(BaseSettings):
    """silkrail's settings; each field can be set as ``SILKRAIL_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="SILKRAIL_", extra="ignore")

    home: Path = Field(default_factory=_default_home, description="cache and state directory")
    countries_file: Path | None = Field(
        default=None,
        description="GeoJSON country outlines (npm @geo-maps/countries-land-1km map.geo.json)",
    )
    data_dir: Path = Field(default=_PACKAGE_DIR / "data", description="curated YAML data")
    rail_file: Path | None = Field(
        default=None, description="rail graph in scgraph-data's format (default: the installed one)"
    )
    sea_file: Path | None = Field(default=None, description="maritime network GeoJSON (default: searoute's)")
    ports_file: Path | None = Field(default=None, description="ports GeoJSON (default: searoute's)")

    def resolve_countries_file(self) -> Path | None:
        """The country outlines file: the setting, else the copy the Makefile installs in web/."""
        if self.countries_file is not None:
            return self.countries_file
        for base in (Path.cwd() / "web", _PACKAGE_DIR.parent.parent / "web"):
            candidate = base / _COUNTRIES_REL
            if candidate.is_file():
                return candidate
        return None


def get_settings(**overrides: object) -> Settings:
    """Read the settings now (environment plus explicit overrides)."""
    return Settings(**overrides)  # type: ignore[arg-type]
