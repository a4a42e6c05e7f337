"""The instructor's side (layer 8): lint the configs, collect a submission, grade a class."""

# `labtool grade --run`: labs at once by default. Measured on 2 cores (benchmarks/
# bench_grade_run.py, 30 submissions): 6 at once 194 s, 10 125 s, 15 94 s, every correct
# submission still graded right (VRRP kept its timing); 10 leaves a margin on a busier machine.
RUN_JOBS = 10
