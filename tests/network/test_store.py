"""Saving and loading: round trip, corrupt and stale caches are detected and rebuilt, and
several processes share one home."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from silkrail import cache
from silkrail.errors import CacheError
from silkrail.network.inputs import inputs_fingerprint
from silkrail.network.model import Network
from silkrail.network.store import load_network, load_network_file, network_path, save_network
from silkrail.settings import Settings
from tests.conftest import COUNTRIES_FILE, FIXTURES, REPO, fixture_settings


def test_round_trip_keeps_every_array_and_record(small_net: Network, tmp_path: Path) -> None:
    """What is saved is what is loaded: arrays equal, records equal."""
    path = save_network(small_net, tmp_path / "net.npz")
    back = load_network_file(path)
    for name in ("lat", "lon", "gauge", "u", "v", "km", "edge_gauge", "crossing", "geom_ptr", "geom_lat"):
        np.testing.assert_array_equal(getattr(back, name), getattr(small_net, name))
    assert back.names == small_net.names
    assert back.crossings == small_net.crossings
    assert back.summary() == small_net.summary()


@pytest.mark.parametrize("damage", ["truncate", "garbage", "flip-meta"])
def test_corrupt_cache_is_detected(small_net: Network, tmp_path: Path, damage: str) -> None:
    """A truncated, overwritten or tampered cache raises CacheError, never loads silently."""
    path = save_network(small_net, tmp_path / "net.npz")
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(b"not a network" * 100)
    else:
        i = data.find(b"Erenhot")
        path.write_bytes(data[:i] + b"Xrenhot" + data[i + 7 :])
    with pytest.raises(CacheError):
        load_network_file(path)


def test_load_network_builds_once_then_reads_the_cache(small_settings: Settings) -> None:
    """The first call builds and saves under SILKRAIL_HOME; the second reads the same file (a
    rebuild would have moved a new file into place) and marks it as used."""
    first = load_network(settings=small_settings, progress=False)
    digest, _ = inputs_fingerprint(small_settings)
    path = network_path(small_settings.home, digest)
    assert path.exists()
    inode = path.stat().st_ino
    _age(path, 2)
    second = load_network(settings=small_settings, progress=False)
    assert path.stat().st_ino == inode
    assert second.meta["built_at"] == first.meta["built_at"]
    assert time.time() - cache.last_used(path) < 3600


def test_a_build_reports_each_step_to_its_progress_callback(small_settings: Settings) -> None:
    """The library draws nothing: a front end's callback hears every step, then 'saving'."""
    from silkrail.network.store import BUILD_STEPS

    labels: list[str] = []
    load_network(settings=small_settings, progress=labels.append)
    assert len(labels) == BUILD_STEPS and labels[-1] == "saving"
    assert len(set(labels)) == len(labels)
    labels.clear()
    load_network(settings=small_settings, progress=labels.append)
    assert labels == []  # read from the cache: nothing to report


def test_corrupt_cache_is_rebuilt(small_settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    """load_network replaces a corrupt cache with a fresh build and says so."""
    load_network(settings=small_settings, progress=False)
    digest, _ = inputs_fingerprint(small_settings)
    path = network_path(small_settings.home, digest)
    path.write_bytes(path.read_bytes()[:1000])
    net = load_network(settings=small_settings, progress=False)
    assert net.meta["inputs_hash"] == digest
    assert load_network_file(path).meta["inputs_hash"] == digest
    assert "rebuilding" in caplog.text


def _age(path: Path, days: float) -> None:
    """Make a cache file and its lock file look unused for ``days``."""
    t = time.time() - days * 86400
    for p in (path, cache.lock_path(path)):
        if p.exists():
            os.utime(p, (t, t))


def _edited_copy(tmp_path: Path) -> Path:
    """A copy of the fixture data with one border dwell changed (so other inputs, other hash)."""
    data = tmp_path / "data"
    shutil.copytree(FIXTURES / "data", data)
    borders = data / "borders.yaml"
    borders.write_text(borders.read_text().replace("dwell_h: 9.1", "dwell_h: 12.5"))
    return data


def test_changed_input_makes_the_cache_stale(tmp_path: Path) -> None:
    """Editing a curated file changes the inputs hash and builds a new file; the old one stays
    while it may be in use, and goes once nobody has used it for longer than the stale age."""
    settings = fixture_settings(tmp_path / "home")
    old = load_network(settings=settings, progress=False)
    edited = fixture_settings(tmp_path / "home", _edited_copy(tmp_path))
    new = load_network(settings=edited, progress=False)
    assert new.meta["inputs_hash"] != old.meta["inputs_hash"]
    assert {c.id: c.dwell_h for c in new.crossings}["erenhot-zamyn-uud"] == 12.5
    old_path = network_path(settings.home, old.meta["inputs_hash"])
    new_path = network_path(settings.home, new.meta["inputs_hash"])
    assert sorted(settings.home.glob("network-*.npz")) == sorted([old_path, new_path])
    _age(old_path, cache.STALE_AFTER_S / 86400 + 1)
    load_network(settings=edited, progress=False, rebuild=True)
    assert list(settings.home.glob("network-*.npz")) == [new_path]
    assert not cache.lock_path(old_path).exists()


def test_another_networks_files_are_kept(tmp_path: Path) -> None:
    """Two data directories share one home: building and routing on one keeps the other's
    network and landmark files, and the other then loads its cache without rebuilding."""
    from silkrail.routing.graph import build_state_graph
    from silkrail.routing.landmarks import load_or_compute_landmarks

    home = tmp_path / "home"
    first, second = fixture_settings(home), fixture_settings(home, _edited_copy(tmp_path))
    net_a = load_network(settings=first, progress=False)
    load_or_compute_landmarks(build_state_graph(net_a), home, "rail")
    a_files = sorted(home.glob("*.npz"))
    assert len(a_files) == 2
    net_b = load_network(settings=second, progress=False)
    load_or_compute_landmarks(build_state_graph(net_b), home, "rail")
    assert net_b.meta["inputs_hash"] != net_a.meta["inputs_hash"]
    assert set(a_files) < set(home.glob("*.npz"))
    assert load_network(settings=first, progress=False).meta["built_at"] == net_a.meta["built_at"]


SHARED_HOME_SCRIPT = """
import json, sys
from pathlib import Path
from silkrail.network.store import load_network
from silkrail.routing.graph import build_state_graph
from silkrail.routing.landmarks import load_or_compute_landmarks
from tests.conftest import fixture_settings

settings = fixture_settings(Path(sys.argv[1]))
net = load_network(settings=settings, progress=False)
graph = build_state_graph(net)
marks = [load_or_compute_landmarks(graph, settings.home, m) for m in ("any", "rail")]
print(json.dumps({"built_at": net.meta["built_at"], "build_seconds": net.meta["build_seconds"],
                  "landmarks": [m.states.tolist() for m in marks],
                  "bounds": [float(m.dist[0].sum()) for m in marks]}))
"""


def _child_env(home: Path) -> dict[str, str]:
    """The environment of a child process that runs the silkrail under test on ``home``."""
    import silkrail

    src = Path(silkrail.__file__).resolve().parents[1]
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(src), str(REPO)]),
        "SILKRAIL_HOME": str(home),
        "SILKRAIL_COUNTRIES_FILE": str(COUNTRIES_FILE),
    }


def _run_together(commands: list[list[str]], home: Path) -> list[subprocess.CompletedProcess[str]]:
    """Start every command at once on the same home and wait for all of them."""
    procs = [
        subprocess.Popen(
            c, cwd=REPO, env=_child_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for c in commands
    ]
    done = []
    for c, p in zip(commands, procs, strict=True):
        stdout, stderr = p.communicate()
        done.append(subprocess.CompletedProcess(c, p.returncode, stdout, stderr))
    return done


def _assert_no_leftovers(home: Path) -> None:
    assert not [p.name for p in home.iterdir() if p.name.endswith(".tmp")]


def test_two_processes_share_an_empty_home(tmp_path: Path) -> None:
    """Two processes load the fixture network and its landmarks from one empty home at the
    same time: both succeed, one build serves both (same build stamp), and the home holds one
    network, one landmark file per mode and no temporary files."""
    home = tmp_path / "home"
    runs = _run_together([[sys.executable, "-c", SHARED_HOME_SCRIPT, str(home)]] * 2, home)
    for r in runs:
        assert r.returncode == 0, r.stderr
    assert json.loads(runs[0].stdout) == json.loads(runs[1].stdout)
    assert len(list(home.glob("network-*.npz"))) == 1
    assert len(list(home.glob("landmarks-*.npz"))) == 2
    _assert_no_leftovers(home)


@pytest.mark.integration
def test_two_processes_route_on_one_empty_home(tmp_path: Path) -> None:
    """``silkrail route Hanoi Moscow --json`` run twice at once on an empty home: the real
    network is built and its landmarks computed while the other process waits, and both
    print the same route."""
    home = tmp_path / "home"
    command = [sys.executable, "-m", "silkrail.cli", "route", "Hanoi", "Moscow", "--json"]
    runs = _run_together([command, command], home)
    for r in runs:
        assert r.returncode == 0, r.stderr
    first, second = (json.loads(r.stdout) for r in runs)
    assert first == second
    assert first["origin"]["name"] == "Hanoi" and first["destination"]["name"] == "Moscow"
    assert first["legs"]
    assert len(list(home.glob("network-*.npz"))) == 1
    _assert_no_leftovers(home)


def test_the_cache_key_follows_content_not_paths_or_times(tmp_path: Path) -> None:
    """Two copies of the same inputs (another virtualenv, a container) at other paths and with
    other modification times have one inputs hash, so they share one cache; a changed byte
    gives another."""
    from silkrail.network.inputs import inputs_fingerprint

    def copy(where: Path, age_s: float) -> Settings:
        where.mkdir()
        for name in ("rail_small.py", "sea_small.geojson", "ports_small.geojson"):
            shutil.copy(FIXTURES / name, where / name)
        shutil.copytree(FIXTURES / "data", where / "data")
        t = time.time() - age_s
        for p in where.rglob("*"):
            os.utime(p, (t, t))
        return fixture_settings(tmp_path / "home", where / "data").with_(
            rail_file=where / "rail_small.py",
            sea_file=where / "sea_small.geojson",
            ports_file=where / "ports_small.geojson",
        )

    one, two = copy(tmp_path / "one", 0), copy(tmp_path / "two", 86400 * 30)
    assert inputs_fingerprint(one)[0] == inputs_fingerprint(two)[0]
    rail = two.rail_file
    assert rail is not None
    rail.write_text(rail.read_text().replace("43.51", "43.52", 1))
    assert inputs_fingerprint(one)[0] != inputs_fingerprint(two)[0]
