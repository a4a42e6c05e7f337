"""Where labtool may write what a user asked for (-o): checked before any work is done, so that a
bad path is one message and nothing changed, not a traceback after minutes of grading."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from labtool.errors import LabtoolError, UsageError
from labtool.i18n import Msg


def _writable_folder(folder: Path, what: Path) -> None:
    if not folder.exists():
        raise UsageError(
            Msg(
                "cannot write {what}: the folder {folder} does not exist. Fix: mkdir "
                "-p {folder}, or choose another path",
                what=what,
                folder=folder,
            )
        )
    if not folder.is_dir():
        raise UsageError(
            Msg("cannot write {what}: {folder} is a file, not a folder", what=what, folder=folder)
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(
            Msg(
                "cannot write {what}: you may not write in {folder}. Fix: choose a folder of yours",
                what=what,
                folder=folder,
            )
        )


def output_file(path: Path | None, *, folder_ok: bool = False) -> Path | None:
    """A file to write (or, `folder_ok`, a folder to write into): its folder exists and is
    writable, and it is no folder itself. None: nothing asked (stdout)."""
    if path is None:
        return None
    if path.is_dir():
        if folder_ok:
            _writable_folder(path, path)
            return path
        raise UsageError(
            Msg("cannot write {path}: it is a folder. Fix: give a file name", path=path)
        )
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(
            Msg("cannot write {path}: you may not change it. Fix: choose another path", path=path)
        )
    _writable_folder(path.parent if str(path.parent) else Path("."), path)
    return path


def output_folder(path: Path | None) -> Path | None:
    """A folder to write files into: it is one (or can be made in a writable folder)."""
    if path is None:
        return None
    if path.exists():
        if not path.is_dir():
            raise UsageError(
                Msg(
                    "cannot write into {path}: it is a file, not a folder. Fix: give a "
                    "folder (it is made if missing)",
                    path=path,
                )
            )
        _writable_folder(path, path)
        return path
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    _writable_folder(parent, path)
    return path


WHY = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "your disk quota is used up",
    errno.EROFS: "the filesystem is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "not permitted",
    errno.ENOENT: "no such file or folder",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder",
    errno.EEXIST: "it exists already",
}


def os_error(exc: OSError) -> LabtoolError:
    """An error of the machine's (a full or read-only disk, a path) as one message."""
    why = WHY.get(exc.errno or 0, exc.strerror or str(exc))
    where = exc.filename if exc.filename is not None else ""
    return LabtoolError(f"cannot use {where}: {why}" if where else f"{why} ({exc})")
