"""Hand-ins and grades on the server: a student's "hand in" collects their lab as `labtool
collect` does, kept in their folder with its time (handing in again replaces it); the
instructor's "grade the class" runs `labtool grade` on every hand-in and writes the class's
table and its exports (CSV, JSON, Moodle's and Canvas's imports, the summary, each student's
feedback) into the state folder's `grades/`, from where the page downloads them."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from labtool.errors import LabtoolError
from labtool.i18n import Msg
from labtool.serve.placement import Placement
from labtool.serve.roster import Student
from labtool.serve.store import Store

HANDIN = "handin.tar.gz"
GRADES = "grades"
# what the instructor's page downloads: name -> (the grades' format, its media type)
EXPORTS = {
    "grades.csv": ("csv", "text/csv"),
    "grades.json": ("json", "application/json"),
    "moodle.csv": ("moodle", "text/csv"),
    "canvas.csv": ("canvas", "text/csv"),
    "summary.md": ("md", "text/markdown"),
}


def hand_in(placement: Placement, store: Store, student: Student, folder: Path) -> int:
    """The lab collected into the student's folder (the last hand-in replaced only once the
    new one is whole); how many files."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    fresh = folder / ("new-" + HANDIN)
    fresh.unlink(missing_ok=True)
    try:
        files = placement.hand_in(student, fresh)
        os.replace(fresh, folder / HANDIN)
    finally:
        fresh.unlink(missing_ok=True)
    store.set_handin(student.slug, time.time(), files)
    return files


def grade_class(store: Store, students_folder: Path) -> int:
    """Every hand-in graded, the class's files written in `grades/`; how many were graded."""
    from labtool.grading.commands import formatted, grade_paths, write_class
    from labtool.grading.score import exports

    rows = [r for r in store.students() if r.handed_in_at is not None]
    if not rows:
        raise LabtoolError(Msg("nobody has handed in yet: nothing to grade"))
    roster = {
        f"{r.slug}.tar.gz": exports.Student(r.email or r.id, r.name)
        for r in rows  # (each hand-in named after its student)
    }
    target = store.folder / GRADES
    with tempfile.TemporaryDirectory(prefix="labtool-serve-grade-") as tmp:
        archives = []
        for row in rows:
            archive = Path(tmp) / f"{row.slug}.tar.gz"
            shutil.copyfile(students_folder / row.slug / HANDIN, archive)
            archives.append(archive)
        grades = grade_paths(archives, None, None, None, "fr", False, True, _quiet)
    fresh = store.folder / (GRADES + ".new")
    shutil.rmtree(fresh, ignore_errors=True)
    write_class(grades, fresh, "fr")
    for name, (fmt, _) in EXPORTS.items():
        text, _ = formatted(grades, fmt, roster, "fr")
        if text is not None:
            (fresh / name).write_text(text, encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    fresh.rename(target)
    return len(grades)


def _quiet(done: int, total: int, text: str) -> None:
    pass
