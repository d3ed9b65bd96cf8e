"""A client generated from the service's own /openapi.json by openapi-python-client (from PyPI)
creates a train and posts events with it against a real service process (the generated client's
own HTTP and bearer header); the API then shows what was written. A document that
omits a body, or declares another error shape than the service answers, fails here."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.service.conftest import TOKEN, position
from tests.service.server import running

pytestmark = pytest.mark.integration  # the train is routed on the real network
T0 = datetime.now(UTC) - timedelta(days=1)


@pytest.fixture(scope="module")
def live(real_net, real_settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    db = f"sqlite:///{tmp_path_factory.mktemp('generated') / 'tracking.sqlite'}"
    with running(real_settings.home, db, TOKEN, real_settings.countries_file) as url:
        yield url


GENERATOR = Path(__file__).parents[2] / ".venv-tools" / "bin" / "openapi-python-client"
"""The generator lives in a virtualenv of its own (``make install``): its pins must not choose the
versions silkrail is tested with."""


@pytest.fixture(scope="module")
def generated(live: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The package generated from the service's /openapi.json, importable as ``silkrail_api``."""
    where = tmp_path_factory.mktemp("generated-client")
    spec = where / "openapi.json"
    spec.write_text(httpx.get(f"{live}/openapi.json", timeout=30).text)
    bin_dir = str(Path(sys.executable).parent)  # the generator formats its output with ruff
    generator = Path(os.environ.get("SILKRAIL_OPENAPI_GENERATOR", GENERATOR))
    if not generator.is_file():
        pytest.fail(f"the client generator {generator} is missing: 'make install' installs it")
    result = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(spec),
            "--meta",
            "none",
            "--output-path",
            str(where / "silkrail_api"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(where))
    try:
        yield "silkrail_api"
    finally:
        sys.path.remove(str(where))
        for name in [m for m in sys.modules if m == "silkrail_api" or m.startswith("silkrail_api.")]:
            del sys.modules[name]


def _load(package: str, module: str) -> Any:
    return importlib.import_module(f"{package}.{module}")


def test_a_generated_client_creates_a_train_and_posts_events(live: str, generated: str) -> None:
    client_mod = _load(generated, "client")
    models = _load(generated, "models")
    create_train = _load(generated, "api.trains.create_train")
    post_events = _load(generated, "api.events.post_events")
    with client_mod.AuthenticatedClient(base_url=live, token=TOKEN, timeout=httpx.Timeout(60)) as client:
        body = models.TrainIn(name="generated", origin="Hanoi", destination="Moscow", departure=T0, teu=40)
        created = create_train.sync_detailed(client=client, body=body)
        assert created.status_code == 201, created.content
        tid = created.parsed.id
        events = [
            models.PositionEvent.from_dict(position(f"g-{tid}-1", tid, T0 + timedelta(hours=10))),
            models.PositionEvent.from_dict(
                position(f"g-{tid}-2", tid, T0 + timedelta(hours=11), 21.9, 106.7)
            ),
            models.PositionEvent.from_dict(position(f"g-{tid}-3", tid, T0 + timedelta(hours=12), 91.0, 0.0)),
        ]
        answer = post_events.sync_detailed(client=client, body=models.EventBatch(events=events))
    assert answer.status_code == 200, answer.content
    result = answer.parsed
    assert isinstance(result, models.BatchResult)
    assert (result.accepted, result.duplicates) == (2, 0)
    assert [r.index for r in result.rejected] == [2]  # latitude 91: refused alone
    state = httpx.get(f"{live}/api/v1/trains/{tid}", timeout=30).json()
    assert state["status"] == "running" and state["last_position"]["lat"] == 21.9


def test_generated_errors_parse_as_the_one_error_body(live: str, generated: str) -> None:
    """A write without a token and an unknown train answer the documented ErrorBody."""
    client_mod = _load(generated, "client")
    models = _load(generated, "models")
    post_events = _load(generated, "api.events.post_events")
    get_train = _load(generated, "api.trains.get_train")
    with client_mod.Client(base_url=live, timeout=httpx.Timeout(30)) as client:
        refused = post_events.sync_detailed(client=client, body=models.EventBatch(events=[]))
        assert refused.status_code == 401 and isinstance(refused.parsed, models.ErrorBody)
        assert "Bearer" in refused.parsed.error
        missing = get_train.sync_detailed("no-such-train", client=client)
        assert missing.status_code == 404 and isinstance(missing.parsed, models.ErrorBody)


def test_a_generated_client_round_trips_a_route_with_its_tracks(live: str, generated: str) -> None:
    """GET /route through the generated client: the enums are the client's own types, every leg
    parses with its LineString, and the parsed record gives back the service's JSON."""
    client_mod = _load(generated, "client")
    models = _load(generated, "models")
    get_route = _load(generated, "api.routing.get_route")
    with client_mod.Client(base_url=live, timeout=httpx.Timeout(120)) as client:
        mode = next(m for m in _load(generated, "models.get_route_mode").GetRouteMode if m.value == "rail")
        answer = get_route.sync_detailed(client=client, origin="Hanoi", destination="Moscow", mode=mode)
        assert answer.status_code == 200, answer.content
        route = answer.parsed
        assert isinstance(route, models.Route)
        raw = httpx.get(
            f"{live}/api/v1/route",
            params={"origin": "Hanoi", "destination": "Moscow", "mode": "rail"},
            timeout=120,
        ).json()
    assert route.to_dict() == raw  # nothing lost or added on the way through the client's types
    for leg in route.legs:
        assert isinstance(leg.geometry, models.LineString) and len(leg.geometry.coordinates) >= 2
    assert route.legs[0].geometry.coordinates[0] == raw["legs"][0]["geometry"]["coordinates"][0]
