"""The instructor's side (layer 8): lint the configs, collect a submission, grade a class.

Its rooms:
- `lint/`: what goes wrong in a lab's configs (a public base, one module of rules per subject,
  the daemons' own checks, what keeps a submission from being run);
- `submission/`: a student's work read in (archives unpacked safely, its own plan of nodes and
  addresses, its answer sheet, `labtool collect`);
- `score/`: the rubric, a grade and its reasons, the class's exports;
- `run/`: grading by running (`labtool grade --run`): each submission's own cluster, confined,
  broken and measured;
- `commands.py`: what the instructor's commands do, as library calls.
"""

import os

# `labtool grade --run`: labs at once by default, by the machine. A lab mostly waits on the
# protocols' timers (35 s of which about 3 s of CPU, its client at 25 requests a second):
# measured on 2 cores (benchmarks/bench_grade_run.py, 30 submissions), 10 at once 126 s, 15
# 97 s, 20 96 s, 30 77 s, every correct submission still graded right (VRRP kept its
# timing). JOBS_PER_CORE keeps the labs' CPU near half the machine; the memory bound keeps
# a small machine's RAM (a lab peaks near 45 MiB) well clear.
JOBS_PER_CORE = 15
LAB_MEMORY_BUDGET_MIB = 128
MAX_RUN_JOBS = 32


def run_jobs(cores: int | None = None, available_mib: int | None = None) -> int:
    """Labs at once for `grade --run` on this machine (its cores, its available memory)."""
    if cores is None:
        affinity = getattr(os, "sched_getaffinity", None)  # (Linux; elsewhere every core)
        cores = len(affinity(0)) if affinity else (os.cpu_count() or 1)
    available_mib = available_mib if available_mib is not None else _available_mib()
    by_memory = available_mib // LAB_MEMORY_BUDGET_MIB if available_mib else MAX_RUN_JOBS
    return max(1, min(MAX_RUN_JOBS, JOBS_PER_CORE * max(1, cores), by_memory))


def _available_mib() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return None
