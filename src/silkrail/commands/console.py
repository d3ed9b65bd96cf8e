"""The command line's consoles and tables, created on first use: `route --json` prints without
loading rich."""

from __future__ import annotations

from typing import Any


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
