"""Removing a netns lab: every process marked with its name killed (which frees its namespaces and
mounts), then its folder; works from /proc alone, after a crash too."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import time
from pathlib import Path

from labtool import ids
from labtool.backends.netns import bounds, procs, userns
from labtool.backends.netns.layout import nodes_dir
from labtool.errors import LabtoolError
from labtool.i18n import Msg
from labtool.state import lab_dir

KILL_TIMEOUT_S = 10.0


def lab_pids(lab: str) -> list[int]:
    """Its processes: marked with its name, or in its cgroups (a confined lab's)."""
    return sorted(set(procs.lab_marked(lab)) | bounds.pids(lab))


def destroy(lab: str) -> int:
    """Kill every process of the lab (which frees its namespaces and mounts), then remove its
    folder. Works from /proc alone, so it also cleans a lab whose `up` was killed mid-way.
    Returns how many processes were killed."""
    killed = 0
    deadline = time.monotonic() + KILL_TIMEOUT_S
    while True:
        pids = lab_pids(lab)
        if not pids:
            break
        if time.monotonic() > deadline:
            raise LabtoolError(
                Msg(
                    "lab '{lab}': processes {pids} did not die; nothing more removed",
                    lab=lab,
                    pids=pids,
                )
            )
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
        time.sleep(0.01)
        reap_if_own_children(pids)
    if os.geteuid() == 0:
        bounds.remove(lab)
    folder = lab_dir(lab)
    if folder.exists():
        if os.geteuid() == 0:
            bounds.unmount_disk(nodes_dir(lab).resolve())  # (a confined lab's own disk)
        _refuse_mounts_under(folder)
        _remove_folder(folder)
    with contextlib.suppress(OSError):
        folder.parent.rmdir()  # the state root too, once no lab is left in it
    return killed


def _remove_folder(folder: Path) -> None:
    """Root removes it; a normal user's holds files of the daemons' users of its nodes (ids of
    the user's range), removed from inside a namespace with the same ids."""
    if os.geteuid() == 0:
        shutil.rmtree(folder)
        return
    try:
        id_map = ids.for_user(os.geteuid(), os.getegid())
    except LabtoolError:
        shutil.rmtree(folder)  # (no range: the lab's files are all the user's)
        return
    userns.remove_tree(folder, id_map)


def reap_if_own_children(pids: list[int]) -> None:
    """Holders started by this very process would linger as zombies; collect those."""
    for pid in pids:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def _refuse_mounts_under(folder: Path) -> None:
    """Node mounts live only in node namespaces; one under the lab folder here is a bug, and
    removing the folder through it would delete what it shows."""
    prefix = str(folder.resolve()) + "/"
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        mount_point = line.split()[4]
        if mount_point.startswith(prefix) or mount_point == prefix[:-1]:
            raise LabtoolError(
                Msg(
                    "{mount_point} is mounted in the root namespace; unmount it before "
                    "removing {folder}",
                    mount_point=mount_point,
                    folder=folder,
                )
            )
