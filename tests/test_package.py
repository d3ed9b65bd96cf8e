"""The package surface: no work at import, the public API, the CLI's contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from silkrail.cli import app
from tests.conftest import FIXTURES

runner = CliRunner()


def test_import_does_no_work() -> None:
    """Importing silkrail loads no numpy, scipy or network and reads no settings."""
    heavy = "('numpy', 'scipy', 'shapely', 'numba', 'silkrail.network.build')"
    code = f"import sys, silkrail; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_api() -> None:
    """load_network and the error tree are exported; leaves subclass builtins."""
    import silkrail

    assert callable(silkrail.load_network)
    assert issubclass(silkrail.UnknownPlaceError, LookupError)
    assert issubclass(silkrail.DataError, ValueError)
    assert set(silkrail.__all__) >= {"load_network", "Network", "DataError", "NoRouteError"}


@pytest.fixture
def fixture_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from tests.conftest import COUNTRIES_FILE

    monkeypatch.setenv("SILKRAIL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SILKRAIL_DATA_DIR", str(FIXTURES / "data"))
    monkeypatch.setenv("SILKRAIL_RAIL_FILE", str(FIXTURES / "rail_small.py"))
    monkeypatch.setenv("SILKRAIL_SEA_FILE", str(FIXTURES / "sea_small.geojson"))
    monkeypatch.setenv("SILKRAIL_PORTS_FILE", str(FIXTURES / "ports_small.geojson"))
    monkeypatch.setenv("SILKRAIL_COUNTRIES_FILE", str(COUNTRIES_FILE))
    return tmp_path


def test_network_info_json_has_the_contract_keys(fixture_env: Path) -> None:
    """info --json: nodes, edges, km by gauge (mm as strings), km by ISO country, crossings, ports, hash."""
    result = runner.invoke(app, ["network", "info", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert {
        "nodes",
        "edges",
        "rail_km_by_gauge",
        "rail_km_by_country",
        "crossings",
        "ports",
        "inputs_hash",
    } <= info.keys()
    assert set(info["rail_km_by_gauge"]) == {"1000", "1435", "1520"}
    assert set(info["rail_km_by_country"]) == {"VN", "TH", "CN", "MN"}
    assert len(info["inputs_hash"]) == 64


def test_validate_exits_non_zero_on_errors(fixture_env: Path) -> None:
    """The fixture's unsnapped crossing is an error: the table names it and the exit code is 1."""
    result = runner.invoke(app, ["network", "validate"])
    assert result.exit_code == 1
    assert "does not snap" in result.stdout
    assert "manzhouli-zabaykalsk" in result.stdout


def test_validate_reports_a_bad_data_file_without_a_traceback(
    fixture_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A schema error is a row of the problems table with file and line."""
    import shutil

    data = fixture_env / "data"
    shutil.copytree(FIXTURES / "data", data)
    (data / "factors.yaml").write_text(
        (data / "factors.yaml").read_text().replace("speed_knots: 16", "speed_knots: -16")
    )
    monkeypatch.setenv("SILKRAIL_DATA_DIR", str(data))
    result = runner.invoke(app, ["network", "validate"])
    assert result.exit_code == 1
    assert "factors.yaml" in result.stdout and "Traceback" not in result.stdout


def test_export_writes_geojson_with_attribution(fixture_env: Path) -> None:
    """export FILE.geojson: rail lines with gauge and country, crossings and ports, OSM credit."""
    target = fixture_env / "net.geojson"
    result = runner.invoke(app, ["network", "export", str(target)])
    assert result.exit_code == 0, result.output
    fc = json.loads(target.read_text())
    assert "OpenStreetMap contributors" in fc["properties"]["attribution"]
    kinds = {f["properties"].get("feature", f["properties"].get("kind")) for f in fc["features"]}
    assert {"rail", "border", "crossing", "port"} <= kinds
    border = next(f for f in fc["features"] if f["properties"].get("kind") == "border")
    assert border["properties"]["crossing"] == "Erenhot–Zamyn-Uud"


def test_export_refuses_a_non_geojson_name(fixture_env: Path) -> None:
    """A wrong file name is bad input: exit 2 with one sentence."""
    result = runner.invoke(app, ["network", "export", str(fixture_env / "net.shp")])
    assert result.exit_code == 2
    assert "GeoJSON" in result.output


def test_settings_come_from_the_environment(tmp_path: Path) -> None:
    """SILKRAIL_* variables set the paths; explicit overrides win."""
    from silkrail.settings import get_settings

    s = get_settings({"SILKRAIL_HOME": str(tmp_path / "h"), "SILKRAIL_DATA_DIR": str(tmp_path / "d")})
    assert s.home == tmp_path / "h" and s.data_dir == tmp_path / "d"
    assert get_settings({"SILKRAIL_HOME": "/x"}, home=tmp_path).home == tmp_path
    assert s.rail_file is None


def test_serve_refuses_a_busy_port_and_bad_settings_before_any_work(fixture_env: Path) -> None:
    """A port in use, a bad --workers or SILKRAIL_INGEST_PROCESSES: one sentence, exit 2, and
    nothing started (no network loaded, no database created)."""
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(app, ["serve", "--port", str(port)])
    assert result.exit_code == 2 and f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["serve", "--workers", "99"])
    assert result.exit_code == 2 and "give 0 to 64 ingest processes" in result.output
    result = runner.invoke(app, ["serve"], env={"SILKRAIL_INGEST_PROCESSES": "two"})
    assert result.exit_code == 2 and "SILKRAIL_INGEST_PROCESSES" in result.output
    assert not list(fixture_env.rglob("tracking.sqlite")) and not list(fixture_env.rglob("network-*"))
