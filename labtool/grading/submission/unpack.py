"""Unpacking a submission archive (.tar.gz, .zip) safely: bounded in size and in files, no path
outside its folder, no link, no device; what is refused says why."""

from __future__ import annotations

import os
import posixpath
import stat
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO

from labtool.configs.common import Finding
from labtool.errors import LabtoolError
from labtool.i18n import Msg

MAX_ARCHIVE_BYTES = 64 << 20
MAX_FILE_BYTES = 4 << 20
MAX_TOTAL_BYTES = 32 << 20
MAX_FILES = 2000


class SubmissionError(LabtoolError):
    """A submission that cannot be read (refused archive, not a submission)."""


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
            Finding(
                "SUBMISSION",
                "warning",
                Msg("{name}: {why}, not read", name=name[:120], why=why),
                self.archive,
            )
        )

    def check(self, name: str, size: int) -> None:
        self.files += 1
        if self.files > MAX_FILES:
            raise SubmissionError(
                Msg(
                    "{archive}: more than {max_files} files",
                    archive=self.archive,
                    max_files=MAX_FILES,
                )
            )
        if size > MAX_FILE_BYTES:
            raise SubmissionError(
                Msg(
                    "{archive}: {value} is {size} bytes, over the {value2} MiB limit for one file",
                    archive=self.archive,
                    value=name[:120],
                    size=size,
                    value2=MAX_FILE_BYTES >> 20,
                )
            )
        self.total += size
        if self.total > MAX_TOTAL_BYTES:
            raise SubmissionError(
                Msg(
                    "{archive}: over {value} MiB unpacked",
                    archive=self.archive,
                    value=MAX_TOTAL_BYTES >> 20,
                )
            )

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
                        Msg(
                            "{archive}: {relative} is bigger than its header says, over the limit",
                            archive=self.archive,
                            relative=relative,
                        )
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
        raise SubmissionError(
            Msg("{name} is over {value} MiB", name=archive.name, value=MAX_ARCHIVE_BYTES >> 20)
        )
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
        raise SubmissionError(
            Msg("{name} is not a readable .tar.gz ({exc})", name=archive.name, exc=exc)
        ) from None


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
        raise SubmissionError(
            Msg("{name} is not a readable .zip ({exc})", name=archive.name, exc=exc)
        ) from None
