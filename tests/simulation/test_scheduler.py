"""The --scheduler values: exactly those the help names, anything else one clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from silkrail.errors import DataError
from silkrail.simulation.scheduler import SCHEDULER_HELP, parse_scheduler


@pytest.mark.parametrize(
    ("value", "runs_on"),
    [
        (None, None),
        ("none", None),
        ("None", None),
        ("serial", None),
        ("local", "local"),
        ("tcp://127.0.0.1:8786", "tcp://127.0.0.1:8786"),
        ("tcp://scheduler.example.org:8786", "tcp://scheduler.example.org:8786"),
        ("tcp://[::1]:8786", "tcp://[::1]:8786"),
    ],
)
def test_the_values_the_help_names_are_accepted(value: str | None, runs_on: str | None) -> None:
    """none/serial (or nothing) run here, local starts a cluster, tcp://HOST:PORT joins one."""
    assert parse_scheduler(value) == runs_on


@pytest.mark.parametrize("value", ["", "nonee", "dask", "tcp://host", "tcp://host:99999", "127.0.0.1:8786"])
def test_other_values_are_one_clear_error(value: str) -> None:
    """Anything else names the option and lists what is valid."""
    with pytest.raises(DataError) as info:
        parse_scheduler(value)
    assert info.value.field == "scheduler"
    assert f"'{value}' is not a scheduler" in str(info.value) and SCHEDULER_HELP in str(info.value)


def test_cli_rejects_a_bad_scheduler_before_loading_the_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """simulate --scheduler nonee exits 2 with the reason, and builds nothing."""
    from typer.testing import CliRunner

    from silkrail.cli import app

    home = tmp_path / "home"
    monkeypatch.setenv("SILKRAIL_HOME", str(home))
    r = CliRunner().invoke(app, ["simulate", "erenhot-closure", "--scheduler", "nonee"])
    assert r.exit_code == 2, r.output
    assert "'nonee' is not a scheduler" in r.output
    assert not home.exists() or not any(home.iterdir())
