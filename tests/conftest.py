"""Shared fixtures: settings that point at the small fixture sources, and built networks."""

from __future__ import annotations

from pathlib import Path

import pytest

from silkrail.network.build import build_network
from silkrail.network.geo import Countries, load_countries
from silkrail.network.model import Network
from silkrail.settings import PACKAGED_OUTLINES, Settings

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent
COUNTRIES_FILE = PACKAGED_OUTLINES


def fixture_settings(home: Path, data_dir: Path = FIXTURES / "data") -> Settings:
    return Settings(
        home=home,
        data_dir=data_dir,
        rail_file=FIXTURES / "rail_small.py",
        sea_file=FIXTURES / "sea_small.geojson",
        ports_file=FIXTURES / "ports_small.geojson",
        countries_file=COUNTRIES_FILE,
    )


@pytest.fixture(scope="session")
def outlines() -> Countries:
    return load_countries(COUNTRIES_FILE)


@pytest.fixture
def small_settings(tmp_path: Path) -> Settings:
    return fixture_settings(tmp_path / "home")


@pytest.fixture(scope="session")
def small_net(tmp_path_factory: pytest.TempPathFactory) -> Network:
    """The fixture network, built once (tests must not modify it)."""
    return build_network(fixture_settings(tmp_path_factory.mktemp("small-home")))


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(home=tmp_path_factory.mktemp("real-home"), countries_file=COUNTRIES_FILE)


@pytest.fixture(scope="session")
def real_net(real_settings: Settings) -> Network:
    """The real network from the shipped data and sources, built once per test session."""
    from silkrail.network.store import load_network

    return load_network(settings=real_settings, progress=False)


# fixtures that reach the real network build, a PostgreSQL server or the browser: integration tier
INTEGRATION_FIXTURES = frozenset({"real_settings", "real_net", "pg_base", "live", "client", "db_url"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test that uses the real network, PostgreSQL or the browser must carry the ``integration``
    marker, so ``-m "not integration"`` stays the fast tier on small fixtures."""
    unmarked = [
        f"{item.nodeid} uses {', '.join(sorted(INTEGRATION_FIXTURES & set(getattr(item, 'fixturenames', ()))))}"
        for item in items
        if item.get_closest_marker("integration") is None
        and INTEGRATION_FIXTURES & set(getattr(item, "fixturenames", ()))
    ]
    if unmarked:
        raise pytest.UsageError("mark these tests integration:\n" + "\n".join(unmarked))


@pytest.fixture
def real_env(real_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The CLI's environment pointing at the real network of the test session."""
    monkeypatch.setenv("SILKRAIL_HOME", str(real_settings.home))
    monkeypatch.setenv("SILKRAIL_COUNTRIES_FILE", str(real_settings.countries_file))
    return real_settings
