"""Fixtures of the routing tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def real_env(real_settings, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The CLI's environment pointing at the real network of the test session."""
    monkeypatch.setenv("SILKRAIL_HOME", str(real_settings.home))
    monkeypatch.setenv("SILKRAIL_COUNTRIES_FILE", str(real_settings.countries_file))
    return real_settings
