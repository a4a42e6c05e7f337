"""The state folder `labtool serve` keeps (readable by the instructor alone): its database,
`codes.csv` (id, name, code, url: each student's sign-in link, the file to hand out), and
`instructor.url` (the instructor's link). A roster given again adds its new students only:
those known keep their codes."""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path

from labtool.errors import LabtoolError
from labtool.i18n import Msg
from labtool.serve.roster import Student
from labtool.serve.store import Store

CODES = "codes.csv"
INSTRUCTOR = "instructor.url"


@dataclass(frozen=True)
class Prepared:
    store: Store
    new_codes: int  # students given a code this time
    instructor_url: str


def prepare(folder: Path, students: list[Student], base_url: str) -> Prepared:
    """The folder made (or found) and brought up to date with the roster."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        folder.chmod(0o700)
    except OSError as exc:
        raise LabtoolError(
            Msg("cannot use {folder} as the server's state folder: {exc}", folder=folder, exc=exc)
        ) from None
    store = Store(folder)
    made = store.add_students(students)
    names = {s.slug: s for s in students}
    rows = [
        (names[slug].id, names[slug].name, code, f"{base_url}/?code={code}")
        for slug, code in made.items()
    ]
    if rows:
        _append(folder / CODES, rows)
    return Prepared(store, len(made), _instructor_url(folder / INSTRUCTOR, store, base_url))


def _append(path: Path, rows: list[tuple[str, str, str, str]]) -> None:
    """New lines in codes.csv (its header first, when it is new), the owner's alone."""
    text = io.StringIO()
    writer = csv.writer(text)
    if not path.exists():
        writer.writerow(("id", "name", "code", "url"))
    writer.writerows(rows)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8", newline="") as file:
        file.write(text.getvalue())


def _instructor_url(path: Path, store: Store, base_url: str) -> str:
    """The instructor's link: the one kept, while it opens the page at this address; else a
    new one (the old key then opens nothing)."""
    try:
        url = path.read_text(encoding="utf-8").strip()
    except OSError:
        url = ""
    key = url.rpartition("key=")[2]
    if url.startswith(base_url + "/") and key and store.is_instructor(key):
        return url
    url = f"{base_url}/instructor?key={store.new_instructor_key()}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(url + "\n")
    return url
