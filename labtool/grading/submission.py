"""Submissions: a folder, a .tar.gz or a .zip, or a folder of them (a class).

An archive is unpacked by labtool itself, member by member, into a private temporary folder:
regular files and folders only (no symlink, hard link or device is made), no absolute path and
no `..`, limits on each file's size, the total and the number of files; an archive over a
limit is refused whole. Folders are read in place and their symlinks never followed. Nothing
from a submission is ever executed."""

from __future__ import annotations

import os
import posixpath
import stat
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import IO

from labtool.configs.common import Finding
from labtool.errors import LabtoolError

MAX_ARCHIVE_BYTES = 64 << 20
MAX_FILE_BYTES = 4 << 20
MAX_TOTAL_BYTES = 32 << 20
MAX_FILES = 2000
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")


class SubmissionError(LabtoolError):
    """A submission that cannot be read (refused archive, not a submission)."""


@dataclass
class Submission:
    name: str  # the student: the folder's or archive's name
    source: Path
    root: Path | None = None  # where its files are (None: refused)
    notes: list[Finding] = field(default_factory=list)  # what was skipped while reading it
    error: str | None = None  # why it was refused


def student_name(path: Path) -> str:
    name = path.name
    for suffix in ARCHIVE_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def is_archive(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(ARCHIVE_SUFFIXES)


def looks_like_submission(folder: Path, nodes: set[str]) -> bool:
    """A student's work, not a class: a report or config files at the top, a node folder of
    the lab's, or any folder holding a node's files (lb1/etc/..., srv-web-01/var/...)."""
    try:
        entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
    except OSError:
        return False
    names = {p.name for p in entries}
    if names & nodes or any(_node_folder(p) for p in entries):
        return True
    files = any(
        (p.is_file() and p.suffix.lower() in (".md", ".conf", ".cfg")) or p.name == "Vagrantfile"
        for p in entries
    )
    # a class folder may hold the instructions (a README): it is a class if a child is a
    # student's work
    return files and not any(
        p.is_dir() and not p.is_symlink() and any(_node_folder(c) for c in _children(p))
        for p in entries
    )


def _node_folder(path: Path) -> bool:
    return (
        path.is_dir()
        and not path.is_symlink()
        and any((path / top).is_dir() for top in ("etc", "var", "usr"))
    )


def _children(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def discover(paths: list[Path], nodes: set[str]) -> list[Path]:
    """Each PATH is a submission (folder or archive) or a folder of them (a class)."""
    found: list[Path] = []
    for path in paths:
        if not path.exists() and not path.is_symlink():
            raise SubmissionError(f"{path}: no such file or folder")
        if path.is_symlink():
            raise SubmissionError(f"{path} is a symlink; give the real path")
        if path.is_file() or looks_like_submission(path, nodes):
            found.append(path)
        else:
            children = sorted(
                p
                for p in path.iterdir()
                if not p.name.startswith(".")
                and (p.is_dir() or is_archive(p))
                and not p.is_symlink()
                and not (p / "grades.csv").is_file()
            )  # grade -o's own output
            if not children:
                raise SubmissionError(
                    f"{path}: neither a submission (no report.md, no "
                    f"{'/'.join(sorted(nodes))} folder) nor a folder of "
                    "submissions"
                )
            found += children
    return found


def _single_child(folder: Path, nodes: set[str]) -> Path | None:
    """A submission wrapped in one folder (alice.zip -> alice/haproxy1/...)."""
    try:
        entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
    except OSError:
        return None
    if (
        len(entries) == 1
        and entries[0].is_dir()
        and not entries[0].is_symlink()
        and looks_like_submission(entries[0], nodes)
    ):
        return entries[0]
    return None


def open_submission(path: Path, workdir: Path, nodes: set[str]) -> Submission:
    """Where a submission's files are; archives unpacked under workdir. Never raises for the
    submission's content: a refused one carries its error."""
    submission = Submission(student_name(path), path)
    try:
        if path.is_dir():
            root = path
        elif is_archive(path):
            root = Path(tempfile.mkdtemp(dir=workdir, prefix="s"))  # (graded in parallel)
            unpack(path, root, submission.notes)
        else:
            raise SubmissionError(f"{path.name} is not a folder, a .tar.gz or a .zip")
        submission.root = _single_child(root, nodes) or root
    except SubmissionError as exc:
        submission.error = str(exc)
    return submission


def _clean(name: str) -> str | None:
    """An archive member's name made relative and safe, or None when it points outside."""
    if "\x00" in name or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return None
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    if ".." in parts:
        return None
    return posixpath.join(*parts) if parts else ""


class _Writer:
    def __init__(self, root: Path, notes: list[Finding], archive: str) -> None:
        self.root, self.notes, self.archive = root, notes, archive
        self.total = 0
        self.files = 0

    def skip(self, name: str, why: str) -> None:
        self.notes.append(
            Finding("SUBMISSION", "warning", f"{name[:120]}: {why}, not read", self.archive)
        )

    def check(self, name: str, size: int) -> None:
        self.files += 1
        if self.files > MAX_FILES:
            raise SubmissionError(f"{self.archive}: more than {MAX_FILES} files")
        if size > MAX_FILE_BYTES:
            raise SubmissionError(
                f"{self.archive}: {name[:120]} is {size} bytes, over the "
                f"{MAX_FILE_BYTES >> 20} MiB limit for one file"
            )
        self.total += size
        if self.total > MAX_TOTAL_BYTES:
            raise SubmissionError(f"{self.archive}: over {MAX_TOTAL_BYTES >> 20} MiB unpacked")

    def write(self, relative: str, chunks: Iterator[bytes]) -> None:
        target = self.root.joinpath(*relative.split("/"))
        folder = self.root
        for part in relative.split("/")[:-1]:
            folder = folder / part
            if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
                self.skip(relative, "its folder is not a folder")
                return
            folder.mkdir(exist_ok=True)
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            self.skip(relative, "a second copy of the same name")
            return
        written = 0
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                written += len(chunk)
                if written > MAX_FILE_BYTES:  # the header lied about the size
                    raise SubmissionError(
                        f"{self.archive}: {relative} is bigger than its header says, over the limit"
                    )
                out.write(chunk)


def _chunks(handle: IO[bytes], limit: int) -> Iterator[bytes]:
    read = handle.read
    left = limit + 1
    while left > 0:
        chunk = read(min(65536, left))
        if not chunk:
            return
        left -= len(chunk)
        yield chunk


def unpack(archive: Path, root: Path, notes: list[Finding]) -> None:
    if archive.stat().st_size > MAX_ARCHIVE_BYTES:
        raise SubmissionError(f"{archive.name} is over {MAX_ARCHIVE_BYTES >> 20} MiB")
    writer = _Writer(root, notes, archive.name)
    if archive.name.lower().endswith(".zip"):
        _unzip(archive, writer)
    else:
        _untar(archive, writer)


@dataclass
class _Member:
    """An archive member, whatever the format: its name, what it is, its size, how to read it."""

    name: str
    kind: str  # "file", "dir", or why it is not read ("a symlink", ...)
    size: int
    open: Callable[[], IO[bytes] | None]


def _extract(members: Iterator[_Member], writer: _Writer) -> None:
    for member in members:
        relative = _clean(member.name)
        if relative is None:
            writer.skip(member.name, "a path outside the submission")
            continue
        if member.kind == "dir" or relative == "":
            continue
        if member.kind != "file":
            writer.skip(member.name, member.kind)
            continue
        writer.check(member.name, member.size)
        handle = member.open()
        if handle is not None:
            with handle:
                writer.write(relative, _chunks(handle, MAX_FILE_BYTES))


def _tar_kind(member: tarfile.TarInfo) -> str:
    if member.isdir():
        return "dir"
    if member.isfile():
        return "file"
    return (
        "a symlink" if member.issym() else "a hard link" if member.islnk() else "not a regular file"
    )


def _zip_kind(info: zipfile.ZipInfo) -> str:
    if info.is_dir():
        return "dir"
    mode = info.external_attr >> 16
    if stat.S_IFMT(mode) in (0, stat.S_IFREG):  # 0: made on a system that records no type
        return "file"
    return "a symlink" if stat.S_ISLNK(mode) else "not a regular file"


def _untar(archive: Path, writer: _Writer) -> None:
    try:
        with tarfile.open(archive, "r:*") as tar:
            _extract(
                (_Member(m.name, _tar_kind(m), m.size, partial(tar.extractfile, m)) for m in tar),
                writer,
            )
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        raise SubmissionError(f"{archive.name} is not a readable .tar.gz ({exc})") from None


def _unzip(archive: Path, writer: _Writer) -> None:
    try:
        with zipfile.ZipFile(archive) as zipped:
            _extract(
                (
                    _Member(i.filename, _zip_kind(i), i.file_size, partial(zipped.open, i))
                    for i in zipped.infolist()
                ),
                writer,
            )
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        EOFError,
        OSError,
        ValueError,
        NotImplementedError,
        RuntimeError,
    ) as exc:
        raise SubmissionError(f"{archive.name} is not a readable .zip ({exc})") from None
