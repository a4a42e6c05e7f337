"""`labtool serve` refuses bad input in one message, before anything is made or listened on."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from labtool import doctor
from labtool.cli import app


def serve(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["serve", *args])
    return result.exit_code, result.output


def test_a_missing_roster(tmp_path: Path) -> None:
    code, said = serve("--roster", str(tmp_path / "none.csv"), "-o", str(tmp_path / "s"))
    assert code != 0 and "cannot read the roster" in said and "Traceback" not in said
    assert not (tmp_path / "s").exists()


def test_beyond_this_machine_without_tls(tmp_path: Path) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text("id,name\n1,Alice\n")
    code, said = serve("--roster", str(roster), "-o", str(tmp_path / "s"), "--bind", "0.0.0.0:1")
    assert code == 2 and "only with TLS" in said
    assert not (tmp_path / "s").exists()


def test_a_state_folder_that_cannot_be(tmp_path: Path) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text("id,name\n1,Alice\n")
    (tmp_path / "file").write_text("")
    code, said = serve(
        "--roster", str(roster), "-o", str(tmp_path / "file" / "s"), "--bind", "127.0.0.1:0"
    )
    assert code != 0 and "state folder" in said and "Traceback" not in said


def test_not_root_is_one_message_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(As a normal user: geteuid made to answer 1000; the real normal user is tried by hand.)"""
    roster = tmp_path / "r.csv"
    roster.write_text("id,name\n1,Alice\n")
    monkeypatch.setattr(doctor.os, "geteuid", lambda: 1000)
    code, said = serve("--roster", str(roster), "-o", str(tmp_path / "s"), "--bind", "127.0.0.1:0")
    assert code != 0 and "serving a class needs root" in said and "sudo labtool" in said
    assert "Traceback" not in said and not (tmp_path / "s").exists()
