#!/usr/bin/env python3
"""Benchmark of `labtool up` as a normal user beside root's, same run: a user's lab lives in a
user namespace of its own (newuidmap, its range of ids) where root's maps a block of unused
ids; the cost of either should be the same.

Makes a normal user for the run (tests/student.py: useradd, labtool from a plain pip install
into its own venv, run through setpriv), then alternates root's `up` and the user's, each
followed by its `down`, and prints medians (the machines are shared and noisy). The user and
all it made are removed at the end. Needs root (to make the user). Usage:

    .venv/bin/python benchmarks/bench_rootless.py [--runs 7]

Measures, per run, each a whole `labtool` process:
- up_nodes_s: `labtool up --no-wait`, until every node is up with its daemons running;
- up_vip_s:   `labtool up`, until the VIP answers HTTP from the client node;
- memory:     PSS of all the lab's processes (`labtool status --json`).
Target: the user's medians within 0.2 s of root's.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from tests.student import Done, make, remove

ROOT = [sys.executable, "-m", "labtool"]
NAME = "bench-rootless"


def as_root(*args: str) -> Done:
    done = subprocess.run([*ROOT, *args], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    return Done(done.returncode, done.stdout, done.stderr)


def timed(run: Callable[..., Done], *args: str) -> float:
    started = time.monotonic()
    done = run(*args)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"labtool {' '.join(args)} failed:\n{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()
    student = make("lt-bench")
    found: dict[str, dict[str, list[float]]] = {
        who: {"nodes": [], "vip": [], "memory": []} for who in ("root", "user")
    }
    try:
        for run in range(options.runs):
            for who, labtool in (("root", as_root), ("user", student.labtool)):
                found[who]["nodes"].append(timed(labtool, "up", "--no-wait", "--name", NAME))
                timed(labtool, "down", "--name", NAME)
                found[who]["vip"].append(timed(labtool, "up", "--name", NAME))
                status = labtool("status", "--json", "--name", NAME)
                found[who]["memory"].append(json.loads(status.stdout)["memory_kib"] / 1024)
                timed(labtool, "down", "--name", NAME)
            print(
                f"run {run + 1}: "
                + "; ".join(
                    f"{who} up (nodes) {v['nodes'][-1]:.2f} s, up (VIP) {v['vip'][-1]:.2f} s"
                    for who, v in found.items()
                ),
                file=sys.stderr,
            )
    finally:
        as_root("down", "--name", NAME)
        remove(student)
    print(f"labtool up, root's lab and a normal user's, {options.runs} runs each (medians)")
    for key, label, unit in (
        ("nodes", "up until every node runs its daemons", "s"),
        ("vip", "up until the VIP answers HTTP", "s"),
        ("memory", "memory of a running lab (PSS)", "MiB"),
    ):
        root = statistics.median(found["root"][key])
        user = statistics.median(found["user"][key])
        met = "ok" if abs(user - root) <= 0.2 else "MISSED"
        verdict = "" if unit != "s" else f"  target: within 0.20 s of root's: {met}"
        print(f"  {label:<38} root {root:6.2f} {unit}  user {user:6.2f} {unit}{verdict}")


if __name__ == "__main__":
    main()
