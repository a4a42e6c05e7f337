#!/usr/bin/env python3
"""Benchmark: one lab's state read (`labtool status --name X`, a whole process) costs the same
whatever else runs on the machine (issue 23: an instructor's page reads one lab per student).

Brings one default lab up, times `labtool status` on it alone, then with N other labs running
(bare: their nodes and holders, no daemon; as many processes as a running lab), and prints the
medians of several runs; removes every lab it made, also when interrupted. Root (the labs'
neighbour entries: `up` raises the kernel's table where N labs need it, and says so). Usage:

    .venv/bin/python benchmarks/bench_status.py [--labs 100] [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

LAB = "bench-status"
OTHERS = "bench-other-{}"


def labtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "labtool", *args], capture_output=True, text=True, check=False
    )


def status_s(runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.monotonic()
        done = labtool("status", "--name", LAB)
        times.append(time.monotonic() - started)
        if done.returncode != 0:
            sys.exit(f"labtool status failed: {done.stderr[-1000:]}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--labs", type=int, default=100)
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()
    made: list[str] = []
    try:
        up = labtool("up", "--name", LAB)
        if up.returncode != 0:
            sys.exit(f"labtool up failed: {up.stderr[-1000:]}")
        made.append(LAB)
        alone = status_s(options.runs)
        print(f"status, the lab alone: {alone:.3f} s (median of {options.runs})", flush=True)
        for index in range(options.labs):
            name = OTHERS.format(index)
            done = labtool("up", "--bare", "--name", name)
            if done.returncode != 0:
                sys.exit(f"labtool up {name} failed: {done.stderr[-1000:]}")
            made.append(name)
        with open("/proc/loadavg", encoding="ascii") as loadavg:
            running = loadavg.read().split()[3].split("/")[1]  # (every task of the machine)
        beside = status_s(options.runs)
        print(
            f"status, beside {options.labs} other labs ({running} tasks on the machine): "
            f"{beside:.3f} s (median of {options.runs}); ratio {beside / alone:.2f}",
            flush=True,
        )
    finally:
        for name in reversed(made):
            labtool("down", "--name", name)


if __name__ == "__main__":
    main()
