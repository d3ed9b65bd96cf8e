"""Benchmark: network build (time, peak memory) and load, against a named baseline.

Baseline for loading: reading the raw railway graph the build starts from out of its published
release (scgraph-data 2.0.0's module, parsed as text; ``make install`` downloads it to
``.venv/reference``). A second line compares that with reading the package's packed copy of
the same graph (the build's first step). Both are timed in fresh child processes in this same
run; the printed figures are ratios, since absolute seconds drift on a shared machine.

    python bench/build_and_load.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap

BUILD = textwrap.dedent("""
    import json, resource, time
    from silkrail.network.store import build_and_save, network_path
    from silkrail.network.inputs import inputs_fingerprint
    from silkrail.settings import get_settings
    s = get_settings()
    t = time.perf_counter()
    net = build_and_save(s, network_path(s.home, inputs_fingerprint(s)[0]), progress=False)
    dt = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": dt, "peak_mb": rss, "nodes": net.n_nodes, "edges": net.n_edges}))
""")

LOAD = textwrap.dedent("""
    import json, time
    t = time.perf_counter()
    import silkrail
    net = silkrail.load_network(progress=False)
    print(json.dumps({"seconds": time.perf_counter() - t, "nodes": net.n_nodes}))
""")

BASELINE = textwrap.dedent("""
    import json, sys, time
    sys.path.insert(0, "scripts")
    import reference
    from silkrail.network.sources import read_rail
    t = time.perf_counter()
    raw = read_rail(reference.path_of("rail"))
    print(json.dumps({"seconds": time.perf_counter() - t, "nodes": len(raw.lat)}))
""")

PACKED = textwrap.dedent("""
    import json, time
    from silkrail.network.sources import read_rail
    t = time.perf_counter()
    raw = read_rail()
    print(json.dumps({"seconds": time.perf_counter() - t, "nodes": len(raw.lat)}))
""")


def run(code: str, env: dict[str, str]) -> dict:
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "SILKRAIL_HOME": home}
        build = run(BUILD, env)
        print(
            f"build: {build['seconds']:.1f} s, peak RSS {build['peak_mb']:.0f} MB, "
            f"{build['nodes']:,} nodes, {build['edges']:,} edges "
            f"(targets: < 60 s, < 3000 MB) -> time {build['seconds'] / 60:.2f} of target, "
            f"memory {build['peak_mb'] / 3000:.2f} of target"
        )
        loads, bases, packs = [], [], []
        for _ in range(args.repeat):
            loads.append(run(LOAD, env)["seconds"])
            bases.append(run(BASELINE, env)["seconds"])
            packs.append(run(PACKED, env)["seconds"])
        load, base, pack = statistics.median(loads), statistics.median(bases), statistics.median(packs)
        print(f"load_network(): median {load * 1000:.0f} ms over {args.repeat} runs (target < 300 ms)")
        print(f"baseline: the raw railway graph, scgraph-data 2.0.0's module: median {base * 1000:.0f} ms")
        print(f"ratio baseline / load_network = {base / load:.1f}x (target >= 2x)")
        print(
            f"the same raw graph from the package's packed copy: median {pack * 1000:.0f} ms, "
            f"ratio baseline / packed = {base / pack:.1f}x"
        )


if __name__ == "__main__":
    main()
