"""Saving and loading: round trip, corrupt and stale caches are detected and rebuilt."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from silkrail.errors import CacheError
from silkrail.network.inputs import inputs_fingerprint
from silkrail.network.model import Network
from silkrail.network.store import load_network, load_network_file, network_path, save_network
from silkrail.settings import Settings
from tests.conftest import FIXTURES, fixture_settings


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
    """The first call builds and saves under SILKRAIL_HOME; the second reads the same file."""
    first = load_network(settings=small_settings, progress=False)
    digest, _ = inputs_fingerprint(small_settings)
    path = network_path(small_settings.home, digest)
    assert path.exists()
    mtime = path.stat().st_mtime_ns
    second = load_network(settings=small_settings, progress=False)
    assert path.stat().st_mtime_ns == mtime
    assert second.meta["built_at"] == first.meta["built_at"]


def test_corrupt_cache_is_rebuilt(small_settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    """load_network replaces a corrupt cache with a fresh build and says so."""
    load_network(settings=small_settings, progress=False)
    digest, _ = inputs_fingerprint(small_settings)
    path = network_path(small_settings.home, digest)
    path.write_bytes(path.read_bytes()[:1000])
    net = load_network(settings=small_settings, progress=False)
    assert net.meta["inputs_hash"] == digest
    assert load_network_file(path).meta["inputs_hash"] == digest
    assert "rebuilding" in capsys.readouterr().err


def test_changed_input_makes_the_cache_stale(tmp_path: Path) -> None:
    """Editing a curated file changes the inputs hash: a new build replaces the old file."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(FIXTURES / "data", data)
    settings = fixture_settings(tmp_path / "home", data)
    old = load_network(settings=settings, progress=False)
    borders = data / "borders.yaml"
    borders.write_text(borders.read_text().replace("dwell_h: 9.1", "dwell_h: 12.5"))
    new = load_network(settings=settings, progress=False)
    assert new.meta["inputs_hash"] != old.meta["inputs_hash"]
    assert {c["id"]: c["dwell_h"] for c in new.crossings}["erenhot-zamyn-uud"] == 12.5
    assert [p.name for p in settings.home.glob("network-*.npz")] == [
        network_path(settings.home, new.meta["inputs_hash"]).name
    ]
