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


def grader_gone(name: str, prefix: str) -> bool:
    """Whether `name` (prefix, a grader's pid, "-", the rest) is another grader's that is no
    longer running (killed): a live one's, or this one's, is not ours to touch."""
    pid = name[len(prefix) :].split("-")[0] if name.startswith(prefix) else ""
    if not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # (another user's grader, alive)
        return False
    return False


def stale() -> list[Path]:
    """This user's scratch folders whose grader is no longer running (killed)."""
    found = []
    for path in Path(tempfile.gettempdir()).glob(f"{PREFIX}*-*"):
        try:
            mine = path.lstat().st_uid == os.geteuid() and path.is_dir()
        except OSError:  # (the folder went meanwhile)
            continue
        if mine and grader_gone(path.name, PREFIX):
            found.append(path)
    return found


def remove_stale() -> list[Path]:
    removed = stale()
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed
