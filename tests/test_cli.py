"""The command line as a shell over the library: ``cli.py`` only composes the command groups,
every routing option reaches the one query, and enumerated options offer their choices."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
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
    assert "@app.command" not in text and text.count("typer.Option(") == 1  # --version, the app's own
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


def test_the_default_route_says_what_its_generalised_cost_weighed(fixture_env: Path) -> None:  # noqa: F811
    """A shipment's route minimises the generalised cost by default and prints its terms (hours at
    the value of time, money, one customs border and one change of gauge at Erenhot); with
    --optimize time the route says nothing of it."""
    from silkrail.routing.generalised import load_weights

    w = load_weights()
    result = runner.invoke(app, ["route", "Erenhot", "Zamyn-Uud", "--mode", "rail"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("generalised cost"))
    assert f"× ${w.value_of_time_usd_per_teu_h:g}" in line
    assert f"1 customs border(s) × ${w.border_usd:,.0f}" in line and "1 transshipment(s)" in line
    doc = json.loads(runner.invoke(app, ["route", "Erenhot", "Zamyn-Uud", "--mode", "rail", "--json"]).stdout)
    assert doc["objective"] == "generalised" and f"${doc['generalised_usd']:,.0f}" in line
    timed = runner.invoke(app, ["route", "Erenhot", "Zamyn-Uud", "--mode", "rail", "--optimize", "time"])
    assert timed.exit_code == 0 and "generalised cost" not in timed.output


def test_a_door_to_door_answer_gives_the_time_in_transit_beside_it(fixture_env: Path) -> None:  # noqa: F811
    """A shipment's time runs door to door (terminal time at both rail ends); the time from the
    train's departure to its arrival, which published transit times quote, is given beside it, in
    the JSON (``transit_h``) and in the answer's words."""
    from silkrail.routing.results import OFF_TRAIN

    doc = json.loads(runner.invoke(app, ["route", "Erenhot", "Zamyn-Uud", "--mode", "rail", "--json"]).stdout)
    ends = [e["duration_h"] for e in doc["events"] if e["kind"] in OFF_TRAIN]
    assert len(ends) == 2 and min(ends) > 0
    assert doc["transit_h"] == pytest.approx(doc["duration_h"] - sum(ends), abs=0.02)
    assert 0 < doc["transit_h"] < doc["duration_h"]
    shown = runner.invoke(app, ["route", "Erenhot", "Zamyn-Uud", "--mode", "rail"], env={"COLUMNS": "250"})
    line = next(x for x in shown.output.splitlines() if x.startswith("door to door"))
    assert "in transit" in line and "at the terminals" in line


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
    assert (
        "rail|sea|any" in help_text and "time|cost|co2" in help_text and "passenger|freight|any" in help_text
    )


def test_a_bad_value_is_named_as_its_option(fixture_env: Path) -> None:  # noqa: F811
    """The query's field is named in the command line's words (--as-of, --alternatives)."""
    late = runner.invoke(app, ["route", "Erenhot", "Zamyn-Uud", "--as-of", "yesterday"])
    assert late.exit_code == 2 and "--as-of" in late.output and "YYYY-MM-DD" in late.output
    many = runner.invoke(app, ["route", "Erenhot", "Zamyn-Uud", "--alternatives", "11"])
    assert many.exit_code == 2 and "--alternatives" in many.output and "0 to 10" in many.output
    stopping = runner.invoke(app, ["route", "Erenhot", "Zamyn-Uud", "--traffic", "freight", "--train", "stopping"])
    assert stopping.exit_code == 2 and "--train" in stopping.output and "standard or express" in stopping.output


def test_an_express_train_says_its_running_time_factor(fixture_env: Path) -> None:  # noqa: F811
    """``--train express`` prices the running time of an express, says by what factor, and marks
    the JSON; waits at the border and the distance are a standard train's."""
    args = ["route", "Erenhot", "Zamyn-Uud", "--mode", "rail", "--traffic", "passenger"]
    std = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    fast = json.loads(runner.invoke(app, [*args, "--train", "express", "--json"]).stdout)
    assert fast["train"] == "express" and "train" not in std
    assert fast["distance_km"] == std["distance_km"] and fast["events"] == std["events"]
    assert sum(x["duration_h"] for x in fast["legs"]) < sum(x["duration_h"] for x in std["legs"])
    shown = runner.invoke(app, [*args, "--train", "express"], env={"COLUMNS": "250"})
    line = next(x for x in shown.output.splitlines() if x.startswith("an express train"))
    assert "running time ×" in line and "high-speed" in line


# --- the conventions of the ecosystem -------------------------------------------------------


def test_version_and_shell_completion() -> None:
    import silkrail

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"silkrail {silkrail.__version__}"
    env = {
        "_SILKRAIL_COMPLETE": "complete_bash",
        "COMP_WORDS": "silkrail route Hanoi Moscow --mode ",
        "COMP_CWORD": "5",
    }
    done = runner.invoke(app, [], env=env, prog_name="silkrail")
    assert done.stdout.split() == ["rail", "sea", "any"]
    env |= {"COMP_WORDS": "silkrail rou", "COMP_CWORD": "1"}
    assert runner.invoke(app, [], env=env, prog_name="silkrail").stdout.split() == ["route"]
    assert "--install-completion" in runner.invoke(app, ["--help"]).output


def test_help_reads_as_prose_with_no_type_on_a_flag() -> None:
    """A command's help is its docstring's first paragraph re-flowed (the source's line breaks are
    not the terminal's), the command list gives each command one line, and a flag shows no value
    type (it takes none)."""
    top = runner.invoke(app, ["--help"], terminal_width=100).output
    listed = [line.split()[0] for line in top.split("Commands:")[1].splitlines() if line.strip()]
    assert {"route", "compare", "simulate", "forecast", "network"} <= set(listed)
    assert len(listed) == len(set(listed))  # one line each: no continuation line starts a row
    assert "<bool>" not in top
    route = runner.invoke(app, ["route", "--help"], terminal_width=100).output
    assert "<bool>" not in route and "--inland-water" in route
    prose = " ".join(route.split("Arguments:")[0].split())
    assert "with --depart or --arrive, the earliest arrival" in prose


def _silkrail(args: list[str], env_from: Path | None = None, **kwargs: object) -> subprocess.Popen[str]:
    """``silkrail ARGS`` as a process, as a shell runs it (the console script's main)."""
    code = f"import sys; from silkrail.cli import main; sys.argv = ['silkrail', *{args!r}]; main()"
    return subprocess.Popen([sys.executable, "-c", code], text=True, **kwargs)  # type: ignore[call-overload, no-any-return]


def test_a_closed_pipe_ends_the_command_quietly(fixture_env: Path) -> None:  # noqa: F811
    """`silkrail route ... | head -1`: the reader is gone before the table is printed; the
    command stops with exit 0 and no traceback."""
    runner.invoke(app, ["network", "build"])  # the network is cached before the timed part
    proc = _silkrail(["route", "Erenhot", "Zamyn-Uud"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `head` exiting: every write to stdout fails with EPIPE
    with proc.stderr:
        assert proc.wait(timeout=300) == 0
        assert "Traceback" not in proc.stderr.read()


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["route", "Erenhot", "Zamyn-Uud", "--avoid", "CN"], 2, "asked to avoid"),
        (["route", "Atlantis", "Zamyn-Uud"], 2, "place 'Atlantis'"),
        (["route", "Erenhot", "Zamyn-Uud", "--teu", "-1"], 2, "--teu"),
        (["route", "Erenhot", "Zamyn-Uud", "--mode", "sea"], 3, ""),
    ],
)
def test_errors_with_json_are_json_on_stdout_with_the_same_exit_code(
    fixture_env: Path,  # noqa: F811
    args: list[str],
    code: int,
    words: str,
) -> None:
    """The exit code is the same with and without --json; with it the error is one JSON object
    on stdout (the HTTP API's error body plus the exit code), without it a line on stderr."""
    plain = runner.invoke(app, args)
    assert plain.exit_code == code and plain.stdout == "" and words in plain.stderr
    as_json = runner.invoke(app, [*args, "--json"])
    assert as_json.exit_code == code and as_json.stderr == ""
    body = json.loads(as_json.stdout)
    assert body["exit_code"] == code and words in body["error"]
    assert set(body) <= {"error", "fields", "problems", "exit_code"}


def test_usage_errors_with_json_are_json_too() -> None:
    """An option outside its choices is caught by the command line itself: with --json it is
    JSON on stdout as well, exit 2."""
    with _silkrail(["route", "Hanoi", "Moscow", "--mode", "train", "--json"], stdout=subprocess.PIPE) as proc:
        out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 2
    body = json.loads(out)
    assert body["exit_code"] == 2 and "--mode" in body["error"] and "train" in body["error"]


def test_markup_in_input_is_printed_as_given(fixture_env: Path) -> None:  # noqa: F811
    result = runner.invoke(app, ["route", "[bold]Foo[/bold]bar", "Zamyn-Uud"])
    assert result.exit_code == 2 and "place '[bold]Foo[/bold]bar'" in " ".join(result.stderr.split())


def test_simulate_list_names_the_shipped_scenarios() -> None:
    result = runner.invoke(app, ["simulate", "list", "--json"])
    assert result.exit_code == 0, result.output
    found = {s["name"]: s for s in json.loads(result.stdout)["scenarios"]}
    assert {"baseline-2025", "vn-ru-growth", "lao-cai-sg-2030", "erenhot-closure"} <= set(found)
    assert found["vn-ru-growth"]["extends"] == "baseline-2025" and found["vn-ru-growth"]["description"]
    # every name whole (it is what the user types next), on an 80-column terminal too
    table = runner.invoke(app, ["simulate", "list"], env={"COLUMNS": "80"})
    assert table.exit_code == 0 and set(found) <= set(table.stdout.split()), table.stdout
    missing = runner.invoke(app, ["simulate", "nowhere"])
    assert missing.exit_code == 2 and missing.stderr.startswith("error: no scenario file 'nowhere'")
    assert "simulate list" in missing.stderr


def test_durations_are_shown_in_one_unit_with_their_range() -> None:
    """A 12 h trip reads 12.0 h (not 0.5 d); two weeks read in days, the range in the same unit."""
    from silkrail.commands.console import duration

    assert duration(12.0) == "12.0 h"
    assert duration(13.5, 12.0, 15.25) == "13.5 h (12.0–15.2 h)"
    assert duration(341.0, 182.4, 532.8) == "14.2 d (7.6–22.2 d)"
    assert duration(30.0, unit_of=340.0) == "1.2 d"


def test_tables_fold_long_values_instead_of_cutting_them() -> None:
    from rich.console import Console

    from silkrail.commands.console import Table

    for value in ("Alashankou–Dostyk", "2026-12-04T05:30:00+07:00"):
        t = Table()
        t.add_column("at")
        t.add_row(value)
        c = Console(width=12, record=True)
        c.print(t)
        shown = c.export_text()
        assert "…" not in shown and value in "".join(shown.split()[2:])  # after the header and rule


def test_compare_shows_every_figure_whole_on_80_columns(fixture_env: Path) -> None:  # noqa: F811
    """compare's table keeps each option's km, time, cost and their ranges whole (a range under
    its figure) on an 80-column terminal, as the JSON gives them."""
    found = runner.invoke(app, ["compare", "Erenhot", "Zamyn-Uud", "--json"])
    assert found.exit_code == 0, found.output
    options = json.loads(found.stdout)["options"]
    table = runner.invoke(app, ["compare", "Erenhot", "Zamyn-Uud"], env={"COLUMNS": "80"})
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 80
    words = set(table.stdout.split())
    for o in options:
        lo, hi = o["cost_usd_range"]
        assert {o["label"], f"{o['distance_km']:,.0f}", f"{o['cost_usd']:,.0f}", f"{lo:,.0f}–{hi:,.0f}"} <= words, (
            o["label"],
            table.stdout,
        )


def test_a_missing_scheduler_package_names_its_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """simulate --scheduler local without Dask: one line naming the dist extra, exit 1, before
    any work (not a ModuleNotFoundError)."""
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    result = runner.invoke(app, ["simulate", "baseline-2025", "--scheduler", "local"])
    assert (result.exit_code == 1 and result.exception is None) or isinstance(result.exception, SystemExit)
    assert "pip install 'silkrail[dist]'" in " ".join(result.stderr.split())


def test_compare_map_without_matplotlib_writes_the_map_and_succeeds(
    fixture_env: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In the core install (no viz extra) --map writes the map, leaves out the chart beside it with
    a note naming the extra, and exits 0; --chart, asked for, exits 1 before any work."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    target = fixture_env / "options.html"
    result = runner.invoke(app, ["compare", "Erenhot", "Zamyn-Uud", "--map", str(target)])
    assert result.exit_code == 0, result.output
    assert target.is_file() and not target.with_suffix(".png").exists()
    assert "pip install 'silkrail[viz]'" in " ".join(result.stderr.split())
    chart = runner.invoke(app, ["compare", "Erenhot", "Zamyn-Uud", "--chart", str(fixture_env / "c.png")])
    assert chart.exit_code == 1 and "silkrail[viz]" in chart.stderr


def test_the_readme_lists_the_exit_codes_the_commands_use() -> None:
    """One table of exit codes: the README's is console.EXIT_CODES."""
    import re

    from silkrail.commands.console import EXIT_CODES

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\s*\| (\d) \| (.+?) \|$", readme, re.M))
    assert sorted(map(int, rows)) == sorted(EXIT_CODES)
    for code, meaning in EXIT_CODES.items():
        assert meaning.split(":")[0].split(" (")[0] in rows[str(code)], code
