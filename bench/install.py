"""Benchmark: the core install and the first route, against today's install, in the same run.

For the baseline (silkrail as it stood before its sources were packaged: commit 098aed1 by
default) and for this checkout's HEAD, each from a clean ``git archive`` into a fresh
virtualenv:
  * a cold ``pip install`` of the core (no pip cache; the wheels come from the package index):
    wall time, peak memory of pip and everything it ran (the largest process), and the size of
    site-packages;
  * the first route, ``silkrail route Hanoi Moscow --mode rail``, in an empty cache (so it
    builds the network): wall time;
  * cold install + first route, against the 60 s target.
Then HEAD builds the network a second time from the published releases themselves (scgraph-data
2.0.0's module, searoute 1.6.0's GeoJSON, downloaded to .venv/reference by make install) and the
two networks are compared array by array and record by record: the packaged sources must give
the network the releases give. (The baseline's own network differs by the curated data added
since, so it is not the reference.) Last, a second virtualenv of HEAD routes with the first
one's cache: it must read the network, not build it, and the cache must not grow by a network.

Targets: core install <= 300 MB, peak install memory <= 1 GB, cold install + first route
<= 60 s, networks identical, the second virtualenv's route a cache hit. The figures print as
ratios to the baseline too, since the machine is shared and noisy.

    python bench/install.py [--baseline 098aed1] [--skip-baseline] [--identity-only]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# runs pip in a child and reports the child's peak RSS: a process of its own per measurement,
# since RUSAGE_CHILDREN keeps the largest child a process ever waited for
MEASURED_PIP = textwrap.dedent("""
    import json, resource, subprocess, sys, time
    t = time.perf_counter()
    rc = subprocess.run(sys.argv[1:]).returncode
    dt = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"rc": rc, "seconds": dt, "peak_mb": peak}))
""")


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SILKRAIL_") and k != "PYTHONPATH"}
    env.update(SILKRAIL_HOME=str(home), PIP_NO_CACHE_DIR="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


def _tree(rev: str, where: Path) -> Path:
    where.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", rev], cwd=REPO, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(where)], input=archive, check=True)
    return where


def _size_mb(env_dir: Path) -> float:
    site = next((env_dir / "lib").glob("python3*/site-packages"))
    return sum(p.stat().st_size for p in site.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


def _dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def install_and_route(label: str, source: Path, work: Path, home: Path) -> dict[str, float | str]:
    env_dir = work / f"venv-{label}"
    venv.create(env_dir, with_pip=True)
    py = str(env_dir / "bin" / "python")
    env = _env(home)
    empty = _size_mb(env_dir)  # the virtualenv's own pip and setuptools
    out = subprocess.run(
        [py, "-c", MEASURED_PIP, py, "-m", "pip", "install", "--quiet", str(source)],
        env=env, capture_output=True, text=True,
    )
    pip = json.loads(out.stdout.strip().splitlines()[-1])
    if pip["rc"] != 0:
        raise SystemExit(f"{label}: pip install failed\n{out.stderr[-2000:]}")
    t = time.perf_counter()
    route = subprocess.run(
        [str(env_dir / "bin" / "silkrail"), "route", "Hanoi", "Moscow", "--mode", "rail", "--json"],
        env=env, capture_output=True, text=True, cwd=work,
    )
    first_route = time.perf_counter() - t
    if route.returncode != 0:
        raise SystemExit(f"{label}: route failed\n{route.stderr[-2000:]}")
    return {
        "install_s": pip["seconds"],
        "peak_mb": pip["peak_mb"],
        "size_mb": _size_mb(env_dir),
        "added_mb": _size_mb(env_dir) - empty,
        "first_route_s": first_route,
        "km": json.loads(route.stdout)["distance_km"],
        "python": py,
    }


COMPARE = textwrap.dedent("""
    import json, sys
    import numpy as np
    from silkrail.network.model import EDGE_ARRAYS, GEOM_ARRAYS, NODE_ARRAYS, RECORD_TYPES
    from silkrail.network.store import load_network_file
    a, b = (load_network_file(p) for p in sys.argv[1:3])
    diff = [k for k in (*NODE_ARRAYS, *EDGE_ARRAYS, *GEOM_ARRAYS)
            if getattr(a, k).dtype != getattr(b, k).dtype or not np.array_equal(getattr(a, k), getattr(b, k))]
    diff += [t for t in RECORD_TYPES if getattr(a, t) != getattr(b, t)]
    diff += ["names"] * (a.names != b.names) + ["countries"] * (a.countries != b.countries)
    print(json.dumps({"nodes": a.n_nodes, "edges": a.n_edges, "differ": diff}))
""")


def identity(python: str, work: Path) -> str:
    """Build the network from the packaged sources and from the releases, with ``python``'s
    silkrail, and compare them."""
    sys.path.insert(0, str(REPO / "scripts"))
    import reference

    if not reference.available():
        return "network identity: not checked (run python scripts/reference.py first)"
    homes = {k: work / f"identity-{k}" for k in ("packaged", "releases")}
    env = _env(homes["packaged"])
    build = [python, "-c", "import silkrail; silkrail.load_network()"]
    subprocess.run(build, env=env, check=True, cwd=work)
    env = _env(homes["releases"])
    env.update(
        SILKRAIL_RAIL_FILE=str(reference.path_of("rail")),
        SILKRAIL_SEA_FILE=str(reference.path_of("sea")),
        SILKRAIL_PORTS_FILE=str(reference.path_of("ports")),
    )
    subprocess.run(build, env=env, check=True, cwd=work)
    nets = [next(homes[k].glob("network-*.npz")) for k in ("packaged", "releases")]
    out = subprocess.run([python, "-c", COMPARE, *map(str, nets)], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    same = "identical (every array, record and name)" if not result["differ"] else (
        f"DIFFERENT in {', '.join(result['differ'])}"
    )
    return (
        f"network from the packaged sources vs from the releases: {result['nodes']:,} nodes, "
        f"{result['edges']:,} edges; {same}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", default="098aed1", help="the git revision of today's install")
    parser.add_argument("--skip-baseline", action="store_true", help="measure HEAD only")
    parser.add_argument("--identity-only", action="store_true", help="compare the networks only (this venv)")
    args = parser.parse_args()
    if args.identity_only:
        with tempfile.TemporaryDirectory(prefix="silkrail-identity-") as tmp:
            print(identity(sys.executable, Path(tmp)))
        return
    with tempfile.TemporaryDirectory(prefix="silkrail-install-") as tmp:
        work = Path(tmp)
        runs: dict[str, dict[str, float | str]] = {}
        homes = {}
        for label, rev in ([] if args.skip_baseline else [("baseline", args.baseline)]) + [("head", "HEAD")]:
            print(f"{label} ({rev}): cold pip install of the core, then the first route ...", flush=True)
            homes[label] = work / f"home-{label}"
            runs[label] = install_and_route(label, _tree(rev, work / f"src-{label}"), work, homes[label])
        print()
        print(f"{'':<34}{'baseline':>12}{'head':>12}{'ratio':>8}  target")
        rows = [
            ("cold pip install (s)", "install_s", None),
            ("peak memory during install (MB)", "peak_mb", 1000.0),
            ("core site-packages (MB)", "size_mb", 300.0),
            ("  of which pip install added (MB)", "added_mb", None),
            ("first route, network built (s)", "first_route_s", None),
        ]
        for label, key, target in rows:
            base = runs.get("baseline", {}).get(key)
            head = float(runs["head"][key])
            ratio = f"{head / float(base):.2f}" if base else "-"
            base_s = f"{float(base):.1f}" if base else "-"
            goal = f"<= {target:.0f}: {'met' if head <= target else 'NOT met'}" if target else ""
            print(f"{label:<34}{base_s:>12}{head:>12.1f}{ratio:>8}  {goal}")
        total = float(runs["head"]["install_s"]) + float(runs["head"]["first_route_s"])
        base = runs.get("baseline")
        base_total = float(base["install_s"]) + float(base["first_route_s"]) if base else 0.0
        ratio = f"{total / base_total:.2f}" if base_total else "-"
        base_s = f"{base_total:.1f}" if base_total else "-"
        print(f"{'cold install + first route (s)':<34}{base_s:>12}{total:>12.1f}{ratio:>8}  "
              f"<= 60: {'met' if total <= 60 else 'NOT met'}")
        print(identity(str(runs["head"]["python"]), work))
        if "baseline" in runs:
            km = (float(runs[k]["km"]) for k in ("baseline", "head"))
            print("Hanoi -> Moscow by rail: {:,.1f} km (baseline), {:,.1f} km (head)".format(*km))
        # a second virtualenv of the same release, on the first one's cache
        home = homes["head"]
        before_mb, before = _dir_mb(home), sorted(p.name for p in home.glob("network-*.npz"))
        second = work / "venv-second"
        venv.create(second, with_pip=True)
        env = _env(home)
        env.pop("PIP_NO_CACHE_DIR")  # pip may use its cache here: the cache measured is silkrail's
        pip = [str(second / "bin" / "python"), "-m", "pip", "install", "--quiet", str(work / "src-head")]
        subprocess.run(pip, env=env, check=True)
        t = time.perf_counter()
        route = [str(second / "bin" / "silkrail"), "route", "Hanoi", "Moscow", "--mode", "rail"]
        subprocess.run(route, env=env, capture_output=True, check=True, cwd=work)
        dt = time.perf_counter() - t
        after = sorted(p.name for p in home.glob("network-*.npz"))
        print(f"second virtualenv, same cache: first route {dt:.1f} s "
              f"({dt / float(runs['head']['first_route_s']):.2f} of the first virtualenv's); "
              f"network files {before} -> {after} ({'reused' if after == before else 'REBUILT'}); "
              f"cache {before_mb:.0f} -> {_dir_mb(home):.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
