"""The ``silkrail`` command: a thin shell over the library that only composes the command groups
of :mod:`silkrail.commands` (one module per group, with its printers). Exit codes: 0 ok, 1 failed
checks, 2 bad input, 3 no route.

A new group is a module of ``silkrail.commands`` with a ``register(app)`` function, named once
in ``GROUPS`` below."""

from __future__ import annotations

from types import ModuleType

import typer

from silkrail.commands import (
    calibration,
    corridor,
    gtfs,
    network,
    routing,
    service,
    simulation,
    tracking,
)
from silkrail.commands.console import err
from silkrail.errors import MissingExtraError

GROUPS: tuple[ModuleType, ...] = (
    network,
    routing,
    corridor,
    gtfs,
    calibration,
    simulation,
    service,
    tracking,
)
"""The command groups, in the order ``silkrail --help`` lists them."""

app = typer.Typer(
    help="silkrail: freight on the Eurasian rail corridors, across gauges, borders and the sea.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for group in GROUPS:
    group.register(app)


def main() -> None:
    """The ``silkrail`` command: the library's warnings (a network being rebuilt, another
    process building it) are shown on stderr."""
    import logging

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("silkrail")
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    try:
        app()
    except MissingExtraError as exc:  # an optional package a command needs is not installed
        from rich.markup import escape

        err.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
