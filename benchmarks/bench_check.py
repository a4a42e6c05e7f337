#!/usr/bin/env python3
"""Benchmark: one `labtool check` of a student's lab as `labtool serve` runs it (in the
server's process, on a lab confined as serve makes them: its own user namespace, ids and
cgroups), bare and built: wall time and CPU (this process and the commands it waited for),
medians. Makes each lab, then removes it, also when interrupted. Root. Usage:

    .venv/bin/python benchmarks/bench_check.py [--runs 7]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from labtool.serve.placement import ThisMachine
from labtool.serve.roster import Student
from labtool.steps.run import check_lab


def cpu_s() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    placement = ThisMachine()
    for bare in (True, False):
        kind = "bare" if bare else "built"
        student = Student("bench", "Bench", "", f"bench-check-{kind}")
        placement.make(student, bare)
        try:
            check_lab(student.lab, "fr")  # (the first: imports and caches)
            walls, cpus = [], []
            for _ in range(runs):
                started, used = time.monotonic(), cpu_s()
                report = check_lab(student.lab, "fr")
                walls.append(time.monotonic() - started)
                cpus.append(cpu_s() - used)
            wall_s, used_s = statistics.median(walls), statistics.median(cpus)
            done = f"{report.done}/{len(report.steps)}"
            print(f"{kind}: {done} steps done; one check {wall_s:.3f} s, {used_s:.3f} s of CPU")
        finally:
            placement.remove(student)


if __name__ == "__main__":
    main()
