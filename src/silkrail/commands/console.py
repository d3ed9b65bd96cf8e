"""What every command shares: the consoles and tables (created on first use: `route --json`
prints without loading rich), the one way a command fails (its exit code, its message, as JSON
with ``--json``), and loading the network with a progress bar.

Exit codes (the README lists them):

=====  ======================================================================================
0      done
1      the work failed: checks found errors, a service or database could not be reached, an
       optional package is missing, a source could not be read
2      bad input: an option, a file or a place (the message names it and what would be valid)
3      no route satisfies the request (the message says what stands in the way)
=====  ======================================================================================
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from silkrail.errors import DataError, NoRouteError, SilkrailError, UnknownPlaceError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table as RichTable

    from silkrail.network.model import Network

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_NO_ROUTE = 0, 1, 2, 3
EXIT_CODES = {
    EXIT_OK: "done",
    EXIT_FAILED: "the work failed: checks found errors, a service or database could not be reached, "
    "an optional package is missing, a source could not be read",
    EXIT_BAD_INPUT: "bad input: an option, a file or a place (the message names it and what would be valid)",
    EXIT_NO_ROUTE: "no route satisfies the request (the message says what stands in the way)",
}


class LazyConsole:
    """A rich console created on first use: `route --json` prints without loading rich."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def get(self) -> Console:
        """The rich console itself (for progress bars)."""
        if self._console is None:
            from rich.console import Console

            class QuietOnBrokenPipe(Console):
                def on_broken_pipe(self) -> None:
                    """The reader of a pipe stopped reading (``| head``): stop, and succeed."""
                    import os
                    import sys

                    devnull = os.open(os.devnull, os.O_WRONLY)
                    os.dup2(devnull, sys.stdout.fileno())
                    raise SystemExit(EXIT_OK)

            self._console = QuietOnBrokenPipe(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.get(), name)


def escape(text: str) -> str:
    """``text`` as it is, in a rich string (``[bold]`` in a name is printed, not applied)."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def Table(*args: Any, **kwargs: Any) -> RichTable:
    """rich's Table, imported when a table is drawn. Its columns fold a value that does not fit
    onto the next line instead of cutting it ("Alashank…"): every value is shown whole."""
    from rich.table import Table as Rich

    class FoldingTable(Rich):
        def add_column(self, *a: Any, **kw: Any) -> None:
            kw.setdefault("overflow", "fold")
            super().add_column(*a, **kw)

    from rich import box

    kwargs.setdefault("box", box.SIMPLE_HEAD)  # no vertical rules: more room for the values
    return FoldingTable(*args, **kwargs)


out = LazyConsole()
err = LazyConsole(stderr=True)


class _Output:
    """Whether the running command was asked for JSON (its errors are then JSON too)."""

    json = False


def json_mode(value: bool) -> bool:
    """The callback of every ``--json`` option: errors after it are printed as JSON on stdout."""
    _Output.json = bool(value)
    return value


def reset() -> None:
    """Before each command: plain errors until a ``--json`` option says otherwise."""
    _Output.json = False


def exit_code(exc: BaseException) -> int:
    """The exit code of an error (see the table above)."""
    if isinstance(exc, NoRouteError):
        return EXIT_NO_ROUTE
    if isinstance(exc, DataError | UnknownPlaceError):
        return EXIT_BAD_INPUT
    return EXIT_FAILED


def fail(
    exc: SilkrailError | str, *, code: int | None = None, problems: Sequence[str] = ()
) -> NoReturn:
    """Say what went wrong and exit with its code: on stderr, or with ``--json`` as
    ``{"error", "fields", "exit_code"}`` on stdout (the HTTP API's error body, plus the code).
    ``problems``: further lines (each problem of a file), after the sentence."""
    text = message(exc) if isinstance(exc, SilkrailError) else exc
    status = code if code is not None else exit_code(exc) if isinstance(exc, SilkrailError) else EXIT_FAILED
    if _Output.json:
        body: dict[str, Any] = {"error": text}
        if isinstance(exc, DataError) and exc.field:
            body["fields"] = [{"field": exc.field, "message": exc.reason}]
        if problems:
            body["problems"] = list(problems)
        body["exit_code"] = status
        typer.echo(json.dumps(body, ensure_ascii=False))
    else:
        err.print(f"[red]error:[/] {escape(text)}", soft_wrap=True, highlight=False)
        for line in problems:
            err.print(f"  {escape(line)}", soft_wrap=True, highlight=False)
    raise typer.Exit(status)


def message(exc: SilkrailError) -> str:
    """The error's sentence, an option of the command line named as it is typed (``--as-of:``)."""
    if isinstance(exc, DataError) and exc.field and not exc.file and (
        exc.field.startswith("--") or exc.field.isupper()
    ):
        return f"{exc.field}: {exc.reason}"
    return str(exc)


DAYS_FROM_H = 48.0
"""Durations from this many hours on are shown in days, shorter ones in hours."""


def duration_unit(hours: float) -> tuple[float, str]:
    """The divisor and unit a duration is shown in: hours below two days, days from there on."""
    return (24.0, "d") if abs(hours) >= DAYS_FROM_H else (1.0, "h")


def duration(
    hours: float, low: float | None = None, high: float | None = None, *, unit_of: float | None = None
) -> str:
    """``hours`` with its unit (``13.5 h``, ``14.2 d``), and its range in the same unit; the unit
    is that of ``unit_of`` when given (a row read in one unit)."""
    scale, unit = duration_unit(hours if unit_of is None else unit_of)
    text = f"{hours / scale:,.1f} {unit}"
    if low is not None and high is not None:
        text += f" ({low / scale:,.1f}–{high / scale:,.1f} {unit})"
    return text


def load_network_or_exit(rebuild: bool = False) -> Network:
    """The network (built with a progress bar on first use), or a clean exit with the reason."""
    from silkrail.network.store import load_network

    bar = _BuildBar()
    try:
        return load_network(rebuild=rebuild, progress=bar)
    except SilkrailError as exc:
        bar.close()
        fail(exc)
    finally:
        bar.close()


class _BuildBar:
    """The progress bar of a network build, drawn on stderr from the first step on (a network
    loaded from the cache shows nothing)."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._task: Any = None

    def __call__(self, label: str) -> None:
        from silkrail.network.store import BUILD_STEPS

        if self._bar is None:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn("[bold]building network[/] {task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeElapsedColumn(),
                console=err.get(),
            )
            self._bar.start()
            self._task = self._bar.add_task("", total=BUILD_STEPS)
        self._bar.update(self._task, description=label, advance=1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
