#!/usr/bin/env python3
"""Benchmark of `labtool grade` over a class of 200 file submissions (targets: median <= 15 s
on 2 cores with the daemons' checks, <= 5 s with --no-daemons; peak memory reported).

The class is built once from tests/submissions.py: the correct submission and each pitfall in
turn, half as folders and half as .tar.gz archives, each student's files made their own (a
comment with the student's name), so that no daemon check is saved by two students handing in
the same bytes. Each run is the real command line, `labtool grade CLASS --format csv`, with
and without `--no-daemons`; the script prints the medians of several runs and the largest
peak RSS of the grading process. The daemons' checks need root (or user namespaces). Usage:

    .venv/bin/python benchmarks/bench_grade.py [--runs 5] [--students 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))
from tests.submissions import PITFALLS, correct, write


def build(folder: Path, students: int) -> None:
    variants = [correct()] + [plant(correct()) for plant, _ in PITFALLS.values()]
    for index in range(students):
        name = f"student{index:03d}"
        files = {
            path: (f"# {name}\n" + text if path.endswith((".conf", ".cfg")) else text)
            for path, text in variants[index % len(variants)].items()
        }
        if index % 2:
            with (
                tarfile.open(folder / f"{name}.tar.gz", "w:gz") as tar,
                tempfile.TemporaryDirectory() as tmp,
            ):
                write(files, Path(tmp) / name)
                tar.add(Path(tmp) / name, arcname=name)
        else:
            write(files, folder / name)


def one_run(folder: Path, daemons: bool) -> tuple[float, float]:
    """Seconds, and the peak RSS (MiB) of this run's grading process."""
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child runs the command, so that its rusage is its own
        os.execv(
            sys.executable,
            [
                sys.executable,
                "-m",
                "labtool",
                "grade",
                str(folder),
                "--format",
                "csv",
                "--daemons" if daemons else "--no-daemons",
            ],
        )
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("labtool grade failed")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--students", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="labtool-bench-grade-") as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        build(folder, args.students)
        saved = os.dup(1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        results = {}
        for daemons, target in ((False, 5.0), (True, 15.0)):
            times, peaks = [], []
            for run in range(args.runs):
                os.dup2(devnull, 1)  # the CSV is not what we measure
                try:
                    elapsed, peak = one_run(folder, daemons)
                finally:
                    os.dup2(saved, 1)
                times.append(elapsed)
                peaks.append(peak)
                print(
                    f"{'daemons' if daemons else 'no daemons'} run {run + 1}: {elapsed:.2f} s, "
                    f"peak RSS {peak:.1f} MiB",
                    file=sys.stderr,
                )
            results[daemons] = (statistics.median(times), max(peaks), target)
    for daemons, (median, peak, target) in results.items():
        print(
            f"grade {args.students} submissions {'with' if daemons else 'without'} the "
            f"daemons' checks: median {median:.2f} s (target {target:g} s) over {args.runs} "
            f"runs; peak RSS max {peak:.1f} MiB"
        )


if __name__ == "__main__":
    main()
