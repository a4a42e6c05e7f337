"""The grader's scratch folder: one a killed grader left is removed by the next grader; a
running grader's is not touched."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from labtool.grading import work


def test_a_killed_grader_s_folder_is_removed_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead_pid = subprocess.Popen(["true"])  # a process that ran and ended: its pid
    dead_pid.wait()
    left = tmp_path / f"{work.PREFIX}{dead_pid.pid}-abc"
    (left / "unpacked").mkdir(parents=True)
    mine = tmp_path / f"{work.PREFIX}{os.getpid()}-def"
    mine.mkdir()
    other = tmp_path / "labtool-grade-nopid"
    other.mkdir()
    assert work.stale() == [left]
    with work.work_folder() as folder:
        assert Path(folder).name.startswith(f"{work.PREFIX}{os.getpid()}-")
        assert not left.exists() and mine.exists() and other.exists()
    assert not Path(folder).exists()
