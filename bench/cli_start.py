"""Benchmark: `silkrail route Hanoi Moscow --json` as a whole process, against bare interpreter
starts measured in the same run.

One warm-up run builds what is cached (the network, landmarks, the gazetteer, bytecode, the
compiled kernels); then each command runs ``--runs`` times, interleaved so that all three see
the same machine load. Printed: the median wall time of each, and the ratios of the route
command to `python -c pass` and to `python -c "import numpy"` (numpy being the floor of any
process that touches the network's arrays). Target: the route command in at most 0.6 s.

Bytecode is written and read as in an installed package (PYTHONDONTWRITEBYTECODE is cleared
for the child processes).

    python bench/cli_start.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_S = 0.6


def route_command() -> list[str]:
    """The installed `silkrail` script beside this interpreter, else the module."""
    script = Path(sys.executable).with_name("silkrail")
    head = [str(script)] if script.exists() else [sys.executable, "-m", "silkrail.cli"]
    return [*head, "route", "Hanoi", "Moscow", "--json"]


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) time of one process, which must succeed. On a shared
    machine the CPU time varies less than the wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    commands = {
        "silkrail route Hanoi Moscow --json": route_command(),
        "python -c pass": [sys.executable, "-c", "pass"],
        'python -c "import numpy"': [sys.executable, "-c", "import numpy"],
    }
    for cmd in commands.values():
        run(cmd, env)  # warm-up: caches and bytecode
    wall: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, cmd in commands.items():
            w, c = run(cmd, env)
            wall[name].append(w)
            cpu[name].append(c)
    med = {name: statistics.median(ts) for name, ts in wall.items()}
    med_cpu = {name: statistics.median(ts) for name, ts in cpu.items()}
    print(f"{'':38s} {'wall median':>12s} {'wall min':>9s} {'cpu median':>11s}   (n={args.runs})")
    for name, m in med.items():
        print(
            f"{name:38s} {m * 1000:9.1f} ms {min(wall[name]) * 1000:6.1f} ms {med_cpu[name] * 1000:8.1f} ms"
        )
    route, bare, numpy = med.values()
    route_cpu, _, numpy_cpu = med_cpu.values()
    print(f"route / bare interpreter: {route / bare:.1f}x")
    print(f"route / numpy import:     {route / numpy:.1f}x wall, {route_cpu / numpy_cpu:.1f}x cpu")
    beyond, beyond_cpu = (route - numpy) * 1000, (route_cpu - numpy_cpu) * 1000
    print(f"route beyond numpy:       {beyond:.1f} ms wall, {beyond_cpu:.1f} ms cpu")
    verdict = "met" if route <= TARGET_S else "NOT met"
    print(f"target: route <= {TARGET_S} s: {verdict} ({route:.3f} s wall median)")


if __name__ == "__main__":
    main()
