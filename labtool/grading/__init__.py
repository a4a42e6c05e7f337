"""The instructor's side (layer 8): lint the configs, collect a submission, grade a class."""

# `labtool grade --run`: labs at once by default (2 cores hold this many without VRRP
# missing its adverts: benchmarks/bench_grade_run.py)
RUN_JOBS = 6
