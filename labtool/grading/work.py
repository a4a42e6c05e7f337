"""The grader's own scratch folder (unpacked archives, a running lab's files): private, named
with the grader's pid, removed when the grading ends; one a killed grader left behind is
removed by the next one."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

PREFIX = "labtool-grade-"


def work_folder() -> tempfile.TemporaryDirectory[str]:
    """A new scratch folder, after removing those of graders that are gone."""
    remove_stale()
    return tempfile.TemporaryDirectory(prefix=f"{PREFIX}{os.getpid()}-")


def stale() -> list[Path]:
    """This user's scratch folders whose grader is no longer running (killed)."""
    found = []
    for path in Path(tempfile.gettempdir()).glob(f"{PREFIX}*-*"):
        pid = path.name[len(PREFIX) :].split("-")[0]
        try:
            if not pid.isdigit() or path.lstat().st_uid != os.geteuid() or not path.is_dir():
                continue
            os.kill(int(pid), 0)
        except ProcessLookupError:
            found.append(path)
        except OSError:  # (another user's grader, or the folder went meanwhile)
            continue
    return found


def remove_stale() -> list[Path]:
    removed = stale()
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed
