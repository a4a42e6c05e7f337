"""The class read from the rosters instructors have: Moodle's and Canvas's exports as they
write them, a French spreadsheet's `;`, a plain id/name/email; each student a lab name of
their own; a file that is no roster refused with one message."""

from __future__ import annotations

from pathlib import Path

import pytest

from labtool.errors import LabFileError
from labtool.serve.roster import read_roster, slug_of

MOODLE = (
    "\ufeffFirst name,Last name,ID number,Institution,Department,Email address\n"
    "Alice,Martin,21904512,Univ,Info,alice.martin@univ.fr\n"
    "Bruno,Lefèvre,21904513,Univ,Info,bruno.lefevre@univ.fr\n"
)
CANVAS = (
    "Student,ID,SIS User ID,SIS Login ID,Section,Cluster web (1234)\n"
    "    Points Possible,,,,,20.00\n"
    '"Martin, Alice",4401,A-21904512,amartin,TP1,\n'
    '"Diaz, Carla",4402,A-21904514,cdiaz,TP1,\n'
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_moodle(tmp_path: Path) -> None:
    alice, bruno = read_roster(write(tmp_path, MOODLE))
    assert (alice.id, alice.name, alice.email) == (
        "21904512",
        "Alice Martin",
        "alice.martin@univ.fr",
    )
    assert alice.lab == "class-21904512" and bruno.name == "Bruno Lefèvre"


def test_canvas_without_its_points_possible_row(tmp_path: Path) -> None:
    students = read_roster(write(tmp_path, CANVAS))
    assert [(s.id, s.name, s.email) for s in students] == [
        ("4401", "Martin, Alice", "amartin"),
        ("4402", "Diaz, Carla", "cdiaz"),
    ]


def test_a_french_spreadsheet_and_emails_only(tmp_path: Path) -> None:
    students = read_roster(write(tmp_path, "Nom;Prénom;Email\nMartin;Alice;alice@x.fr\n"))
    assert [(s.id, s.name, s.slug) for s in students] == [("alice@x.fr", "Alice Martin", "alice")]


def test_lab_names_are_valid_and_unique() -> None:
    taken: set[str] = set()
    assert slug_of("Alice.Martin@univ.fr", taken) == "alice-martin"
    assert slug_of("alice_martin", taken) == "alice-martin-2"
    long = slug_of("x" * 40, taken)
    assert len("class-" + long) <= 24 and slug_of("x" * 40, taken).endswith("-2")
    assert slug_of("??", taken) == "s"


def test_duplicates_and_blank_rows_are_left_out(tmp_path: Path) -> None:
    students = read_roster(write(tmp_path, "id,name\n1,A\n\n1,A again\n2,B\n,nobody\n"))
    assert [s.id for s in students] == ["1", "2"]


@pytest.mark.parametrize(
    "text", ["", "name,section\nAlice,TP1\n", "id,name\n", "\x00\x01\x02"], ids=str
)
def test_what_is_no_roster_is_refused_in_one_message(tmp_path: Path, text: str) -> None:
    with pytest.raises(LabFileError) as refused:
        read_roster(write(tmp_path, text))
    assert "roster" in str(refused.value)


def test_a_missing_file_is_one_message(tmp_path: Path) -> None:
    with pytest.raises(LabFileError, match="cannot read the roster"):
        read_roster(tmp_path / "nowhere.csv")
