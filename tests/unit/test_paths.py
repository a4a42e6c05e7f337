"""Where labtool may write what was asked for: checked before any work, one message each."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from labtool.errors import UsageError
from labtool.paths import os_error, output_file, output_folder


def test_an_output_file_needs_an_existing_writable_folder(tmp_path: Path) -> None:
    assert output_file(tmp_path / "r.md") == tmp_path / "r.md"
    assert output_file(None) is None
    with pytest.raises(UsageError, match=r"the folder .*/missing does not exist"):
        output_file(tmp_path / "missing" / "r.md")
    with pytest.raises(UsageError, match="it is a folder"):
        output_file(tmp_path)
    assert output_file(tmp_path, folder_ok=True) == tmp_path
    (tmp_path / "f").write_text("x")
    with pytest.raises(UsageError, match="is a file, not a folder"):
        output_file(tmp_path / "f" / "r.md")


def test_a_folder_not_the_users(monkeypatch: pytest.MonkeyPatch) -> None:
    """(os.access as a normal user answers for /etc: root may write anywhere.)"""
    monkeypatch.setattr(os, "access", lambda path, mode: not str(path).startswith("/etc"))
    with pytest.raises(UsageError, match="you may not write in /etc"):
        output_file(Path("/etc/x.md"))
    with pytest.raises(UsageError, match="you may not write in /etc"):
        output_folder(Path("/etc/notes/deeper"))


def test_an_output_folder_is_a_folder_or_can_be_made(tmp_path: Path) -> None:
    assert output_folder(tmp_path / "a" / "b") == tmp_path / "a" / "b"
    assert not (tmp_path / "a").exists()  # (checked, not made)
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(UsageError, match="it is a file, not a folder"):
        output_folder(tmp_path / "notes.txt")


def test_a_machines_error_in_words() -> None:
    full = OSError(errno.ENOSPC, "No space left on device", "/x/report.md")
    assert os_error(full).message == "cannot use /x/report.md: the disk is full"
    assert "read-only" in os_error(OSError(errno.EROFS, "Read-only", "/mnt/x")).message
