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

# `labtool grade --run`: labs at once by default. Measured on 2 cores (benchmarks/
# bench_grade_run.py, 30 submissions): 6 at once 194 s, 10 125 s, 15 94 s, every correct
# submission still graded right (VRRP kept its timing); 10 leaves a margin on a busier machine.
RUN_JOBS = 10
