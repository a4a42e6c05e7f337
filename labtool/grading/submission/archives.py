"""Submissions: a folder, a .tar.gz or a .zip, or a folder of them (a class).

An archive is unpacked by labtool itself, member by member, into a private temporary folder:
regular files and folders only (no symlink, hard link or device is made), no absolute path and
no `..`, limits on each file's size, the total and the number of files; an archive over a
limit is refused whole. Folders are read in place and their symlinks never followed. Nothing
from a submission is ever executed."""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from labtool.configs.common import Finding
from labtool.grading.submission.unpack import SubmissionError, unpack
from labtool.i18n import Msg

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")


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


def student_names(paths: list[Path]) -> dict[Path, str]:
    """Each submission's student: its folder's or archive's name without the archive's
    suffix; its whole name where two would share one (alice.zip and alice.tar.gz)."""
    stems = Counter(student_name(p) for p in paths)
    return {p: student_name(p) if stems[student_name(p)] == 1 else p.name for p in paths}


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
            raise SubmissionError(Msg("{path}: no such file or folder", path=path))
        if path.is_symlink():
            raise SubmissionError(Msg("{path} is a symlink; give the real path", path=path))
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
                    Msg(
                        "{path}: neither a submission (no report.md, no {join} folder) nor a "
                        "folder of submissions",
                        path=path,
                        join="/".join(sorted(nodes)),
                    )
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


def open_submission(
    path: Path, workdir: Path, nodes: set[str], name: str | None = None
) -> Submission:
    """Where a submission's files are; archives unpacked under workdir. Never raises for the
    submission's content: a refused one carries its error. `name`: the student's, when the
    class gives it (student_names), else from the path."""
    submission = Submission(name or student_name(path), path)
    try:
        if path.is_dir():
            root = path
        elif is_archive(path):
            root = Path(tempfile.mkdtemp(dir=workdir, prefix="s"))  # (graded in parallel)
            unpack(path, root, submission.notes)
        else:
            raise SubmissionError(
                Msg("{name} is not a folder, a .tar.gz or a .zip", name=path.name)
            )
        submission.root = _single_child(root, nodes) or root
    except SubmissionError as exc:
        submission.error = str(exc)
    return submission
