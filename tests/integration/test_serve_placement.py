"""A student's lab placed on this machine (serve's placement, issue 23 part 8): made bare, up,
reached by the instructor's own `labtool exec --name class-ID`, made again without a change,
removed with all it made."""

from __future__ import annotations

from labtool.backends.netns import procs
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
        placement.make(STUDENT, bare=True)  # (up already: nothing done, no error)
        assert placement.running(STUDENT)
    finally:
        placement.remove(STUDENT)
    assert not placement.running(STUDENT)
    assert procs.lab_marked(STUDENT.lab) == {}
