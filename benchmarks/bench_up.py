#!/usr/bin/env python3
"""Benchmark of `labtool up` / `labtool down` on the netns backend, as a user sees them.

Runs the real command line several times and prints medians (the machines are shared and
noisy: medians, not single runs). Needs root. Usage:

    .venv/bin/python benchmarks/bench_up.py [--runs 7] [--name bench]

Measures, per run:
- up_nodes_s: `labtool up --no-wait`, until every node is up with its daemons running;
- up_vip_s:   `labtool up`, until the VIP answers HTTP from the client node;
- down_s:     `labtool down`;
- memory:     PSS of all the lab's processes together (from `labtool status --json`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

from labtool.spec.load import default_spec


def timed(*args: str) -> float:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "labtool", *args], capture_output=True,
                          text=True, stdin=subprocess.DEVNULL)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"labtool {' '.join(args)} failed:\n{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--name", default="bench")
    options = parser.parse_args()
    spec = default_spec(options.name)
    wait_s = max(spec.vrrp.startup_wait_s(n.priority or 100) for n in spec.by_role("lb"))
    nodes, vips, downs, memory = [], [], [], []
    subprocess.run([sys.executable, "-m", "labtool", "down", "--name", options.name],
                   capture_output=True)
    try:
        for run in range(options.runs):
            nodes.append(timed("up", "--no-wait", "--name", options.name))
            downs.append(timed("down", "--name", options.name))
            vips.append(timed("up", "--name", options.name))
            status = subprocess.run([sys.executable, "-m", "labtool", "status", "--json",
                                     "--name", options.name], capture_output=True, text=True)
            memory.append(json.loads(status.stdout)["memory_kib"] / 1024)
            downs.append(timed("down", "--name", options.name))
            print(f"run {run + 1}: up (nodes) {nodes[-1]:.2f} s, up (VIP answers) "
                  f"{vips[-1]:.2f} s, down {downs[-1]:.2f} s, memory {memory[-1]:.1f} MiB",
                  file=sys.stderr)
    finally:
        subprocess.run([sys.executable, "-m", "labtool", "down", "--name", options.name],
                       capture_output=True)
    rows = [
        ("up until every node runs its daemons", statistics.median(nodes), 1.0, "s"),
        ("up until the VIP answers HTTP", statistics.median(vips), wait_s + 0.5, "s"),
        ("down", statistics.median(downs), 1.0, "s"),
        ("memory of a running lab (PSS)", statistics.median(memory), None, "MiB"),
    ]
    print(f"labtool netns benchmark, {options.runs} runs (medians); VRRP startup wait "
          f"3 x advert_int + skew = {wait_s:.2f} s")
    for label, value, target, unit in rows:
        verdict = "" if target is None else \
            f"  target <= {target:.2f} {unit}: {'ok' if value <= target else 'MISSED'}"
        print(f"  {label:<40} {value:7.2f} {unit}{verdict}")


if __name__ == "__main__":
    main()
