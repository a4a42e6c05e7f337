"""A lab's work kept across its stops (serve's idle stop, Ctrl-C, a reset that keeps the
files): each node's own folders (what `yum install`, the editor and `systemctl enable` wrote)
copied into a folder, then given back to a lab made later with the same nodes. What a reboot
clears is not kept (/run, /tmp, /var/tmp, /dev/shm). The node's files belong to its root, which
is nobody on this machine: a lab made later may be given other ids, so they are shifted."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

from labtool import ids
from labtool.backends.netns.layout import node_root
from labtool.state import load_quietly

NODES = "nodes"
IDS = "ids.json"
NOT_KEPT = {"run", "tmp", "var/tmp", "dev"}  # (relative to a node's folder)


def id_base(lab: str) -> int:
    """The first host id of the lab's block (the node's root); 0 where the ids are a user's."""
    state = load_quietly(lab)
    if state is None or "id_base" not in state.options:
        return 0
    return int(state.options["id_base"])


def save(lab: str, folder: Path) -> int:
    """The lab's node folders into `folder` (the last copy replaced whole); how many files."""
    source = node_root(lab, "x").parent
    if not source.is_dir():
        return 0
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    fresh, kept = folder / (NODES + ".new"), folder / NODES
    shutil.rmtree(fresh, ignore_errors=True)
    count = _copy(source, fresh, 0, top=source)
    (folder / IDS).write_text(json.dumps({"base": id_base(lab)}) + "\n")
    shutil.rmtree(kept, ignore_errors=True)
    fresh.rename(kept)
    return count


def give_back(lab: str, nodes: list[str], folder: Path) -> int:
    """The files kept, into the nodes of a lab just made (their ids shifted to the new lab's);
    how many files (0: nothing was kept)."""
    kept = folder / NODES
    if not kept.is_dir():
        return 0
    try:
        old = int(json.loads((folder / IDS).read_text())["base"])
    except (OSError, ValueError, KeyError, TypeError):
        old = 0
    shift = id_base(lab) - old if old else 0
    return sum(
        _copy(kept / node, node_root(lab, node), shift) for node in nodes if (kept / node).is_dir()
    )


def _copy(source: Path, target: Path, shift: int, top: Path | None = None) -> int:
    """Files, links and folders, with their modes and owners (shifted by `shift` where they
    are in a lab's block of ids); a file that exists is overwritten in place (a node's file
    mounted on its own path stays the one mounted)."""
    top = top or source
    count = 0
    for folder, dirs, files in os.walk(source):
        here = Path(folder)
        relative = here.relative_to(source)
        dirs[:] = [d for d in dirs if _kept(here / d, top)]
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


def _kept(path: Path, top: Path) -> bool:
    parts = path.relative_to(top).parts
    return "/".join(parts[1:]) not in NOT_KEPT if len(parts) > 1 else True


def _same_owner(source: Path, target: Path, shift: int) -> None:
    info = source.lstat()
    uid, gid = info.st_uid, info.st_gid
    if shift and uid >= ids.ROOT_ID_BASE:
        uid, gid = uid + shift, gid + shift
    os.lchown(target, uid, gid)
