#!/usr/bin/env python3
"""Benchmark of `labtool up` / `labtool down` on the netns backend, as a user sees them.

Runs the real command line several times and prints medians (the machines are shared and
noisy: medians, not single runs). Needs root. Usage:

    .venv/bin/python benchmarks/bench_up.py [--runs 7] [--name bench] [--webs 29]

Measures, per run, each a whole `labtool` process:
- version_s:  `labtool --version` (target <= 0.25 s);
- up_vip_s:   `labtool up`, until the VIP answers HTTP from the client node (target: VRRP's own
  start-up wait, 3 x advert_int + skew = 3.61 s, + 0.4 s for the default lab; with --webs 29,
  the 32-node lab of 2 load balancers, 29 web nodes and the client, + 0.6 s);
- up_nodes_s: `labtool up --no-wait`, until every node is up with its daemons running;
- down_s:     `labtool down`;
- memory:     PSS of all the lab's processes together (from `labtool status --json`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from labtool.spec.load import default_spec

LABTOOL = [sys.executable, "-c", "import sys; from labtool.cli import main; sys.exit(main())"]


def timed(*args: str) -> float:
    """One whole labtool process, as its console script runs it."""
    started = time.monotonic()
    done = subprocess.run(
        [*LABTOOL, *args], capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"labtool {' '.join(args)} failed:\n{done.stderr}")
    return elapsed


def lab_file(name: str, webs: int) -> list[str]:
    """--lab FILE for a lab with this many web nodes (2 are the default lab's)."""
    if webs <= 2:
        return ["--name", name]
    lines = [f'name = "{name}"']
    for i in range(3, webs + 1):
        lines.append(f'[nodes.web{i}]\nrole = "web"\naddress = "10.0.0.{30 + i}"')
    path = Path(tempfile.mkdtemp(prefix="labtool-bench-")) / "lab.toml"
    path.write_text("\n".join(lines) + "\n")
    return ["--lab", str(path)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--name", default="bench")
    parser.add_argument("--webs", type=int, default=2, help="web nodes (29: a 32-node lab)")
    options = parser.parse_args()
    spec = default_spec(options.name)
    wait_s = max(spec.vrrp.startup_wait_s(n.priority or 100) for n in spec.by_role("lb"))
    margin = 0.4 if options.webs <= 2 else 0.6
    lab = lab_file(options.name, options.webs)
    versions, nodes, vips, downs, memory = [], [], [], [], []
    subprocess.run([*LABTOOL, "down", "--name", options.name], capture_output=True)
    try:
        for run in range(options.runs):
            versions.append(timed("--version"))
            nodes.append(timed("up", "--no-wait", *lab))
            downs.append(timed("down", "--name", options.name))
            vips.append(timed("up", *lab))
            status = subprocess.run(
                [*LABTOOL, "status", "--json", "--name", options.name],
                capture_output=True,
                text=True,
            )
            memory.append(json.loads(status.stdout)["memory_kib"] / 1024)
            downs.append(timed("down", "--name", options.name))
            print(
                f"run {run + 1}: --version {versions[-1]:.2f} s, up (nodes) {nodes[-1]:.2f} s, "
                f"up (VIP answers) {vips[-1]:.2f} s, down {downs[-1]:.2f} s, memory "
                f"{memory[-1]:.1f} MiB",
                file=sys.stderr,
            )
    finally:
        subprocess.run([*LABTOOL, "down", "--name", options.name], capture_output=True)
    rows = [
        ("labtool --version", statistics.median(versions), 0.25, "s"),
        ("up until every node runs its daemons", statistics.median(nodes), None, "s"),
        ("up until the VIP answers HTTP", statistics.median(vips), wait_s + margin, "s"),
        ("down", statistics.median(downs), 1.0, "s"),
        ("memory of a running lab (PSS)", statistics.median(memory), None, "MiB"),
    ]
    print(
        f"labtool netns benchmark, {len(spec.nodes) + max(0, options.webs - 2)} nodes, "
        f"{options.runs} runs (medians); VRRP start-up wait 3 x advert_int + skew = "
        f"{wait_s:.2f} s"
    )
    for label, value, target, unit in rows:
        verdict = (
            ""
            if target is None
            else f"  target <= {target:.2f} {unit}: {'ok' if value <= target else 'MISSED'}"
        )
        print(f"  {label:<40} {value:7.2f} {unit}{verdict}")


if __name__ == "__main__":
    main()
