"""Finding a lab's processes again from /proc alone (what `down` relies on after a kill -9)."""

from __future__ import annotations

import os
import subprocess

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
