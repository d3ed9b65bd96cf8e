"""Untyped data across the package, counted and bounded (issue #21): the word ``Any`` and string
subscripts (``x["name"]``, read or written). Both stand for dicts whose shape no type states; a
record with attributes says what it holds, and mypy checks it.

The bounds are issue #21's. They only go down: a change that brings a package's untyped dicts back
fails here, and says where they are."""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "silkrail"

MAX_ANY = 200
MAX_STRING_SUBSCRIPTS = 250


def _package(path: Path) -> str:
    parts = path.relative_to(SRC).parts
    return parts[0] if len(parts) > 1 else "(top level)"


def _count() -> tuple[Counter[str], Counter[str]]:
    any_words: Counter[str] = Counter()
    subscripts: Counter[str] = Counter()
    files = sorted(SRC.rglob("*.py"))
    assert len(files) > 100, f"expected the package's modules under {SRC}, found {len(files)} files"
    for path in files:
        text = path.read_text(encoding="utf-8")
        any_words[_package(path)] += len(re.findall(r"\bAny\b", text))
        subscripts[_package(path)] += sum(
            isinstance(node, ast.Subscript)
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
            for node in ast.walk(ast.parse(text, filename=str(path)))
        )
    return any_words, subscripts


def _by_package(counts: Counter[str]) -> str:
    return ", ".join(f"{pkg} {n}" for pkg, n in counts.most_common())


def test_the_counter_sees_both_forms() -> None:
    """The counter itself: a read, a write and a nested subscript count; an index and a name do not."""
    tree = ast.parse('d["a"] = e["b"]["c"]\nx = y[0] + z[key]\n')
    found = [
        ast.unparse(n)
        for n in ast.walk(tree)
        if isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Constant) and isinstance(n.slice.value, str)
    ]
    assert sorted(found) == ["d['a']", "e['b']", "e['b']['c']"]
    assert len(re.findall(r"\bAny\b", "Any, AnyStr, dict[str, Any] # Anyway")) == 2


def test_any_stays_under_the_bound() -> None:
    any_words, _ = _count()
    assert sum(any_words.values()) < MAX_ANY, f"`Any` by package: {_by_package(any_words)}"


def test_string_subscripts_stay_under_the_bound() -> None:
    _, subscripts = _count()
    assert sum(subscripts.values()) < MAX_STRING_SUBSCRIPTS, (
        f"string subscripts by package: {_by_package(subscripts)}"
    )
