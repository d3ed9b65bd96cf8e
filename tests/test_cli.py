"""The command line as a shell over the library: ``cli.py`` only composes the command groups,
every routing option reaches the one query, and enumerated options offer their choices."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from silkrail.cli import GROUPS, app
from silkrail.routing.query import RouteQuery
from silkrail.routing.router import Router
from tests.test_package import fixture_env  # noqa: F401  (the CLI on the small network)

runner = CliRunner()
COMMANDS = Path(__file__).resolve().parents[1] / "src" / "silkrail" / "commands"
CLI = COMMANDS.parent / "cli.py"


def test_cli_only_composes_the_command_groups() -> None:
    """cli.py is well under 200 lines, defines no command, and registers every group module."""
    text = CLI.read_text()
    assert len(text.splitlines()) < 120
    assert "@app.command" not in text and "typer.Option" not in text
    with_register = {
        p.stem
        for p in COMMANDS.glob("*.py")
        if any(isinstance(n, ast.FunctionDef) and n.name == "register" for n in ast.parse(p.read_text()).body)
    }
    assert with_register == {g.__name__.rsplit(".", 1)[1] for g in GROUPS}
    names = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
    assert {"route", "compare", "corridor", "simulate", "serve", "network", "gtfs", "tracking"} <= names


def test_route_options_reach_the_query_whole(fixture_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """--traffic without --depart is no longer dropped: it reaches the router's query, with
    every other option, in one record."""
    seen: list[RouteQuery] = []
    original = Router.route

    def spy(self: Router, query: RouteQuery):  # type: ignore[no-untyped-def]
        seen.append(query)
        return original(self, query)

    monkeypatch.setattr(Router, "route", spy)
    args = ["route", "Erenhot", "Zamyn-Uud", "--mode", "rail", "--traffic", "passenger", "--teu", "2"]
    result = runner.invoke(app, [*args, "--avoid", "kz", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["teu"] == 2
    assert len(seen) == 1
    q = seen[0]
    assert (q.origin, q.destination, q.mode, q.traffic, q.teu, q.avoid) == (
        "Erenhot",
        "Zamyn-Uud",
        "rail",
        "passenger",
        2.0,
        ("KZ",),
    )


@pytest.mark.parametrize(
    ("option", "value", "choices"),
    [("--mode", "train", "rail"), ("--optimize", "fast", "co2"), ("--traffic", "cargo", "passenger")],
)
def test_enumerated_options_offer_their_choices(option: str, value: str, choices: str) -> None:
    """A value outside the choices exits 2 before any work, naming the valid ones."""
    result = runner.invoke(app, ["route", "Hanoi", "Moscow", option, value])
    assert result.exit_code == 2
    assert value in result.output and choices in result.output
    help_text = runner.invoke(app, ["route", "--help"], env={"COLUMNS": "200"}).output
    assert "rail|sea|any" in help_text and "time|cost|co2" in help_text and "passenger|freight|any" in help_text


def test_a_bad_value_is_named_as_its_option(fixture_env: Path) -> None:  # noqa: F811
    """The query's field is named in the command line's words (--as-of, --alternatives)."""
    late = runner.invoke(app, ["route", "Erenhot", "Zamyn-Uud", "--as-of", "yesterday"])
    assert late.exit_code == 2 and "--as-of" in late.output and "YYYY-MM-DD" in late.output
    many = runner.invoke(app, ["route", "Erenhot", "Zamyn-Uud", "--alternatives", "11"])
    assert many.exit_code == 2 and "--alternatives" in many.output and "0 to 10" in many.output
