#!/usr/bin/env python3
"""Benchmark of `labtool grade --run` over a class of 30 submissions (target: median <= 90 s on
2 cores, labtool's default labs at once; memory per lab reported). Root (the labs are netns labs).

The class is built from tests/submissions.py: the correct submission every third student, the
others the pitfalls whose behaviour differs (VRID, VIP, track_script, checks, one server, port),
then the others in turn. Each run is the real command line, `labtool grade CLASS --run --jobs N
--format json`; the script prints the median wall time of several runs, each lab's memory
(median and largest), and checks what a correct submission must show, so that a --jobs that
breaks VRRP's timing is seen here, not only as a slower run. Usage:

    .venv/bin/python benchmarks/bench_grade_run.py [--runs 3] [--students 30] [--jobs N]
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

sys.path.insert(0, str(Path(__file__).parents[1]))
from tests.submissions import PITFALLS, correct, write

BEHAVING = (
    "vrid-differs",
    "vip-differs",
    "track-undefined",
    "no-check",
    "web-missing",
    "frontend-port",
)


def build(folder: Path, students: int) -> dict[str, str]:
    others = [n for n in PITFALLS if n not in BEHAVING]
    order = [*BEHAVING, *others]
    kinds: dict[str, str] = {}
    for index in range(students):
        name = f"student{index:02d}"
        kind = "correct" if index % 3 == 0 else order[(index - index // 3 - 1) % len(order)]
        files = correct() if kind == "correct" else PITFALLS[kind][0](correct())
        write(files, folder / name)
        kinds[name] = kind
    return kinds


def one_run(folder: Path, jobs: int | None) -> tuple[float, list[dict[str, object]]]:
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "labtool",
            "grade",
            str(folder),
            "--run",
            *(["--jobs", str(jobs)] if jobs else []),
            "--format",
            "json",
            "--lang",
            "en",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    took = time.monotonic() - started
    if done.returncode != 0:
        sys.exit(f"labtool grade --run failed ({done.returncode}): {done.stderr[-2000:]}")
    return took, json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=None, help="default: labtool's own")
    options = parser.parse_args()
    times, memory = [], []
    with tempfile.TemporaryDirectory(prefix="bench-grade-run-") as tmp:
        kinds = build(Path(tmp), options.students)
        for run in range(options.runs):
            took, grades = one_run(Path(tmp), options.jobs)
            times.append(took)
            wrong = []
            for grade in grades:
                b = grade["behaviour"]
                memory += [b["memory_kib"]] if b.get("memory_kib") else []
                if kinds[str(grade["submission"])] == "correct":
                    lost = [
                        c["id"]
                        for c in grade["criteria"]
                        if str(c["id"]).startswith("run-") and c["points"] < c["max"]
                    ]
                    if lost or b.get("error"):
                        wrong.append(f"{grade['submission']}: {lost} {b.get('error') or ''}")
            jobs = options.jobs or "default"
            print(
                f"run {run + 1}: {took:.1f} s for {len(grades)} submissions (jobs {jobs}); "
                f"correct ones graded wrong: {wrong or 'none'}",
                flush=True,
            )
    print(f"median: {statistics.median(times):.1f} s (target <= 90 s) over {options.runs} runs")
    print(
        f"memory per lab: median {statistics.median(memory) / 1024:.1f} MiB, "
        f"largest {max(memory) / 1024:.1f} MiB"
    )


if __name__ == "__main__":
    main()
