"""silkrail's version: the one place it is written (pyproject.toml reads it when building)."""

__version__ = "0.2.0"
