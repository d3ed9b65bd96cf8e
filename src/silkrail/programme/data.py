"""Loading a national programme file with file:line errors, and checking it against the network's
curated lines (a programme line that joins the network must open in the same year and have about
the same length as its ``lines.yaml`` record)."""

from __future__ import annotations

from pathlib import Path

from silkrail.errors import DataError
from silkrail.network.loader import validate_file
from silkrail.programme.schema import ProgrammeFile

PROGRAMMES = {"vietnam": "programme-vietnam.yaml"}
"""The programmes shipped with silkrail, by the name the command takes."""

LENGTH_TOLERANCE = 0.05
"""How far a programme line's km may be from its lines.yaml length (share)."""


def programme_path(name: str, *, data_dir: Path | None = None) -> Path:
    """The file of programme ``name`` in ``data_dir`` (default: the package data)."""
    from silkrail.settings import get_settings

    key = name.strip().lower()
    if key not in PROGRAMMES:
        raise DataError(
            f"no programme '{name}'; silkrail has: {', '.join(sorted(PROGRAMMES))}", field="programme"
        )
    return Path(data_dir or get_settings().data_dir) / PROGRAMMES[key]


def load_programme(
    name: str = "vietnam", *, path: Path | None = None, data_dir: Path | None = None
) -> ProgrammeFile:
    """The programme ``name`` (or the file at ``path``), validated: a bad field raises
    :class:`DataError` with the file, the line and the field; lines that join the network are
    checked against ``lines.yaml`` in the same data directory."""
    from silkrail.settings import get_settings

    file = Path(path) if path is not None else programme_path(name, data_dir=data_dir)
    parsed, doc = validate_file(file, ProgrammeFile)
    _check_unique_ids(parsed, doc, file.name)
    lines_dir = Path(data_dir) if data_dir is not None else (file.parent if path else get_settings().data_dir)
    lines_file = lines_dir / "lines.yaml"
    if lines_file.is_file():
        check_network_lines(parsed, doc, file.name, lines_file)
    return parsed


def _field_line(doc: object, index: int, field: str) -> int | None:
    """The YAML line of field ``field`` of the programme's line ``index``."""
    from silkrail.network.loader import locate

    return locate(doc, ("lines", index, field))[0]


def _check_unique_ids(parsed: ProgrammeFile, doc: object, filename: str) -> None:
    seen: dict[str, int] = {}
    for i, line in enumerate(parsed.lines):
        if line.id in seen:
            raise DataError(
                f"duplicate line id '{line.id}' (first at line {seen[line.id]})",
                file=filename,
                line=_field_line(doc, i, "id"),
                field=f"lines[{i}].id",
            )
        seen[line.id] = _field_line(doc, i, "id") or 0


def check_network_lines(parsed: ProgrammeFile, doc: object, filename: str, lines_file: Path) -> None:
    """Every ``network_line`` names a record of ``lines.yaml`` with the same opening year and a
    length within 5 %: the programme and the routable network tell one story."""
    from silkrail.network.curated import load_file

    network = {line.id: line for line in load_file(lines_file).lines}
    for i, line in enumerate(parsed.lines):
        if line.network_line is None:
            continue
        where_line, where_field = _field_line(doc, i, "network_line"), f"lines[{i}].network_line"
        rec = network.get(line.network_line)
        if rec is None:
            raise DataError(
                f"line '{line.id}': network_line '{line.network_line}' is not in lines.yaml",
                file=filename,
                line=where_line,
                field=where_field,
            )
        if rec.opening_year != line.opens:
            raise DataError(
                f"line '{line.id}' opens in {line.opens} but lines.yaml '{rec.id}' opens in "
                f"{rec.opening_year}; make them agree",
                file=filename,
                line=where_line,
                field=where_field,
            )
        if abs(rec.length_km - line.km) > LENGTH_TOLERANCE * line.km:
            raise DataError(
                f"line '{line.id}' is {line.km:g} km but lines.yaml '{rec.id}' is {rec.length_km:g} km "
                f"(more than {LENGTH_TOLERANCE:.0%} apart)",
                file=filename,
                line=where_line,
                field=where_field,
            )
        if rec.gauge_mm != line.gauge_mm:
            raise DataError(
                f"line '{line.id}' is {line.gauge_mm} mm but lines.yaml '{rec.id}' is {rec.gauge_mm} mm",
                file=filename,
                line=where_line,
                field=where_field,
            )
