"""Hostile submissions: path traversal, absolute paths, symlinks out, a huge file, binary junk.
Each is graded or refused with a message; nothing is written outside the private folder."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from labtool.grading.score.grade import grade_all
from labtool.grading.score.rubric import load_rubric
from labtool.grading.submission.archives import discover
from labtool.grading.submission.unpack import MAX_FILE_BYTES
from labtool.spec.load import default_spec
from tests.submissions import correct


def tar_with(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for relative, text in correct().items():
            data = text.encode()
            info = tarfile.TarInfo(relative)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def member(
    name: str, data: bytes = b"owned\n", kind: bytes = tarfile.REGTYPE, target: str = ""
) -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, data if kind == tarfile.REGTYPE else None


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    """The class folder lives in tmp_path/class; tmp_path/outside must stay empty."""
    (tmp_path / "class").mkdir()
    (tmp_path / "outside").mkdir()
    return tmp_path


def grade_class(sandbox: Path) -> dict[str, object]:
    spec = default_spec()
    work = sandbox / "work"
    work.mkdir()
    paths = discover([sandbox / "class"], {n.name for n in spec.nodes})
    grades = grade_all(paths, spec, load_rubric(), work, "en")
    return {g.submission: g for g in grades}


def all_files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_hostile_archives(sandbox: Path) -> None:
    outside = sandbox / "outside"
    depth = "../" * 12
    tar_with(
        sandbox / "class" / "traversal.tar.gz",
        [
            member(f"{depth}{outside.relative_to('/')}/evil.txt"),
            member("haproxy1/../../../outside/evil2.txt"),
        ],
    )
    tar_with(sandbox / "class" / "absolute.tar.gz", [member(str(outside / "abs.txt"))])
    tar_with(
        sandbox / "class" / "symlink.tar.gz",
        [
            member("web1/var/www/html/link", kind=tarfile.SYMTYPE, target=str(outside)),
            member("web1/var/www/html/link/evil3.txt"),
            member("hard", kind=tarfile.LNKTYPE, target="/etc/passwd"),
        ],
    )
    tar_with(sandbox / "class" / "huge.tar.gz", [member("big.bin", b"\0" * (MAX_FILE_BYTES + 1))])
    (sandbox / "class" / "junk.tar.gz").write_bytes(os.urandom(5000))
    (sandbox / "class" / "junkzip.zip").write_bytes(b"PK\x03\x04" + os.urandom(3000))
    with zipfile.ZipFile(sandbox / "class" / "zipslip.zip", "w") as zipped:
        for relative, text in correct().items():
            zipped.writestr(relative, text)
        zipped.writestr("../../outside/zip-evil.txt", "owned")
        zipped.writestr("/" + str(outside / "zip-abs.txt").lstrip("/"), "owned")
        link = zipfile.ZipInfo("web2/var/www/html/ln")
        link.external_attr = 0o120777 << 16
        zipped.writestr(link, str(outside))

    grades = grade_class(sandbox)

    assert all_files(outside) == []
    for name in ("traversal", "absolute", "symlink", "zipslip"):
        grade = grades[name]
        assert grade.error is None and grade.score == 20, (name, grade.error)  # type: ignore[attr-defined]
        notes = " ".join(n.message for n in grade.notes)  # type: ignore[attr-defined]
        assert "not read" in notes, name
    assert "symlink" in " ".join(n.message for n in grades["symlink"].notes)  # type: ignore[attr-defined]
    for name in ("huge", "junk", "junkzip"):
        grade = grades[name]
        assert grade.score == 0 and grade.error, name  # type: ignore[attr-defined]
    assert "limit" in grades["huge"].error  # type: ignore[attr-defined]
    assert len(grades) == 7  # one broken submission stops nothing


def test_a_folder_submission_with_symlinks_out(sandbox: Path) -> None:
    secret = sandbox / "outside" / "secret.cfg"
    secret.write_text("frontend stolen\n    bind *:80\n")
    student = sandbox / "class" / "eve"
    for relative, text in correct().items():
        target = student / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    haproxy = student / "haproxy1/etc/haproxy/haproxy.cfg"
    haproxy.unlink()
    haproxy.symlink_to(secret)
    (student / "web1/var").rename(student / "web1/var-real")
    (student / "web1/var").symlink_to(sandbox / "outside")
    grade = grade_class(sandbox)["eve"]
    messages = " ".join(f.message for f in grade.findings)  # type: ignore[attr-defined]
    assert "haproxy1/etc/haproxy/haproxy.cfg is missing" in messages
    assert "web1/var/www/html/index.html is missing" in messages
    assert "stolen" not in messages
    assert grade.score < 20  # type: ignore[attr-defined]
