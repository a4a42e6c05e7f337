"""A student's lab placed on this machine (serve's placement, issue 23 part 8): made bare, up,
reached by the instructor's own `labtool exec --name class-ID`, made again without a change,
removed with all it made."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from labtool.backends.netns import bounds, keep, procs, teardown
from labtool.provision.lab import open_lab
from labtool.serve.placement import ThisMachine
from labtool.serve.roster import Student
from tests.integration.conftest import Baseline, labtool

STUDENT = Student("it-1", "Ines Test", "", "it-place")


def test_a_students_lab_on_this_machine(baseline: Baseline) -> None:
    placement = ThisMachine()
    assert not placement.running(STUDENT)
    try:
        placement.make(STUDENT, bare=True)
        assert placement.running(STUDENT)
        assert STUDENT.lab == "class-it-place"
        run = labtool("exec", "--name", STUDENT.lab, "haproxy1", "--", "hostname")
        assert run.returncode == 0 and run.stdout.strip() == "haproxy1", run.stderr
        status = labtool("status", "--name", STUDENT.lab, "--json")
        assert '"phase": "up"' in status.stdout
        _confined_shell(STUDENT.lab)
        placement.make(STUDENT, bare=True)  # (up already: nothing done, no error)
        assert placement.running(STUDENT)
    finally:
        placement.remove(STUDENT)
    assert not placement.running(STUDENT)
    assert procs.lab_marked(STUDENT.lab) == {}


def _confined_shell(name: str) -> None:
    """The node's shell a student's terminal runs: in the lab's cgroups (its memory and
    processes bounded), as a root that is nobody on this machine."""
    _, _, backend = open_lab(name)
    argv, env = backend.shell_argv("haproxy1")
    shell = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)  # fmt: skip
    assert shell.stdin and shell.stdout
    try:
        shell.stdin.write("id -u; cat /proc/self/cgroup; echo ready\n")
        shell.stdin.flush()
        lines = [shell.stdout.readline() for _ in range(12)]
        assert "0\n" in lines, lines  # root in the node
        for folder in bounds.cgroup_dirs(name):
            assert any(line.endswith(f"/{folder.name}\n") for line in lines), (folder, lines)
        bash = [pid for pid in bounds.pids(name) if _parent(pid) == shell.pid]
        assert len(bash) == 1, bash  # (nsenter's child: the node's shell, in the lab's cgroups)
        assert _uid(bash[0]) not in (None, 0)  # ... its root is nobody on this machine
    finally:
        shell.communicate("exit\n", timeout=20)


def _uid(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return int(next(x for x in status.splitlines() if x.startswith("Uid:")).split()[1])


def _stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command's name (state, parent...); none once
    the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return []


def _parent(pid: int) -> int | None:
    fields = _stat(pid)
    return int(fields[1]) if len(fields) > 1 else None


def test_a_labs_processes_are_stopped_while_its_work_is_copied(
    baseline: Baseline, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Kept as root: no process of the student's may swap a file for a link to this
    machine's files while it is read, so every one is stopped (SIGSTOP) during the copy, and
    goes on after it."""
    placement = ThisMachine()
    seen: dict[int, str | None] = {}
    copy = keep._copy

    def copy_watched(*args: Any, **kwargs: Any) -> int:
        seen.update({pid: _state(pid) for pid in teardown.lab_pids(STUDENT.lab)})
        return copy(*args, **kwargs)

    monkeypatch.setattr(keep, "_copy", copy_watched)
    try:
        placement.make(STUDENT, bare=True)
        assert placement.keep(STUDENT, tmp_path / "kept") > 0
        assert seen and {s for s in seen.values() if s is not None} == {"T"}, seen
        after = {_state(pid) for pid in teardown.lab_pids(STUDENT.lab)} - {None}
        assert after and "T" not in after, after
        assert (tmp_path / "kept" / "nodes" / "haproxy1" / "etc").is_dir()
        assert not (tmp_path / "kept" / "nodes" / "haproxy1" / "run").exists()
    finally:
        placement.remove(STUDENT)


def _state(pid: int) -> str | None:
    fields = _stat(pid)
    return fields[0] if fields else None
