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
from typing import TYPE_CHECKING, NoReturn

import typer

from silkrail.errors import DataError, NoRouteError, SilkrailError, UnknownPlaceError

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, JustifyMethod, RenderResult
    from rich.progress import Progress, TaskID
    from rich.status import Status
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
    """A rich console created on first use: `route --json` prints without loading rich. It
    prints, draws a rule and shows a status; :meth:`get` gives the console itself."""

    def __init__(self, *, stderr: bool = False) -> None:
        self._stderr = stderr
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

            self._console = QuietOnBrokenPipe(stderr=self._stderr)
        return self._console

    def print(
        self,
        *objects: object,
        style: str | None = None,
        markup: bool | None = None,
        highlight: bool | None = None,
        soft_wrap: bool | None = None,
        end: str = "\n",
    ) -> None:
        """rich's ``Console.print`` (its defaults)."""
        self.get().print(
            *objects, style=style, markup=markup, highlight=highlight, soft_wrap=soft_wrap, end=end
        )

    def rule(self, title: str = "") -> None:
        """A horizontal rule with ``title``."""
        self.get().rule(title)

    def status(self, status: str) -> Status:
        """A spinner with ``status`` while the ``with`` block runs."""
        return self.get().status(status)


def escape(text: str) -> str:
    """``text`` as it is, in a rich string (``[bold]`` in a name is printed, not applied)."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def Table(
    *, title: str | None = None, title_justify: JustifyMethod = "center", show_header: bool = True
) -> RichTable:
    """rich's Table, imported when a table is drawn, without vertical rules (more room for the
    values). Its columns fold a value that does not fit onto the next line instead of cutting it
    ("Alashank…"): every value is shown whole."""
    from rich import box
    from rich.table import Table as Rich

    class FoldingTable(Rich):
        def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
            for column in self.columns:
                column.overflow = "fold"
            yield from super().__rich_console__(console, options)

    return FoldingTable(
        title=title, title_justify=title_justify, show_header=show_header, box=box.SIMPLE_HEAD
    )


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


def fail(exc: SilkrailError | str, *, code: int | None = None, problems: Sequence[str] = ()) -> NoReturn:
    """Say what went wrong and exit with its code: on stderr, or with ``--json`` as
    ``{"error", "fields", "exit_code"}`` on stdout (the HTTP API's error body, plus the code).
    ``problems``: further lines (each problem of a file), after the sentence."""
    text = message(exc) if isinstance(exc, SilkrailError) else exc
    status = code if code is not None else exit_code(exc) if isinstance(exc, SilkrailError) else EXIT_FAILED
    if _Output.json:
        fields = (
            [{"field": exc.field, "message": exc.reason}] if isinstance(exc, DataError) and exc.field else []
        )
        body: dict[str, object] = {
            "error": text,
            **({"fields": fields} if fields else {}),
            **({"problems": list(problems)} if problems else {}),
            "exit_code": status,
        }
        typer.echo(json.dumps(body, ensure_ascii=False))
    else:
        err.print(f"[red]error:[/] {escape(text)}", soft_wrap=True, highlight=False)
        for line in problems:
            err.print(f"  {escape(line)}", soft_wrap=True, highlight=False)
    raise typer.Exit(status)


def message(exc: SilkrailError) -> str:
    """The error's sentence, an option of the command line named as it is typed (``--as-of:``)."""
    if (
        isinstance(exc, DataError)
        and exc.field
        and not exc.file
        and (exc.field.startswith("--") or exc.field.isupper())
    ):
        return f"{exc.field}: {exc.reason}"
    return str(exc)


DAYS_FROM_H = 48.0
"""Durations from this many hours on are shown in days, shorter ones in hours."""


def duration_unit(hours: float) -> tuple[float, str]:
    """The divisor and unit a duration is shown in: hours below two days, days from there on."""
    return (24.0, "d") if abs(hours) >= DAYS_FROM_H else (1.0, "h")


def duration(
    hours: float,
    low: float | None = None,
    high: float | None = None,
    *,
    unit_of: float | None = None,
    range_below: bool = False,
) -> str:
    """``hours`` with its unit (``13.5 h``, ``14.2 d``), and its range in the same unit, in
    brackets or (``range_below``) on a line of its own; the unit is that of ``unit_of`` when given
    (a row read in one unit)."""
    scale, unit = duration_unit(hours if unit_of is None else unit_of)
    text = f"{hours / scale:,.1f} {unit}"
    if low is not None and high is not None:
        span = f"{low / scale:,.1f}–{high / scale:,.1f} {unit}"
        text += f"\n{span}" if range_below else f" ({span})"
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
        self._bar: tuple[Progress, TaskID] | None = None

    def __call__(self, label: str) -> None:
        from silkrail.network.store import BUILD_STEPS

        if self._bar is None:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            bar = Progress(
                TextColumn("[bold]building network[/] {task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeElapsedColumn(),
                console=err.get(),
            )
            bar.start()
            self._bar = (bar, bar.add_task("", total=BUILD_STEPS))
        bar, task = self._bar
        bar.update(task, description=label, advance=1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar[0].stop()
            self._bar = None
