"""Extras match imports: every third-party import in ``src`` is declared in pyproject.toml, the
optional ones only under the extra ``silkrail.extras`` names, and the core works without them."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from silkrail.errors import MissingExtraError
from silkrail.extras import EXTRA_OF, needs_extra

REPO = Path(__file__).parent.parent
SRC = REPO / "src" / "silkrail"
# module name -> distribution name where the two differ
DIST_OF = {"yaml": "pyyaml", "distributed": "dask", "google": "gtfs-realtime-bindings"}


def _requirements() -> tuple[set[str], dict[str, set[str]]]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]

    def names(reqs: list[str]) -> set[str]:
        return {re.split(r"[\[<>=!~; ]", r, maxsplit=1)[0].lower() for r in reqs}

    return names(project["dependencies"]), {k: names(v) for k, v in project["optional-dependencies"].items()}


def _third_party_imports() -> list[tuple[Path, int, str, bool]]:
    """(file, line, top-level module, imported at module level) for every import in src."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top_level = {id(n) for n in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                mods = [node.module]
            else:
                continue
            for mod in mods:
                top = mod.split(".")[0]
                if top in sys.stdlib_module_names or top in ("silkrail", "__future__"):
                    continue
                found.append((path.relative_to(SRC), node.lineno, top, id(node) in top_level))
    return found


def test_every_third_party_import_is_declared_core_or_in_its_extra() -> None:
    """A package imported in src is a core dependency, or it is in ``EXTRA_OF`` and that extra of
    pyproject.toml installs it; an optional package imported at module level only in the modules
    of the feature that needs it (the service and the tracking store)."""
    core, extras = _requirements()
    imports = _third_party_imports()
    assert {"numpy", "fastapi", "httpx"} <= {m for _, _, m, _ in imports}  # the scan sees imports
    for path, line, mod, at_top in imports:
        dist = DIST_OF.get(mod, mod).lower()
        if dist in core:
            continue
        where = f"src/silkrail/{path} line {line}: {mod}"
        assert mod in EXTRA_OF, f"{where} is neither a core dependency nor in silkrail.extras.EXTRA_OF"
        assert dist in extras[EXTRA_OF[mod]], f"{where}: the extra '{EXTRA_OF[mod]}' does not install {dist}"
        if at_top:
            assert path.parts[0] in ("service", "tracking"), (
                f"{where} is optional: import it where it is used"
            )


def test_needs_extra_names_the_extra_and_passes_other_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    """A missing optional package becomes MissingExtraError (an ImportError) naming the pip
    command; a missing package silkrail does not know is left as it was."""
    monkeypatch.setitem(sys.modules, "httpx", None)  # import httpx now fails as if not installed
    wanted = r"silkrail replay needs .*'httpx'.*silkrail\[service\]"
    with pytest.raises(MissingExtraError, match=wanted), needs_extra("silkrail replay"):
        import httpx  # noqa: F401
    with pytest.raises(ModuleNotFoundError) as info, needs_extra("x"):
        import silkrail_no_such_module  # type: ignore[import-not-found]  # noqa: F401
    assert not isinstance(info.value, MissingExtraError)


def _without_extras(code: str) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh Python where no optional package can be imported."""
    prelude = f"import sys\nfor m in {sorted(EXTRA_OF)!r}: sys.modules[m] = None\n"
    env = os.environ | {"PYTHONPATH": str(REPO / "src")}
    return subprocess.run(
        [sys.executable, "-c", prelude + code], env=env, capture_output=True, text=True, timeout=600
    )


def test_the_core_imports_without_extras_and_serve_names_its_extra(tmp_path: Path) -> None:
    """Without any optional package every module outside the service and the tracking store
    imports (the CLI, the build, routing, simulation, maps and charts); serve and replay stop with
    one line naming the extra to install (exit 1), not a traceback."""
    core = sorted(
        ".".join(("silkrail", *p.relative_to(SRC).with_suffix("").parts)).removesuffix(".__init__")
        for p in SRC.rglob("*.py")
        if p.relative_to(SRC).parts[0] not in ("service", "tracking")
    )
    assert "silkrail.cli" in core and "silkrail.routing.router" in core
    r = _without_extras(f"import importlib\nfor m in {core!r}: importlib.import_module(m)\n")
    assert r.returncode == 0, r.stderr[-2000:]
    for args in (["serve", "--port", "0"], ["replay", str(tmp_path / "feed.jsonl"), "--token", "t"]):
        r = _without_extras(f"from silkrail.cli import main\nsys.argv = ['silkrail', *{args!r}]\nmain()\n")
        assert r.returncode == 1, (args, r.stderr[-2000:])
        assert "pip install 'silkrail[service]'" in r.stderr and "Traceback" not in r.stderr, r.stderr
