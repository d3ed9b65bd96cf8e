"""The ``silkrail`` command: a thin shell over the library that only composes the command groups
of :mod:`silkrail.commands` (one module per group, with its printers). Exit codes (see
:mod:`silkrail.commands.console`): 0 done, 1 the work failed, 2 bad input, 3 no route.

A new group is a module of ``silkrail.commands`` with a ``register(app)`` function, named once
in ``GROUPS`` below."""

from __future__ import annotations

import json
import sys
from types import ModuleType
from typing import Annotated

import typer

from silkrail.commands import (
    calibration,
    console,
    corridor,
    corridors,
    forecast,
    gtfs,
    network,
    programme,
    routing,
    service,
    simulation,
    tracking,
)
from silkrail.errors import MissingExtraError

GROUPS: tuple[ModuleType, ...] = (
    network,
    routing,
    corridor,
    corridors,
    gtfs,
    calibration,
    simulation,
    service,
    tracking,
    programme,
    forecast,
)
"""The command groups, in the order ``silkrail --help`` lists them."""

app = typer.Typer(
    help="silkrail: freight on the Eurasian rail corridors, across gauges, borders and the sea.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
for group in GROUPS:
    group.register(app)


def _version(value: bool) -> None:
    if value:
        from silkrail import __version__

        typer.echo(f"silkrail {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool, typer.Option("--version", help="print the version and exit", callback=_version, is_eager=True)
    ] = False,
) -> None:
    """silkrail: freight on the Eurasian rail corridors, across gauges, borders and the sea."""
    console.reset()


def main() -> None:
    """The ``silkrail`` command: the library's warnings (a network being rebuilt, another
    process building it) are shown on stderr."""
    import logging

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("silkrail")
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    as_json = "--json" in sys.argv[1:]
    try:
        code = app(standalone_mode=not as_json)
    except MissingExtraError as exc:  # an optional package a command needs is not installed
        code = _report(exc, console.EXIT_FAILED)
    except SystemExit as exc:
        code = exc.code
    except Exception as exc:  # with --json, the command line's own usage errors come here
        if type(exc).__name__ == "Abort":
            code = console.EXIT_FAILED
        elif hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
            code = _report(exc, exc.exit_code)
        else:
            raise
    if code == 1 and type(sys.stdout).__name__ == "PacifyFlushWrapper":
        code = 0  # the reader of a pipe stopped reading (| head): not a failure
    raise SystemExit(code)


def _report(exc: Exception, code: int) -> int:
    """An error raised outside a command's own handling: one line, or JSON with --json."""
    text = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    if "--json" in sys.argv[1:]:
        typer.echo(json.dumps({"error": text, "exit_code": code}, ensure_ascii=False))
    else:
        from rich.markup import escape

        console.err.print(f"[red]error:[/] {escape(text)}", soft_wrap=True, highlight=False)
    return code


if __name__ == "__main__":
    main()
