"""The package on its own: a wheel installed into a fresh virtualenv, away from the checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).parent.parent

pytestmark = pytest.mark.integration


def test_a_wheel_in_a_fresh_virtualenv_builds_and_routes(tmp_path: Path) -> None:
    """pip install of the built wheel alone (no web/ folder, no npm, run from elsewhere) gives a
    library that builds the network from its own package data and routes Hanoi -> Moscow."""
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(REPO)],
        check=True,
        capture_output=True,
    )
    wheel = next(dist.glob("silkrail-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "silkrail/data/outlines/countries-land-1km.geo.json.gz" in names
    assert "silkrail/data/borders.yaml" in names
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", str(wheel)], check=True, capture_output=True)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SILKRAIL_") and k != "PYTHONPATH"}
    env["SILKRAIL_HOME"] = str(tmp_path / "home")
    out = subprocess.run(
        [str(env_dir / "bin" / "silkrail"), "route", "Hanoi", "Moscow", "--mode", "rail", "--json"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    route = json.loads(out.stdout)
    assert route["countries"][0] == "VN" and route["countries"][-1] == "RU"
    where = subprocess.run(
        [str(py), "-c", "import silkrail, sys; print(silkrail.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(env_dir) in where.stdout  # the installed copy, not the checkout
