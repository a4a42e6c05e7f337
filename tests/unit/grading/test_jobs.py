"""How many labs `grade --run` runs at once by default: by the machine's cores and memory."""

from labtool.grading import JOBS_PER_CORE, MAX_RUN_JOBS, run_jobs


def test_fifteen_labs_a_core_at_most_thirty_two() -> None:
    assert run_jobs(cores=1, available_mib=64_000) == JOBS_PER_CORE == 15
    assert run_jobs(cores=2, available_mib=64_000) == 30
    assert run_jobs(cores=16, available_mib=64_000) == MAX_RUN_JOBS


def test_a_small_machine_runs_fewer_by_its_memory() -> None:
    assert run_jobs(cores=8, available_mib=1024) == 8  # 128 MiB a lab
    assert run_jobs(cores=8, available_mib=100) == 1  # never none


def test_this_machine_gets_a_number_in_range() -> None:
    assert 1 <= run_jobs() <= MAX_RUN_JOBS
