"""A lab's work kept across its stops (serve's idle stop, Ctrl-C, a reset that keeps the
files): each node's own folders (what `yum install`, the editor and `systemctl enable` wrote)
copied into a folder, then given back to a lab made later with the same nodes. What a reboot
clears is not kept (/run, /tmp, /var/tmp, /dev/shm). The node's files belong to its root, which
is nobody on this machine: a lab made later may be given other ids, so they are shifted."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import stat
from pathlib import Path

from labtool import ids
from labtool.backends.netns import teardown
from labtool.backends.netns.layout import node_root, nodes_dir
from labtool.spec.model import LabSpec
from labtool.state import LabState

NODES = "nodes"
IDS = "ids.json"
NOT_KEPT = frozenset({"run", "tmp", "var/tmp", "dev"})  # (relative to a node's folder)


def id_base(state: LabState) -> int:
    """The first host id of the lab's block (the node's root); 0 where the ids are a user's."""
    return int(state.options.get("id_base", 0))


def save(state: LabState, folder: Path) -> int:
    """The lab's node folders into `folder` (the last copy replaced whole); how many files.
    Every process of the lab is stopped (SIGSTOP) while they are read: none can swap a file
    for a link to this machine's files under the copy (root's), nor fork out of the stop."""
    source = nodes_dir(state.name)
    if not source.is_dir():
        return 0
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    fresh, kept = folder / (NODES + ".new"), folder / NODES
    shutil.rmtree(fresh, ignore_errors=True)
    stopped = _stop_all(state.name)
    try:
        count = sum(
            _copy(node, fresh / node.name, 0, skip=NOT_KEPT)
            for node in source.iterdir()
            if node.is_dir() and not node.is_symlink()
        )
    finally:
        for pid in stopped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
    (folder / IDS).write_text(json.dumps({"base": id_base(state)}) + "\n")
    shutil.rmtree(kept, ignore_errors=True)
    fresh.rename(kept)
    return count


def give_back(spec: LabSpec, state: LabState, folder: Path) -> int:
    """The files kept, into the nodes of a lab just made (nothing of the student's runs in it
    yet; their ids shifted to the new lab's block); how many files (0: nothing was kept)."""
    kept = folder / NODES
    if not kept.is_dir():
        return 0
    try:
        old = int(json.loads((folder / IDS).read_text())["base"])
    except (OSError, ValueError, KeyError, TypeError):
        old = 0
    shift = id_base(state) - old if old else 0
    return sum(
        _copy(kept / n.name, node_root(spec.name, n.name), shift)
        for n in spec.nodes
        if (kept / n.name).is_dir()
    )


def _stop_all(lab: str) -> set[int]:
    """Every process of the lab stopped; listed again until no new one appears (a stopped
    process forks no more)."""
    stopped: set[int] = set()
    while new := set(teardown.lab_pids(lab)) - stopped:
        for pid in new:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
        stopped |= new
    return stopped


def _copy(source: Path, target: Path, shift: int, skip: frozenset[str] = frozenset()) -> int:
    """Files, links and folders (but the folders `skip` names, relative to `source`), with
    their modes and owners (shifted by `shift` where they are in a lab's block of ids); a file
    that exists is overwritten in place (a node's file mounted on its own path stays the one
    mounted)."""
    count = 0
    for folder, dirs, files in os.walk(source):
        here = Path(folder)
        relative = here.relative_to(source)
        dirs[:] = [d for d in dirs if (relative / d).as_posix() not in skip]
        (target / relative).mkdir(parents=True, exist_ok=True)
        _same_owner(here, target / relative, shift)
        for name in files:
            path, to = here / name, target / relative / name
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                to.unlink(missing_ok=True)
                to.symlink_to(os.readlink(path))
            elif stat.S_ISREG(info.st_mode):
                shutil.copyfile(path, to)
                shutil.copystat(path, to)
            else:
                continue  # (sockets, fifos: a running daemon's, not work)
            _same_owner(path, to, shift)
            count += 1
    return count


def _same_owner(source: Path, target: Path, shift: int) -> None:
    info = source.lstat()
    uid, gid = info.st_uid, info.st_gid
    if shift and uid >= ids.ROOT_ID_BASE:
        uid, gid = uid + shift, gid + shift
    os.lchown(target, uid, gid)
