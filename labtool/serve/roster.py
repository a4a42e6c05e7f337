"""A class roster for `labtool serve`: one student per row, from Moodle's participants or
grades export ("ID number", "First name", "Last name"/"Surname", "Email address"), Canvas's
gradebook export ("Student", "ID", "SIS User ID", "SIS Login ID"; its "Points Possible" row left
out) or a plain CSV (id, name, email). Each student gets a lab name of their own, `class-SLUG`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from labtool.csvin import read_rows
from labtool.errors import LabFileError
from labtool.i18n import Msg

LAB_PREFIX = "class-"
SLUG_MAX = 24 - len(LAB_PREFIX)  # a lab's name is at most 24 characters
IDS = ("id", "id number", "student id", "student_id", "sis user id", "username", "user id")
EMAILS = ("email", "email address", "e-mail", "mail", "sis login id")
NAMES = ("name", "student", "full name", "student name")
FIRST = ("first name", "firstname", "prénom", "prenom")
LAST = ("last name", "lastname", "surname", "nom")
CANVAS_EXTRA_ROWS = ("points possible",)


@dataclass(frozen=True)
class Student:
    id: str  # as the roster writes it
    name: str
    email: str
    slug: str  # lowercase letters, digits and dashes: the lab `class-SLUG`, URLs, folders

    @property
    def lab(self) -> str:
        return LAB_PREFIX + self.slug


def _column(fields: dict[str, str], names: tuple[str, ...]) -> str | None:
    return next((fields[n] for n in names if n in fields), None)


def slug_of(text: str, taken: set[str]) -> str:
    """`text` as a lab name's tail, unique among `taken` (which it joins)."""
    base = re.sub(r"[^a-z0-9]+", "-", text.lower().split("@")[0]).strip("-")[:SLUG_MAX] or "s"
    slug, n = base, 2
    while slug in taken:
        tail = f"-{n}"
        slug, n = base[: SLUG_MAX - len(tail)].rstrip("-") + tail, n + 1
    taken.add(slug)
    return slug


def read_roster(path: Path) -> list[Student]:
    """The class, in the roster's order; one clear message when it is not a roster."""
    rows, fields = read_rows(path)
    ident, email = _column(fields, IDS), _column(fields, EMAILS)
    name, first, last = _column(fields, NAMES), _column(fields, FIRST), _column(fields, LAST)
    if ident is None and email is None:
        raise LabFileError(
            Msg(
                "the roster {path} needs a header with an id or an email column ({ids}; "
                "found: {found})",
                path=path,
                ids=", ".join((*IDS[:3], *EMAILS[:2])),
                found=", ".join(fields) or "nothing",
            )
        )
    students: list[Student] = []
    taken: set[str] = set()
    seen: set[str] = set()
    for row in rows:
        key = row.get(ident or "", "") or row.get(email or "", "")
        full = row.get(name or "", "") or " ".join(
            p for p in (row.get(first or "", ""), row.get(last or "", "")) if p
        )
        if not key or full.lower() in CANVAS_EXTRA_ROWS or key in seen:
            continue
        seen.add(key)
        students.append(Student(key, full or key, row.get(email or "", ""), slug_of(key, taken)))
    if not students:
        raise LabFileError(Msg("the roster {path} names no student", path=path))
    return students
