"""The lowest versions pyproject.toml allows, as a pip constraints file: ``python tests/floors.py``.

``make test`` installs them into .venv-lowest and runs the unit tier there, so a floor is a
version the code was tested on, not a guess."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

EXTRAS = ("service", "fast", "viz", "dist", "postgres", "frames")  # what the library imports; dev tools stay current


def floor_constraints(pyproject: Path, extras: tuple[str, ...] = EXTRAS) -> list[str]:
    """``name==floor`` for every requirement of the core and ``extras`` that has a floor
    (``>=`` or ``==``); extras of a requirement are dropped (pip constraints take none)."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    reqs = list(project["dependencies"])
    for extra in extras:
        reqs += project["optional-dependencies"][extra]
    out = {}
    for req in reqs:
        m = re.match(r"\s*([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*(?:>=|==)\s*([0-9][^,;\s]*)", req)
        if m:
            out[m.group(1).lower()] = f"{m.group(1).lower()}=={m.group(2)}"
    return sorted(out.values())


if __name__ == "__main__":
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent.parent / "pyproject.toml"
    print("\n".join(floor_constraints(path)))
