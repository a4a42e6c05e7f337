"""The kernel's neighbour table, which every lab of the machine shares (issue 23, part 5): its
thresholds lowered on this machine to just what is in use now (restored after, whatever
happens), `labtool up` as root raises them, says so and brings a lab whose VIP answers; a normal
user, who may not raise them, is refused with the fix and nothing is made."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from labtool.backends.netns import neighbours, procs
from tests.integration.conftest import Baseline, labtool
from tests.student import Student

FOLDER = Path("/proc/sys/net/ipv4/neigh/default")
ROOT_LAB = "it-neigh"
USER_LAB = "it-user-neigh"


def thresholds() -> list[int]:
    return [int((FOLDER / f"gc_thresh{n}").read_text()) for n in (1, 2, 3)]


def set_thresholds(values: list[int]) -> None:
    for n in (1, 2, 3):  # (the kernel takes them in any order)
        (FOLDER / f"gc_thresh{n}").write_text(f"{values[n - 1]}\n")


@pytest.fixture
def full_table() -> Iterator[list[int]]:
    """The thresholds lowered to the entries in use and a few more: no room for a lab."""
    saved = thresholds()
    table = neighbours.read_table()
    assert table is not None
    low = table.entries + 8
    set_thresholds([min(saved[0], low), min(saved[1], low), low])
    try:
        yield saved
    finally:
        set_thresholds(saved)


def test_root_raises_the_thresholds_says_so_and_the_lab_works(
    full_table: list[int], baseline: Baseline
) -> None:
    try:
        up = labtool("up", "--name", ROOT_LAB)
        said = up.stdout + up.stderr
        assert up.returncode == 0, said
        assert "neighbour table raised to 4096/8192/16384" in said, said
        assert thresholds() == [4096, 8192, 16384]
        assert "answers from client" in said
    finally:
        labtool("down", "--name", ROOT_LAB)


def test_a_normal_user_is_refused_with_the_fix_and_nothing_is_made(
    full_table: list[int], student: Student
) -> None:
    low = thresholds()
    up = student.labtool("up", "--name", USER_LAB)
    said = up.stdout + up.stderr
    assert up.returncode != 0, said
    assert "cannot hold this lab's 5 nodes" in said and "Fix: as root, sysctl -w" in said, said
    assert "Traceback" not in said
    assert thresholds() == low  # (a normal user changes nothing of the machine's)
    assert procs.lab_marked(USER_LAB, owner=student.uid) == {}
    assert not (student.state_root() / USER_LAB).exists()
