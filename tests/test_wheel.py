"""The package on its own, as it ships: the Dockerfile's commands run in fresh virtualenvs, the
core install alone, the cache shared between virtualenvs, the service on PostgreSQL as
compose.yaml runs it, and the sdist.

No container engine runs here, so the container recipe is checked in two ways: linters (hadolint
for the Dockerfile, the Compose specification's schema for compose.yaml: unit tier) and its
commands run in fresh virtualenvs (integration tier): the wheel stage's RUN lines in a build
context holding only what the Dockerfile copies, the final stage's RUN lines that install and
prepare silkrail (the user and directory set-up is the container's own), then its CMD with
compose.yaml's database option, against a throwaway PostgreSQL server."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
import venv
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).parent.parent
TOOLS = REPO / ".venv-tools" / "bin"
CORE_LIMIT_MB = 300


@dataclass
class Stage:
    name: str
    workdir: str = "/"
    env: dict[str, str] = field(default_factory=dict)
    copies: list[tuple[str | None, list[str], str]] = field(default_factory=list)  # (from stage, sources, dest)
    runs: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    healthcheck: list[str] = field(default_factory=list)


def dockerfile_stages(path: Path = REPO / "Dockerfile") -> list[Stage]:
    """The Dockerfile's stages with their WORKDIR, ENV, COPY, RUN, CMD and HEALTHCHECK."""
    text = re.sub(r"\\\n", " ", path.read_text())
    stages: list[Stage] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "FROM":
            stages.append(Stage(rest.split(" AS ")[-1].strip() if " AS " in rest else str(len(stages))))
            continue
        stage = stages[-1]
        if word == "WORKDIR":
            stage.workdir = rest.strip()
        elif word == "ENV":
            stage.env.update(dict(p.split("=", 1) for p in shlex.split(rest)))
        elif word == "COPY":
            args = shlex.split(rest)
            source = next((a.split("=", 1)[1] for a in args if a.startswith("--from=")), None)
            args = [a for a in args if not a.startswith("--")]
            stage.copies.append((source, args[:-1], args[-1]))
        elif word == "RUN":
            stage.runs.append(rest.strip())
        elif word == "CMD":
            stage.cmd = json.loads(rest)
        elif word == "HEALTHCHECK":
            stage.healthcheck = json.loads(rest[rest.index("CMD") + 3 :])
    return stages


def _run_in(root: Path, command: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """A RUN line in bash, with the container's absolute paths under ``root``."""
    for where in ("/dist", "/var/cache/silkrail", "/src"):
        command = re.sub(rf"(?<![\w/]){re.escape(where)}(?=[/\s]|$)", str(root) + where, command)
    out = subprocess.run(["bash", "-ec", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=1800)
    assert out.returncode == 0, f"{command}\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}"
    return out


def _fresh_env(env_dir: Path, home: Path) -> dict[str, str]:
    venv.create(env_dir, with_pip=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SILKRAIL_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env['PATH']}"
    env["SILKRAIL_HOME"] = str(home)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


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


def _site_packages_mb(env_dir: Path) -> float:
    site = next((env_dir / "lib").glob("python3*/site-packages"))
    return sum(p.stat().st_size for p in site.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


def _networks(home: Path) -> dict[str, int]:
    return {p.name: p.stat().st_ino for p in home.glob("network-*.npz")}


# -- the recipe, linted (unit tier) ----------------------------------------------------------


def test_the_dockerfile_passes_hadolint() -> None:
    """hadolint at its strictest threshold finds nothing in the Dockerfile."""
    out = subprocess.run(
        [str(TOOLS / "hadolint"), "--failure-threshold", "style", str(REPO / "Dockerfile")],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_compose_yaml_follows_the_compose_specification() -> None:
    """compose.yaml validates against the Compose specification's schema; the service runs the
    Dockerfile's command with the database option, needs its secrets from the environment, and
    waits for a healthy PostgreSQL."""
    out = subprocess.run(
        [str(TOOLS / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(REPO / "compose.yaml")],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    service, db = compose["services"]["service"], compose["services"]["db"]
    command = list(service["command"])
    i = command.index("--db")
    assert command[i + 1].startswith("postgresql://silkrail:${POSTGRES_PASSWORD}@db:5432/")
    assert command[:i] + command[i + 2 :] == dockerfile_stages()[-1].cmd
    assert service["depends_on"]["db"]["condition"] == "service_healthy" and "pg_isready" in str(db["healthcheck"])
    assert "${SILKRAIL_API_TOKEN:?" in service["environment"]["SILKRAIL_API_TOKEN"]
    assert "/var/cache/silkrail" in service["volumes"][0] and dockerfile_stages()[-1].env["SILKRAIL_HOME"] == "/var/cache/silkrail"


# -- the recipe, run (integration tier) ------------------------------------------------------


@pytest.mark.integration
def test_the_dockerfiles_commands_install_route_share_the_cache_and_serve(
    real_net, real_settings, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    """The Dockerfile, stage by stage, in fresh virtualenvs:
    1. the wheel stage builds the wheel from a context holding only what the Dockerfile copies;
    2. the wheel alone (the core install) is under 300 MB of site-packages, has no numba, and
       routes Hanoi -> Moscow from a home where this test session's virtualenv built the network:
       it reuses that network (a second virtualenv shares the first one's cache) and gives the
       same route;
    3. the final stage's commands install the extras and prepare the network on the same cache
       (as compose.yaml's cache volume holds it): read, not rebuilt;
    4. the CMD, with compose.yaml's --db, serves on PostgreSQL: health, readiness, the
       dashboard and every asset it names, the country outlines; the HEALTHCHECK passes."""
    from silkrail.routing.query import RouteQuery
    from silkrail.routing.router import router_for
    from silkrail.timetable.answer import answer_route
    from silkrail.tracking.devdb import create_database, postgres_cluster

    builder, final = dockerfile_stages()
    root = tmp_path / "root"
    # 1. the wheel stage, in a context of what it copies
    context = root / builder.workdir.lstrip("/")
    for _, sources, dest in builder.copies:
        for src in sources:
            target = context / dest / (Path(src).name if dest.endswith("/") else "")
            if (REPO / src).is_dir():
                shutil.copytree(REPO / src, target, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(REPO / src, target)
    env = _fresh_env(tmp_path / "builder", tmp_path / "unused-home")
    for command in builder.runs:
        _run_in(root, command, env, context)
    wheel = next((root / "dist").glob("silkrail-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for name in ("silkrail/data/sources/world-railways.npz", "silkrail/data/sources/cities5000.tsv.xz",
                 "silkrail/data/outlines/countries-land-1km.geo.json.gz", "silkrail/service/static/index.html"):
        assert name in names, name
    meta = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-File: LICENSE" in meta and "Classifier: Typing :: Typed" in meta and "Project-URL: Changelog" in meta

    # 2. the core install alone, on the session's cache
    env_dir = tmp_path / "venv"
    env = _fresh_env(env_dir, real_settings.home)
    subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
                   env=env, check=True, capture_output=True, timeout=1800)
    core_mb = _site_packages_mb(env_dir)
    print(f"core install: {core_mb:.0f} MB of site-packages")
    assert core_mb <= CORE_LIMIT_MB, f"the core install is {core_mb:.0f} MB"
    py = str(env_dir / "bin" / "python")
    assert subprocess.run([py, "-c", "import numba"], env=env, capture_output=True).returncode != 0
    before = _networks(real_settings.home)
    assert before, "the session's network is missing"
    work = tmp_path / "elsewhere"
    work.mkdir()
    out = subprocess.run([str(env_dir / "bin" / "silkrail"), "route", "Hanoi", "Moscow", "--mode", "rail", "--json"],
                         cwd=work, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert _networks(real_settings.home) == before  # read, not rebuilt
    assert "building" not in out.stderr.lower()
    route = json.loads(out.stdout)
    # the command's default answer: the service that runs the trip (FESCO's), the model's own beside it
    mine = answer_route(router_for(real_net, home=real_settings.home), RouteQuery("Hanoi", "Moscow", mode="rail"))
    assert route["countries"] == mine.countries and route["distance_km"] == pytest.approx(mine.distance_km, abs=0.05)
    assert route["duration_h"] == pytest.approx(mine.duration_h, abs=0.05)
    where = subprocess.run([py, "-c", "import silkrail; print(silkrail.__file__, silkrail.__version__)"],
                           cwd=work, env=env, capture_output=True, text=True, check=True)
    assert str(env_dir) in where.stdout  # the installed copy, not the checkout
    bare = subprocess.run([str(env_dir / "bin" / "silkrail"), "serve", "--port", str(_free_port())],
                          cwd=work, env={**env, "SILKRAIL_API_TOKEN": "x" * 40}, capture_output=True, text=True)
    assert bare.returncode == 1 and "pip install 'silkrail[service]'" in bare.stderr, bare.stderr[-2000:]

    # 3. the final stage: the extras, then the network and routing tables, in a cache that
    # already holds them (compose.yaml mounts the cache as a volume): read, not rebuilt
    assert any(src == builder.name for src, _, _ in final.copies)
    for command in final.runs:
        if command.split()[0] in ("python", "pip", "silkrail"):  # not the user and directory set-up
            _run_in(root, command, env, work)
    assert _networks(real_settings.home) == before

    # 4. the CMD with compose.yaml's database option, on PostgreSQL
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())["services"]["service"]["command"]
    port = _free_port()
    with postgres_cluster() as cluster:
        db = create_database(cluster.url, "wheel_test")
        argv = [db if a.startswith("postgresql://") else a for a in compose]
        argv[argv.index("--host") + 1] = "127.0.0.1"
        argv[argv.index("--port") + 1] = str(port)
        env["SILKRAIL_API_TOKEN"] = "wheel-test-token-0123456789abcdef0123456789"
        with open(tmp_path / "serve.log", "wb") as log:
            server = subprocess.Popen(argv, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
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
                assert _get(base + "/ready")[0] == 200
                status, page = _get(base + "/")
                assert status == 200 and b'id="map"' in page
                assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.decode())
                assert "/static/vendor/leaflet/leaflet.js" in assets
                for asset in assets:
                    assert _get(base + asset)[0] == 200, asset
                status, body = _get(base + "/api/v1/outlines")
                assert status == 200
                assert {"VN", "CN", "KZ", "RU", "DE"} <= {f["properties"]["code"] for f in json.loads(body)["features"]}
                probe = [a.replace(":8000/", f":{port}/") for a in final.healthcheck]
                assert subprocess.run(probe, env=env, timeout=60).returncode == 0
            finally:
                server.terminate()
                server.wait(timeout=60)


@pytest.mark.integration
def test_the_sdist_builds_a_wheel_and_runs_its_tests(tmp_path: Path) -> None:
    """python -m build makes the sdist and, from it, the wheel; twine finds both fit to publish;
    the sdist holds every test file, fixture, benchmark, script and example of the checkout, the
    licence and the changelog; and its own tests run from it (the packaged-data checks)."""
    dist = tmp_path / "dist"
    out = subprocess.run([str(TOOLS / "python"), "-m", "build", "--outdir", str(dist), str(REPO)],
                         capture_output=True, text=True, timeout=1800)
    assert out.returncode == 0, out.stderr[-3000:]
    sdist, wheel = next(dist.glob("silkrail-*.tar.gz")), next(dist.glob("silkrail-*.whl"))
    check = subprocess.run([str(TOOLS / "twine"), "check", "--strict", str(sdist), str(wheel)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    with tarfile.open(sdist) as t:
        t.extractall(tmp_path / "x", filter="data")
        top = tmp_path / "x" / sdist.name.removesuffix(".tar.gz")
    tracked = subprocess.run(["git", "ls-files", "tests", "bench", "scripts", "examples"], cwd=REPO,
                             capture_output=True, text=True, check=True).stdout.split()
    missing = [p for p in tracked if not (top / p).exists()]
    assert not missing, missing[:20]
    for name in ("LICENSE", "CHANGELOG.md", "Makefile", "Dockerfile", "compose.yaml", "src/silkrail/py.typed"):
        assert (top / name).is_file(), name
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(top / "src")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not integration",
         "tests/network/test_packed.py", "tests/test_cache.py"],
        cwd=top, env=env, capture_output=True, text=True, timeout=900,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    assert re.search(r"\d+ passed", run.stdout)
    where = subprocess.run([sys.executable, "-c", "import silkrail; print(silkrail.__file__)"],
                           cwd=top, env=env, capture_output=True, text=True)
    assert where.stdout.startswith(str(top / "src"))  # the tests ran the sdist's code
