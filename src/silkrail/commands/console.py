"""What every command shares: the consoles and tables (created on first use: `route --json`
prints without loading rich), the exit on bad input, and loading the network with a progress bar."""

from __future__ import annotations

from typing import Any, NoReturn

import typer

from silkrail.errors import DataError, NoRouteError, SilkrailError, UnknownPlaceError


class LazyConsole:
    """A rich console created on first use: `route --json` prints without loading rich."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Any = None

    def get(self) -> Any:
        """The rich console itself (for progress bars)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.get(), name)


def Table(*args: Any, **kwargs: Any) -> Any:
    """rich's Table, imported when a table is drawn."""
    from rich.table import Table as RichTable

    return RichTable(*args, **kwargs)


out = LazyConsole()
err = LazyConsole(stderr=True)


def fail(exc: SilkrailError) -> NoReturn:
    """Print ``exc`` and exit: 3 for no route, 2 for any other bad input."""
    from rich.markup import escape

    code = 3 if isinstance(exc, NoRouteError) else 2
    err.print(f"[red]error:[/] {escape(message(exc))}", soft_wrap=True)
    raise typer.Exit(code)


def message(exc: SilkrailError) -> str:
    """The error's sentence, an option of the command line named as it is typed (``--as-of:``)."""
    if isinstance(exc, DataError) and exc.field and not exc.file and (
        exc.field.startswith("--") or exc.field.isupper()
    ):
        return f"{exc.field}: {exc.reason}"
    return str(exc)


def load_network_or_exit(rebuild: bool = False) -> Any:
    """The network (built with a progress bar on first use), or a clean exit with the reason."""
    from silkrail.network.store import load_network

    bar = _BuildBar()
    try:
        return load_network(rebuild=rebuild, progress=bar)
    except (DataError, UnknownPlaceError, NoRouteError) as exc:
        fail(exc)
    except SilkrailError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
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
