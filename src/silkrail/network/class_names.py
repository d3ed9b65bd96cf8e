"""The names of the line classes (see :mod:`silkrail.network.classes`): a module of its own, so
that the classes' file schema and the classification both read them without importing each other."""

from __future__ import annotations

from typing import Literal

ClassName = Literal["high_speed", "modern", "conventional", "secondary"]
CLASS_NAMES: tuple[ClassName, ...] = ("high_speed", "modern", "conventional", "secondary")
"""In the order of :class:`~silkrail.network.classes.LineClass` (0 to 3)."""

__all__ = ["CLASS_NAMES", "ClassName"]
