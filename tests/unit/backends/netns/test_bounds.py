"""A confined lab's bounds: cgroups (v2, else v1's pids and memory) or rlimits, read from a
stand-in cgroup folder (the real /sys/fs/cgroup is the integration tests')."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from labtool.backends.netns import bounds


def test_with_cgroups_a_process_joins_each_then_runs_the_command(tmp_path: Path) -> None:
    """The joining shell writes its own PID, then becomes the command (same PID)."""
    procs = [tmp_path / "a.procs", tmp_path / "b.procs"]
    argv = bounds.join_argv([str(p) for p in procs], bounds.Bounds(), ["sh", "-c", "echo $$"])
    done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=True)
    pid = done.stdout.strip()
    assert [p.read_text().strip() for p in procs] == [pid, pid]
    assert "prlimit" not in argv


def test_a_join_that_fails_does_not_run_the_command(tmp_path: Path) -> None:
    argv = bounds.join_argv(
        [str(tmp_path / "missing" / "cgroup.procs")],
        bounds.Bounds(),
        ["touch", str(tmp_path / "ran")],
    )
    assert subprocess.run(argv, capture_output=True, timeout=10).returncode != 0
    assert not (tmp_path / "ran").exists()


def test_without_cgroups_rlimits_bound_it() -> None:
    argv = bounds.join_argv([], bounds.Bounds(nproc=77, address_space_mib=512), ["true"])
    assert argv == ["prlimit", "--nproc=77", f"--as={512 * 1024 * 1024}", "--", "true"]
    done = subprocess.run(
        [*argv[:-1], "cat", "/proc/self/limits"], capture_output=True, text=True, timeout=10
    )
    processes = next(line for line in done.stdout.splitlines() if "Max processes" in line)
    assert processes.split()[2:4] == ["77", "77"], processes


@pytest.fixture
def v1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for controller in ("pids", "memory"):
        (tmp_path / controller).mkdir()
        (tmp_path / controller / "cgroup.procs").write_text("")
    monkeypatch.setattr(bounds, "CGROUP_ROOT", tmp_path)
    return tmp_path


def test_v1_cgroups_get_the_limits_and_are_found_and_removed(v1: Path) -> None:
    files = bounds.make("grade-1-0", bounds.Bounds(pids=99, memory_mib=3))
    assert files == [
        str(v1 / "pids/labtool-grade-1-0/cgroup.procs"),
        str(v1 / "memory/labtool-grade-1-0/cgroup.procs"),
    ]
    assert (v1 / "pids/labtool-grade-1-0/pids.max").read_text() == "99"
    assert (v1 / "memory/labtool-grade-1-0/memory.limit_in_bytes").read_text() == str(3 << 20)
    assert bounds.exists("grade-1-0")
    assert bounds.leftover_labs() == {"grade-1-0"}
    (v1 / "pids/labtool-grade-1-0/pids.events").write_text("max 12\n")
    (v1 / "memory/labtool-grade-1-0/memory.failcnt").write_text("0\n")
    assert bounds.hit_limits("grade-1-0") == ["processes"]
    (v1 / "memory/labtool-grade-1-0/memory.max_usage_in_bytes").write_text(str(5 << 20))
    assert bounds.memory_peak_kib("grade-1-0") == 5 * 1024
    for path in (v1 / "pids/labtool-grade-1-0", v1 / "memory/labtool-grade-1-0"):
        for child in path.iterdir():
            child.unlink()  # (a real cgroup's files go with its folder)
    bounds.remove("grade-1-0")
    assert not bounds.exists("grade-1-0")


def test_v2_is_preferred_where_it_has_the_controllers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cgroup.controllers").write_text("cpu io memory pids\n")
    (tmp_path / "cgroup.subtree_control").write_text("")
    monkeypatch.setattr(bounds, "CGROUP_ROOT", tmp_path)
    assert bounds.make("x", bounds.Bounds(pids=5)) == [str(tmp_path / "labtool-x/cgroup.procs")]
    assert (tmp_path / "labtool-x/pids.max").read_text() == "5"
    assert (tmp_path / "labtool-x/cpu.weight").read_text() == "100"  # (its own share of CPU)


def test_no_cgroup_hierarchy_means_rlimits_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bounds, "CGROUP_ROOT", tmp_path)
    assert bounds.make("x", bounds.Bounds()) == []
    assert bounds.hit_limits("x") == []
    assert bounds.memory_peak_kib("x") is None


def test_v1_gives_each_lab_its_cpu_share_where_the_machine_has_the_controller(v1: Path) -> None:
    """One lab's processes, however many, share one lab's part of the CPU (serve: a student's
    fork bomb does not slow another student's failover)."""
    (v1 / "cpu").mkdir()
    (v1 / "cpu" / "cgroup.procs").write_text("")
    files = bounds.make("class-a", bounds.Bounds(cpu_weight=50))
    assert files[-1] == str(v1 / "cpu/labtool-class-a/cgroup.procs")
    assert (v1 / "cpu/labtool-class-a/cpu.shares").read_text() == "512"
    assert bounds.leftover_labs() == {"class-a"}
