"""Who a grade is for (issue 22): two archives with one stem are two students; a roster names
a submission by its folder, its archive's name or its stem."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from labtool.cli import app
from labtool.grading.score.exports import Student, on_roster
from tests.submissions import PITFALLS, correct, write


def _archive(files: dict[str, str], target: Path, fmt: str) -> Path:
    folder = write(files, target.parent / f"_{target.name}")
    made = Path(shutil.make_archive(str(target), fmt, folder))
    shutil.rmtree(folder)
    return made


def test_two_archives_with_one_stem_are_two_students(tmp_path: Path) -> None:
    """alice.zip (correct: 20/20, as an instructor grades it) and alice.tar.gz (no check on
    its servers: points lost) are graded apart, each under its archive's whole name."""
    klass = tmp_path / "class"
    klass.mkdir()
    _archive(correct(), klass / "alice", "zip")
    _archive(PITFALLS["no-check"][0](correct()), klass / "alice", "gztar")
    write(correct(), klass / "bob")
    result = CliRunner().invoke(app, ["grade", str(klass), "--format", "json", "--lang", "en"])
    assert result.exit_code == 0, result.output
    grades = {g["submission"]: g["grade"] for g in json.loads(result.stdout)}
    assert sorted(grades) == ["alice.tar.gz", "alice.zip", "bob"]
    assert grades["alice.zip"] == 20 and grades["bob"] == 20
    assert grades["alice.tar.gz"] < 20


def test_a_roster_names_a_submission_by_its_archive_or_its_stem() -> None:
    alice, bob = Student("alice@example.edu"), Student("bob@example.edu")
    assert on_roster({"alice.zip": alice}, "alice") is alice
    assert on_roster({"alice": alice}, "alice.tar.gz") is alice
    assert on_roster({"bob.tgz": bob, "alice.zip": alice}, "bob") is bob
    both = {"alice.zip": alice, "alice.tar.gz": bob}
    assert on_roster(both, "alice") is None  # which one: not guessed
    assert on_roster(both, "alice.tar.gz") is bob


def test_moodle_matches_a_roster_of_archive_names(tmp_path: Path) -> None:
    klass = tmp_path / "class"
    klass.mkdir()
    _archive(correct(), klass / "alice", "zip")
    roster = tmp_path / "roster.csv"
    roster.write_text("submission,email\nalice.zip,alice@example.edu\n")
    result = CliRunner().invoke(
        app, ["grade", str(klass), "--format", "moodle", "--roster", str(roster), "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[1][:2] == ["alice@example.edu", "20"]
    assert "not in the roster" not in result.stderr


def test_moodle_feedback_is_plain_text_by_moodles_import_rules(tmp_path: Path) -> None:
    """Moodle's CSV grade import (grade/import/csv, load_data.php): a header row, then per
    row the identifier, the grade and the feedback, which Moodle stores as the grade's text and
    shows with its own auto-format (lines kept, Markdown not rendered): no heading marks, no
    check marks, one line per criterion."""
    write(correct(), tmp_path / "class" / "alice")
    write(PITFALLS["no-check"][0](correct()), tmp_path / "class" / "bob")
    result = CliRunner().invoke(
        app, ["grade", str(tmp_path / "class"), "--format", "moodle", "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["Identifier", "Grade", "Feedback"]
    assert all(len(row) == 3 for row in rows)
    by_id = {row[0]: row for row in rows[1:]}
    assert float(by_id["alice"][1]) == 20 and float(by_id["bob"][1]) < 20
    for _, _, text in rows[1:]:
        lines = text.splitlines()
        assert not any(line.lstrip().startswith("#") for line in lines), text
        assert "✔" not in text and "✘" not in text
    bob = by_id["bob"][2].splitlines()
    assert bob[0].startswith("Grade: bob: ")
    assert any(line.startswith("- [x] ") and "/2" in line for line in bob), bob
    assert any("HA-NO-CHECK" in line for line in bob)
