"""The package floors of DESIGN.md, enforced on every import in ``src`` (as tests/routing/test_layers.py
does inside routing): a module imports only modules of its own floor or below; no cycle joins
modules or packages at run time; no private name is imported from another module.

Known exceptions are listed with the issue that removes them. The test asserts that the
violations found are EXACTLY the listed ones: a new violation fails it, and so does an exception
that has been fixed (remove it from the list: the list only shrinks)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "silkrail"

FLOORS: tuple[tuple[str, ...], ...] = (
    ("silkrail.errors", "silkrail.cache", "silkrail._version"),
    ("silkrail.settings", "silkrail.extras", "silkrail.frames", "silkrail.jit", "silkrail.traffic"),
    ("silkrail.network",),
    ("silkrail.evidence",),  # the transit model's data files: the figures the cost model reads
    ("silkrail.routing",),
    ("silkrail.timetable", "silkrail.simulation", "silkrail.tracking", "silkrail.viz"),
    # the package root is the Python facade (route, compare, od_matrix over routing and timetable)
    ("silkrail.analysis", "silkrail.forecast", "silkrail.programme", "silkrail.calibration", "silkrail"),
    ("silkrail.service",),
    ("silkrail.client", "silkrail.replay"),
    ("silkrail.commands", "silkrail.cli"),
)
"""DESIGN.md's order, lowest first: a module may import its own floor and the floors below."""

KNOWN_UPWARD: dict[tuple[str, str], str] = {}
"""(importer, imported) against the floors, and the issue that removes each."""

KNOWN_MODULE_CYCLES: dict[frozenset[str], str] = {
    frozenset({"silkrail.network.sources", "silkrail.network.packed"}): "#22: packed reads RawRail from "
    "sources, which opens the packed copies lazily; the record moves where both can import it",
}
"""Modules that import each other at run time (lazily, or it would not load), and the issue."""

KNOWN_PACKAGE_CYCLES: dict[frozenset[str], str] = {}
"""Packages that import each other at run time, and the issue that removes each cycle."""

KNOWN_PRIVATE: dict[tuple[str, str], str] = {
    ("silkrail.analysis.sea_report", "silkrail.analysis.report"): "#25: the report's drawing helpers "
    "(_page, _table, _svg_map, _png ...) become a public module of analysis",
    ("silkrail.analysis.operators", "silkrail.analysis.sections"): "#19: sections' _match_records "
    "becomes a public function of the records it matches",
}
"""(importer, module) pairs where a private name crosses modules, and the issue that ends each."""


def _modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _type_only(tree: ast.Module) -> set[int]:
    """ids of the import nodes inside ``if TYPE_CHECKING:`` blocks (never run)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            out |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return out


def _targets(module: str, names: list[str]) -> list[str]:
    """The modules an import reaches: ``from a import b`` is module ``a.b`` where that exists."""
    found = [f"{module}.{n}" for n in names if f"{module}.{n}" in MODULES]
    if len(found) < len(names) or not names:
        while module and module not in MODULES:
            module = module.rpartition(".")[0]
        found += [module] if module else []
    return found


def _imports() -> Iterator[tuple[str, str, list[str], bool]]:
    """(importer, imported module, names, at run time) for every silkrail import in src, at any
    depth (lazy imports inside functions included)."""
    for mod, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = _type_only(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("silkrail"):
                names = [a.name for a in node.names]
                for target in _targets(node.module or "", names):
                    if target != mod:
                        yield mod, target, names, id(node) not in typing_only
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("silkrail"):
                        for target in _targets(a.name, []):
                            if target != mod:
                                yield mod, target, [], id(node) not in typing_only


def _floor(module: str) -> int:
    best = (-1, -1)
    for i, prefixes in enumerate(FLOORS):
        for p in prefixes:
            # a package's modules are on its floor; the root is the facade module alone, so that a
            # new top-level module must be given its floor here
            inside = module.startswith(p + ".") and p != "silkrail"
            if (module == p or inside) and len(p) > best[1]:
                best = (i, len(p))
    assert best[0] >= 0, f"{module} is on no floor: add it to FLOORS (DESIGN.md says where)"
    return best[0]


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[frozenset[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            w = next(children, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = set()
                while True:
                    x = stack.pop()
                    on_stack.discard(x)
                    comp.add(x)
                    if x == v:
                        break
                if len(comp) > 1:
                    out.append(frozenset(comp))
    return out


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "silkrail"


def test_every_module_imports_its_own_floor_or_below() -> None:
    found = {(a, b) for a, b, _, _ in _imports() if _floor(a) < _floor(b)}
    assert found == set(KNOWN_UPWARD), (
        f"new imports against the floors: {sorted(found - set(KNOWN_UPWARD))}; "
        f"fixed (remove from KNOWN_UPWARD): {sorted(set(KNOWN_UPWARD) - found)}"
    )


def test_no_module_cycle_and_only_the_known_package_cycles() -> None:
    modules: dict[str, set[str]] = {m: set() for m in MODULES}
    packages: dict[str, set[str]] = {}
    for a, b, _, runtime in _imports():
        if not runtime:
            continue  # a type-only import never runs
        modules[a].add(b)
        if _package(a) != _package(b):
            packages.setdefault(_package(a), set()).add(_package(b))
    cycles = set(_cycles(modules))
    assert cycles == set(KNOWN_MODULE_CYCLES), (
        f"new module cycles: {[sorted(c) for c in cycles - set(KNOWN_MODULE_CYCLES)]}; "
        f"fixed (remove from KNOWN_MODULE_CYCLES): {[sorted(c) for c in set(KNOWN_MODULE_CYCLES) - cycles]}"
    )
    found = set(_cycles(packages))
    assert found == set(KNOWN_PACKAGE_CYCLES), (
        f"new package cycles: {[sorted(c) for c in found - set(KNOWN_PACKAGE_CYCLES)]}; "
        f"fixed (remove from KNOWN_PACKAGE_CYCLES): {[sorted(c) for c in set(KNOWN_PACKAGE_CYCLES) - found]}"
    )


def test_no_private_name_crosses_modules() -> None:
    """``from silkrail.x import _name`` only for a private module of the importer's own package."""
    found = set()
    for mod, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith("silkrail"):
                continue
            for n in (a.name for a in node.names):
                if not n.startswith("_") or n == "__version__":
                    continue
                own_private_module = f"{node.module}.{n}" in MODULES and node.module == mod.rpartition(".")[0]
                if not own_private_module:
                    found.add((mod, node.module))
    assert found == set(KNOWN_PRIVATE), (
        f"new private names across modules: {sorted(found - set(KNOWN_PRIVATE))}; "
        f"fixed (remove from KNOWN_PRIVATE): {sorted(set(KNOWN_PRIVATE) - found)}"
    )


def test_the_checks_see_what_they_check() -> None:
    """The scan finds lazy imports, resolves ``from package import module``, knows every
    module's floor, and finds a cycle and an upward import where there is one."""
    edges = {(a, b) for a, b, _, _ in _imports()}
    assert ("silkrail.routing.router", "silkrail.routing.engine") in edges
    assert ("silkrail", "silkrail.routing.router") in edges  # lazy, inside the facade's functions
    assert ("silkrail.cli", "silkrail.commands.routing") in edges  # from silkrail.commands import routing
    assert all(_floor(m) >= 0 for m in MODULES)
    assert _floor("silkrail.routing.query") > _floor("silkrail.evidence.schema") > _floor("silkrail.network")
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [frozenset({"a", "b", "c"})]
    assert _floor("silkrail.routing.costs") < _floor("silkrail.calibration.fit")
