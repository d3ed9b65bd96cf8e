"""The package on its own: a wheel installed into a fresh virtualenv, away from the checkout."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).parent.parent

pytestmark = pytest.mark.integration


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_wheel_in_a_fresh_virtualenv_builds_routes_and_serves(tmp_path: Path) -> None:
    """pip install of the built wheel alone (no web/ folder, no npm, run from elsewhere) gives a
    library that builds the network from its own package data and routes Hanoi -> Moscow; serve
    names the extra it needs, and with the ``service`` extra serves the dashboard, every asset
    its page names and the country outlines its map draws."""
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
    static = "silkrail/service/static/"
    for name in ("index.html", "app.js", "style.css", "docs.html", "docs.js", "vendor/README.md"):
        assert static + name in names, name
    for lib, files in {
        "leaflet": ("leaflet.js", "leaflet.css"),
        "swagger-ui": ("swagger-ui-bundle.js",),
    }.items():
        for name in (*files, "LICENSE"):
            assert f"{static}vendor/{lib}/{name}" in names, (lib, name)
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    # nothing of the checkout on the path: pip would take its egg-info for an installed silkrail
    env = {k: v for k, v in os.environ.items() if not k.startswith("SILKRAIL_") and k != "PYTHONPATH"}
    env["SILKRAIL_HOME"] = str(tmp_path / "home")
    subprocess.run(
        [str(py), "-m", "pip", "install", "--quiet", str(wheel)], env=env, check=True, capture_output=True
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
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
    silkrail = str(env_dir / "bin" / "silkrail")
    port = _free_port()
    env["SILKRAIL_API_TOKEN"] = "wheel-test-token-0123456789abcdef0123456789"
    bare = subprocess.run(
        [silkrail, "serve", "--port", str(port)], cwd=work, env=env, capture_output=True, text=True
    )
    assert bare.returncode == 1 and "pip install 'silkrail[service]'" in bare.stderr, bare.stderr[-2000:]
    subprocess.run(
        [str(py), "-m", "pip", "install", "--quiet", f"{wheel}[service]"],
        env=env,
        check=True,
        capture_output=True,
    )
    db = f"sqlite:///{tmp_path / 'tracking.sqlite'}"
    with open(tmp_path / "serve.log", "wb") as log:
        server = subprocess.Popen(
            [silkrail, "serve", "--db", db, "--port", str(port), "--workers", "0"],
            cwd=work,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(600):
                assert server.poll() is None, (tmp_path / "serve.log").read_text()[-2000:]
                try:
                    if _get(base + "/health")[0] == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.5)
            status, page = _get(base + "/")
            assert status == 200 and b'id="map"' in page
            assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.decode())
            assert "/static/vendor/leaflet/leaflet.js" in assets
            docs = _get(base + "/docs")[1].decode()
            assets += re.findall(r'(?:src|href)="(/static/[^"]+)"', docs)
            assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in assets
            for asset in assets:
                assert _get(base + asset)[0] == 200, asset
            status, body = _get(base + "/api/v1/outlines")
            assert status == 200
            codes = {f["properties"]["code"] for f in json.loads(body)["features"]}
            assert {"VN", "CN", "KZ", "RU", "DE"} <= codes
        finally:
            server.terminate()
            server.wait(timeout=30)
