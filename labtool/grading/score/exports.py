"""A class's grades as files: feedback per student, the class summary, CSV, JSON, and the gradebook
imports of Moodle and Canvas (with a roster)."""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from labtool.grading.score.model import Grade, T
from labtool.grading.submission.archives import student_name
from labtool.i18n import Msg, plural, translation


def feedback(grade: Grade, lang: str = "fr") -> str:
    """The text to hand back to the student, Markdown."""
    t, _ = T[lang], translation(lang)
    lines = [
        _("# Grade: {submission}: {points}/{total}").format(
            submission=grade.submission, points=f"{grade.grade:g}", total=f"{grade.total:g}"
        ),
        "",
    ]
    if grade.error:
        lines += [t["refused"].format(why=grade.error), ""]
    for score in grade.criteria:
        mark = "✔" if score.points == score.max else "✘"
        lines.append(
            _("- {mark} {title}: {points}/{max}").format(
                mark=mark, title=score.title, points=f"{score.points:g}", max=f"{score.max:g}"
            )
        )
        for reason in score.reasons:
            where = (
                f"{reason.file}:{reason.line} "
                if reason.file and reason.line
                else f"{reason.file} "
                if reason.file
                else ""
            )
            lines.append(f"  - {where}{reason.message} (-{reason.points_lost:g})")
            if reason.fix:
                lines.append(_("    Fix: {fix}").format(fix=reason.fix))
    if grade.notes:
        lines += ["", f"## {t['notes']}", ""]
        lines += [
            f"- {n.file + ': ' if n.file else ''}{n.message}"
            f"{f' (-{n.points_lost:g})' if n.points_lost else ''}"
            for n in grade.notes
        ]
    return "\n".join(lines) + "\n"


def feedback_text(grade: Grade, lang: str = "fr") -> str:
    """The feedback as plain text, for a gradebook that shows text as it is (Moodle keeps its
    lines, and would show Markdown's marks and the check marks raw)."""
    lines = []
    for line in feedback(grade, lang).splitlines():
        if line.startswith("#"):
            line = line.lstrip("#").strip()
        line = line.replace("- ✔ ", "- [ok] ").replace("- ✘ ", "- [x] ")
        lines.append(line)
    return "\n".join(lines).strip() + "\n"


def to_csv(grades: Iterable[Grade]) -> str:
    grades = list(grades)
    ids = list(dict.fromkeys(c.id for g in grades for c in g.criteria))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["submission", "score", "max", "grade", "total", *ids, "error"])
    for grade in grades:
        points = {c.id: c.points for c in grade.criteria}
        writer.writerow(
            [
                _safe_cell(grade.submission),
                grade.score,
                grade.max,
                grade.grade,
                grade.total,
                *[points.get(i, "") for i in ids],
                _safe_cell(grade.error or ""),
            ]
        )
    return out.getvalue()


def _safe_cell(text: str) -> str:
    """A spreadsheet runs a cell starting with = + - @ as a formula: not a student's text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def summary(grades: list[Grade], lang: str = "fr") -> str:
    t, ngettext = T[lang], plural(lang)

    def students(n: int) -> str:
        return ngettext("{n} student", "{n} students", n).format(n=n)

    marks = [g.grade for g in grades]
    lines = [f"# {t['summary']}", ""]
    if marks:
        lines += [
            f"{students(len(marks))} ; {t['mean']} {statistics.mean(marks):.2f}, "
            f"{t['median']} {statistics.median(marks):.2f}, min {min(marks):g}, "
            f"max {max(marks):g} (/{grades[0].total:g})",
            "",
        ]
    lines += [
        "| submission | score | /20 |"
        if grades and grades[0].total == 20
        else "| submission | score | grade |",
        "| --- | --- | --- |",
    ]
    lines += [
        f"| {g.submission.replace('|', '/')} | {g.score:g}/{g.max:g} | {g.grade:g}"
        f"{' (' + (g.error or '')[:60].replace('|', '/') + ')' if g.error else ''} |"
        for g in grades
    ]
    common: Counter[str] = Counter()  # students per mistake (a student's repeats count once)
    for g in grades:
        common.update(
            {
                r.message.split(":", 1)[0]
                if r.message[:3] in ("KA-", "HA-", "WEB")
                else r.criterion
                for c in g.criteria
                for r in c.reasons
                if r.points_lost > 0
            }
        )
    if common:
        lines += ["", f"## {t['common']}", ""]
        lines += [f"- {name}: {students(count)}" for name, count in common.most_common(10)]
    return "\n".join(lines) + "\n"


ROSTER_IDS = (
    "email",
    "e-mail",
    "mail",
    "student_id",
    "id",
    "sis_user_id",
    "login",
    "username",
    "id number",
    "idnumber",
)


@dataclass
class Student:
    identifier: str  # email or student id, as the roster gives it
    name: str = ""
    section: str = ""


def read_roster(path: Path) -> dict[str, Student]:
    """A class roster (CSV with a header): `submission` (the folder or archive name, as
    `labtool grade` names it), then an email or student id, optionally name and section."""
    from labtool.csvin import read_rows
    from labtool.errors import LabFileError

    rows, fields = read_rows(path)
    key = fields.get("submission") or fields.get("folder") or fields.get("archive")
    ident = next((fields[f] for f in ROSTER_IDS if f in fields), None)
    if key is None or ident is None:
        raise LabFileError(
            Msg(
                "the roster {path} needs a header with 'submission' and one of {join} "
                "(found: {value})",
                path=path,
                join=", ".join(ROSTER_IDS[:4]),
                value=", ".join(fields) or "nothing",
            )
        )
    name = fields.get("name") or fields.get("student")
    section = fields.get("section") or fields.get("group")
    roster = {}
    for row in rows:
        if (row.get(key) or "").strip():
            roster[row[key].strip()] = Student(
                (row.get(ident) or "").strip(),
                (row.get(name) or "").strip() if name else "",
                (row.get(section) or "").strip() if section else "",
            )
    return roster


def on_roster(roster: dict[str, Student], submission: str) -> Student | None:
    """The roster's student for a submission: named as labtool names it, or by its folder's
    or archive's name (alice.zip for alice, alice for alice.zip) where only one matches."""
    if submission in roster:
        return roster[submission]
    stem = student_name(Path(submission))
    matches = [s for key, s in roster.items() if student_name(Path(key)) == stem]
    return matches[0] if len(matches) == 1 else None


def _student(grade: Grade, roster: dict[str, Student]) -> Student:
    return on_roster(roster, grade.submission) or Student(grade.submission)


def unmatched(grades: list[Grade], roster: dict[str, Student]) -> list[str]:
    """Submissions the roster does not name (their identifier is the submission's name)."""
    return [g.submission for g in grades if on_roster(roster, g.submission) is None]


def to_moodle(grades: list[Grade], roster: dict[str, Student], lang: str) -> str:
    """Moodle's grade import (Grades > Import > CSV file): an identifier column (map it to
    'Email address' or 'ID number'), the grade, and the feedback text (map it to the grade
    item's feedback)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Identifier", "Grade", "Feedback"])
    for grade in grades:
        writer.writerow(
            [
                _safe_cell(_student(grade, roster).identifier),
                f"{grade.grade:g}",
                _safe_cell(feedback_text(grade, lang)),
            ]
        )
    return out.getvalue()


def to_canvas(
    grades: list[Grade], roster: dict[str, Student], assignment: str = "Cluster web"
) -> str:
    """Canvas's gradebook import (Grades > Import): Student, ID, SIS User ID, SIS Login ID,
    Section, then the assignment's column with its points. Canvas's gradebook CSV carries no
    comments: hand the feedback files back separately (-o writes them)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment])
    total = grades[0].total if grades else 20
    writer.writerow(["Points Possible", "", "", "", "", f"{total:g}"])
    for grade in grades:
        student = _student(grade, roster)
        login = student.identifier if "@" in student.identifier else ""
        sis = "" if login else student.identifier
        writer.writerow(
            [
                _safe_cell(student.name or grade.submission),
                "",
                _safe_cell(sis),
                _safe_cell(login),
                _safe_cell(student.section),
                f"{grade.grade:g}",
            ]
        )
    return out.getvalue()


def to_json(grades: list[Grade]) -> str:
    return json.dumps([g.as_json() for g in grades], indent=1, ensure_ascii=False)
