"""Finding a lab's processes again from /proc alone (what `down` relies on after a kill -9)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from labtool.backends.netns import procs


def test_marked_processes_are_found_and_others_are_not() -> None:
    env = {**os.environ, "LABTOOL_LAB": "unit-marked", "LABTOOL_NODE": "web1"}
    child = subprocess.Popen(["sleep", "30"], env=env)
    other = subprocess.Popen(["sleep", "30"], env={**os.environ, "LABTOOL_LAB": "unit-marked2"})
    try:
        assert procs.lab_marked("unit-marked") == {child.pid: "web1"}
        assert "unit-marked" in procs.labs_running()
        ticks = procs.start_ticks(child.pid)
        assert ticks is not None and procs.alive(child.pid, ticks)
        assert not procs.alive(child.pid, ticks + 1)
        assert procs.pss_kib([child.pid]) > 0
    finally:
        for proc in (child, other):
            proc.kill()
            proc.wait()
    assert procs.lab_marked("unit-marked") == {}


def test_a_command_left_by_a_killed_labtool_is_found(tmp_path: Path) -> None:
    """A stand-in for nsenter (this machine's sleep under that name), marked with the lab, in
    a session of its own: counted once its labtool is gone, not while it lives, and a probe
    (no session of its own) never."""
    nsenter = tmp_path / "nsenter"
    shutil.copy(shutil.which("sleep") or "/bin/sleep", nsenter)
    env = {**os.environ, "LABTOOL_LAB": "unit-left", "LABTOOL_NODE": "haproxy2"}
    # its labtool alive: a parent whose command line says labtool
    living = subprocess.Popen(["sh", "-c", f"setsid {nsenter} 30 -- & wait", "labtool"], env=env)
    probe = subprocess.Popen([str(nsenter), "30"], env=env)  # (this test's child: no session)
    try:
        wait_for(lambda: len(procs.lab_marked("unit-left")) == 3)
        assert procs.commands_left("unit-left") == {}
        # its labtool killed: the command is another's child now, still running
        script = f"setsid {nsenter} 30 -- >/dev/null 2>&1 & echo $!"
        orphan = subprocess.run(
            ["sh", "-c", script], env=env, capture_output=True, text=True
        ).stdout.strip()
        wait_for(lambda: int(orphan) in procs.commands_left("unit-left"))
        assert list(procs.commands_left("unit-left")) == [int(orphan)]
        assert procs.commands_left("unit-left")[int(orphan)].startswith("haproxy2: ")
    finally:
        subprocess.run(["pkill", "-f", str(nsenter)])
        for proc in (living, probe):
            proc.wait()
    wait_for(lambda: procs.lab_marked("unit-left") == {})


def wait_for(condition: Callable[[], bool], timeout_s: float = 5) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_a_nodes_processes_are_read_from_its_own_proc_alone() -> None:
    """A node as labtool makes one (a user namespace, a PID namespace with its own /proc, as
    `unshare --mount-proc` mounts it): its processes from that /proc, numbered as the node
    numbers them, none of the machine's; the machine's own /proc is never taken for a node's."""
    holder = subprocess.Popen(
        [
            *("unshare", "--user", "--map-root-user", "--mount", "--pid", "--fork"),
            *("--kill-child", "--mount-proc", "sh", "-c", "sleep 30 & exec sleep 31"),
        ]
    )
    try:
        deadline = time.monotonic() + 5
        found: dict[int, str] | None = None
        while time.monotonic() < deadline:
            found = procs.node_processes(holder.pid)
            if found is not None and sorted(found.values()) == ["sleep", "sleep"]:
                break
            time.sleep(0.02)
        assert found is not None and sorted(found.values()) == ["sleep", "sleep"], found
        assert 1 in found  # (the node's own numbering: its first process is 1)
        assert procs.pss_kib(sorted(found), procs.node_proc(holder.pid) or Path("/nowhere")) > 0
    finally:
        holder.kill()
        holder.wait()
    assert procs.node_processes(holder.pid) is None  # gone
    assert procs.node_proc(os.getpid()) is None  # this machine's /proc is no node's
