#!/usr/bin/env python3
"""Benchmark of `labtool tp` on the netns backend: the whole lab, end to end.

Runs `labtool tp` several times on a fresh cluster each time (then `labtool down`) and prints
medians: the total time, the waits the protocols impose (VRRP's startup wait, HAProxy's
detection and recovery, VRRP's takeover), and labtool's own overhead (the rest). Needs root.

    .venv/bin/python benchmarks/bench_tp.py [--runs 5]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile

LINE = re.compile(r"tp: ([\d.]+) s in all, ([\d.]+) s of waits .* overhead ([\d.]+) s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--name", default="bench-tp")
    options = parser.parse_args()
    labtool = [sys.executable, "-m", "labtool"]
    totals, waits, overheads = [], [], []
    subprocess.run([*labtool, "down", "--name", options.name], capture_output=True)
    for run in range(options.runs):
        with tempfile.TemporaryDirectory() as folder:
            try:
                done = subprocess.run(
                    [*labtool, "tp", "--name", options.name, "-o", f"{folder}/report.md"],
                    capture_output=True,
                    text=True,
                    stdin=subprocess.DEVNULL,
                )
            finally:
                subprocess.run([*labtool, "down", "--name", options.name], capture_output=True)
        match = LINE.search(done.stdout)
        if done.returncode != 0 or not match:
            raise SystemExit(f"labtool tp failed:\n{done.stdout}\n{done.stderr}")
        total, wait, overhead = map(float, match.groups())
        totals.append(total)
        waits.append(wait)
        overheads.append(overhead)
        print(
            f"run {run + 1}: {total:.1f} s, waits {wait:.1f} s, overhead {overhead:.1f} s "
            f"({100 * overhead / total:.0f} %)",
            file=sys.stderr,
        )
    total, overhead = statistics.median(totals), statistics.median(overheads)
    share = statistics.median(o / t for o, t in zip(overheads, totals, strict=True))
    print(f"labtool tp benchmark, {options.runs} runs (medians)")
    print(
        f"  tp end to end            {total:6.1f} s   target <= 30 s: "
        f"{'ok' if total <= 30 else 'MISSED'}"
    )
    print(f"  waits the protocols impose {statistics.median(waits):4.1f} s")
    print(
        f"  labtool's own overhead   {overhead:6.1f} s = {100 * share:.0f} %   target <= 10 %: "
        f"{'ok' if share <= 0.10 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
