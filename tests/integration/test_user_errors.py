"""Every bad input a normal user can give, as that user (tests/student.py, no sudo): one
message, a non-zero exit, no traceback, and nothing changed - what was asked for is not
written, the user's files are as they were. Table-driven: one row per input.

The Vagrant rows use the real `vagrant`, with no provider installed here (VirtualBox is not in
Debian): the provider check refuses before anything is made; a lab whose `vagrant up` was
killed half-way (its folder made by hand as the kill leaves it) is said broken by `status` and
removed by `down`."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.conftest import STATE_ROOT, labtool
from tests.student import Student

ROOT_LAB = "it-roots-only"


@dataclass(frozen=True)
class Row:
    id: str
    args: tuple[str, ...]
    code: int
    says: str  # a part of the one message
    absent: tuple[str, ...] = ()  # paths (~ for the home) that must not exist after
    setup: Callable[[Student], None] | None = None


def half_made_vagrant_lab(student: Student) -> None:
    """What a `labtool up --backend vagrant` killed during its `vagrant up` leaves."""
    folder = student.state_root() / "it-half"
    (folder / "vagrant").mkdir(parents=True)
    (folder / "vagrant" / "Vagrantfile").write_text('Vagrant.configure("2") do |config|\nend\n')
    spec = {"name": "it-half"}
    (folder / "state.json").write_text(
        json.dumps(
            {
                "name": "it-half",
                "backend": "vagrant",
                "lab": spec,
                "phase": "creating",
                "options": {"provider": "virtualbox", "box": "centos7-custom"},
            }
        )
    )
    for path in (
        student.state_root().parent.parent,
        student.state_root().parent,
        student.state_root(),
        folder,
        folder / "vagrant",
        folder / "vagrant" / "Vagrantfile",
        folder / "state.json",
    ):
        os.chown(path, student.uid, student.gid)


def roots_lab(student: Student) -> None:
    folder = STATE_ROOT / ROOT_LAB
    folder.mkdir(parents=True, exist_ok=True)


ROWS = [
    Row(
        "vagrantfile into a missing folder",
        ("vagrantfile", "-o", "~/nowhere/Vagrantfile"),
        2,
        "the folder ~/nowhere does not exist",
        ("~/nowhere",),
    ),
    Row(
        "vagrantfile into a folder not the user's",
        ("vagrantfile", "-o", "/etc/Vagrantfile"),
        2,
        "you may not write in /etc",
        ("/etc/Vagrantfile",),
    ),
    Row(
        "grade -o onto a file",
        ("grade", "~/sub", "-o", "~/notes.txt"),
        2,
        "it is a file, not a folder",
    ),
    Row(
        "grade -o into a folder not the user's",
        ("grade", "~/sub", "-o", "/etc/labtool-notes"),
        2,
        "you may not write in /etc",
        ("/etc/labtool-notes",),
    ),
    Row(
        "report -o into a missing folder",
        ("report", "-o", "~/no/r.md"),
        2,
        "the folder ~/no does not exist",
        ("~/no",),
    ),
    Row(
        "collect -o into a folder not the user's",
        ("collect", "-o", "/usr/x.tar.gz"),
        2,
        "you may not write in /usr",
        ("/usr/x.tar.gz",),
    ),
    Row(
        "up on vagrant without a provider",
        ("up", "--backend", "vagrant", "--name", "it-v"),
        3,
        "VirtualBox is not installed",
        ("~/.local/state/labtool/it-v",),
    ),
    Row(
        "status of a half-made vagrant lab",
        ("status", "--name", "it-half"),
        1,
        "vagrant cannot say how haproxy1 is",
        (),
        half_made_vagrant_lab,
    ),
    Row(
        "status of root's lab",
        ("status", "--name", ROOT_LAB),
        3,
        f"lab '{ROOT_LAB}' is root's, not yours",
        (),
        roots_lab,
    ),
    Row(
        "down of root's lab",
        ("down", "--name", ROOT_LAB),
        3,
        f"lab '{ROOT_LAB}' is root's, not yours",
        (),
        roots_lab,
    ),
    Row("an unknown command for help", ("help", "nope"), 1, "no command 'nope'"),
    Row(
        "a broken lab file",
        ("up", "--lab", "~/sub/lab.toml", "--name", "it-broken"),
        2,
        "vip: 10.9.9.9 is outside the subnet",
        ("~/.local/state/labtool/it-broken",),
    ),
]


def home_listing(student: Student) -> list[str]:
    return sorted(
        str(p.relative_to(student.home))
        for p in student.home.rglob("*")
        if "venv" not in p.parts and "src" not in p.parts
    )


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_one_message_and_nothing_changed(student: Student, row: Row) -> None:
    sub = student.home / "sub"
    if not sub.exists():
        sub.mkdir()
        (sub / "report.md").write_text("# rapport\n")
        (sub / "lab.toml").write_text('vip = "10.9.9.9"\n')
        (student.home / "notes.txt").write_text("mine\n")
        for path in (sub, sub / "report.md", sub / "lab.toml", student.home / "notes.txt"):
            os.chown(path, student.uid, student.gid)
    if row.setup is not None:
        row.setup(student)
    before = home_listing(student)
    etc = sorted(os.listdir("/etc"))
    try:
        args = [a.replace("~", str(student.home)) for a in row.args]
        done = student.labtool(*args)
        said = done.stderr.replace(str(student.home), "~")
        assert done.returncode == row.code, said
        lines = [line for line in said.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("labtool: error: "), said
        assert "Traceback" not in done.stderr + done.stdout
        assert row.says in said, said
        for path in row.absent:
            assert not Path(path.replace("~", str(student.home))).exists(), path
        if row.setup is None:
            assert home_listing(student) == before
        assert sorted(os.listdir("/etc")) == etc
    finally:
        if row.setup is half_made_vagrant_lab:
            removed = student.labtool("down", "--name", "it-half")
            assert removed.returncode == 0, removed.stderr  # a half-made lab: down removes it
            assert not (student.state_root() / "it-half").exists()
        if row.setup is roots_lab:
            shutil.rmtree(STATE_ROOT / ROOT_LAB, ignore_errors=True)


def test_help_and_dash_h(student: Student) -> None:
    for args in (("-h",), ("help",), ("help", "up"), ("up", "-h")):
        done = student.labtool(*args)
        assert done.returncode == 0, done.stderr
        assert "Usage: labtool" in done.stdout
    assert labtool("-h").returncode == 0
