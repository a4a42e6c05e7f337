"""The state folder serve keeps: codes.csv to hand out (each student's code and sign-in link,
the instructor's alone), instructor.url; a roster given again adds its new students only."""

from __future__ import annotations

import csv
from pathlib import Path

from labtool.serve.prepare import prepare
from labtool.serve.roster import Student

CLASS = [Student("1", "Alice", "a@x", "alice"), Student("2", "Bruno", "b@x", "bruno")]
URL = "http://127.0.0.1:8000"


def rows(folder: Path) -> list[dict[str, str]]:
    with open(folder / "codes.csv", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_codes_to_hand_out_and_the_instructors_link(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    made = prepare(folder, CLASS, URL)
    listed = rows(folder)
    assert [(r["id"], r["name"]) for r in listed] == [("1", "Alice"), ("2", "Bruno")]
    assert all(r["url"] == f"{URL}/?code={r['code']}" for r in listed)
    assert made.store.sign_in(listed[0]["code"]) is not None
    assert made.instructor_url.startswith(f"{URL}/instructor?key=")
    assert (folder / "instructor.url").read_text().strip() == made.instructor_url
    for path in (folder, folder / "codes.csv", folder / "instructor.url"):
        assert path.stat().st_mode & 0o077 == 0, path
    made.store.close()


def test_a_roster_again_adds_its_new_students_only(tmp_path: Path) -> None:
    first = prepare(tmp_path, CLASS, URL)
    first.store.close()
    again = prepare(tmp_path, [*CLASS, Student("3", "Carla", "", "carla")], URL)
    assert again.new_codes == 1
    assert [r["id"] for r in rows(tmp_path)] == ["1", "2", "3"]
    assert again.instructor_url == first.instructor_url  # (the same link while it works)
    again.store.close()
    moved = prepare(tmp_path, CLASS, "https://192.0.2.10:8443")  # (another address: a new key)
    assert moved.instructor_url.startswith("https://192.0.2.10:8443/instructor?key=")
    key = first.instructor_url.rpartition("key=")[2]
    assert not moved.store.is_instructor(key)
    moved.store.close()
