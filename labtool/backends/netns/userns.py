"""A netns lab's user namespace: every namespace of the lab is owned by it, so that root in a
node is nobody on this machine, for root's labs and a normal user's alike.

Which ids map where is labtool/ids.py. Root's lab files are given to the node's root
(`chown_tree`); a normal user owns them already, and removes them from inside the same mapping
(`remove_tree`). Argv builders, and the commands that make a namespace and write its mapping;
no lab logic.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from labtool import runner
from labtool.errors import EnvironmentProblem, LabtoolError
from labtool.i18n import Msg
from labtool.ids import SUBGID, SUBUID, IdMap


def holder_argv() -> list[str]:
    """The process that holds the lab's user namespace (made before its mapping is written:
    it runs nothing that needs one)."""
    return ["unshare", "--user", "--", "sleep", "infinity"]


def enter_argv(pid: int, command: list[str]) -> list[str]:
    """`command` as the root of the user namespace of process `pid`."""
    return ["nsenter", "-t", str(pid), "-U", "--", *command]


def map_argv(pid: int, ids: IdMap) -> list[list[str]]:
    """The commands that write a normal user's mapping (setuid helpers that check
    /etc/subuid and /etc/subgid)."""
    return [
        ["newuidmap", str(pid), *(str(n) for line in ids.uids for n in line)],
        ["newgidmap", str(pid), *(str(n) for line in ids.gids for n in line)],
    ]


def start(
    ids: IdMap,
    env: Mapping[str, str] | None = None,
    wrap: Callable[[list[str]], list[str]] | None = None,
) -> subprocess.Popen[str]:
    """Start a holder of a new user namespace (in a session of its own; `wrap`: within a lab's
    bounds) and give it its ids."""
    argv = holder_argv()
    holder = runner.spawn(wrap(argv) if wrap else argv, env=env, new_session=True)
    try:
        await_namespace(holder)
        write_map(holder.pid, ids)
    except BaseException:
        holder.kill()
        holder.wait()
        raise
    return holder


def await_namespace(holder: subprocess.Popen[str], timeout_s: float = 10.0) -> None:
    """Until the holder is in its new user namespace (a mapping written before would be the
    parent's)."""
    ours = os.stat("/proc/self/ns/user").st_ino
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if os.stat(f"/proc/{holder.pid}/ns/user").st_ino != ours:
                return
        if holder.poll() is not None:
            break
        time.sleep(0.002)
    raise EnvironmentProblem(
        "cannot make a user namespace here (unshare --user"
        + (f" exited with {holder.returncode})" if holder.returncode is not None else " hung)")
        + ". Fix: labtool doctor says why, and how to allow it"
    )


@contextlib.contextmanager
def throwaway(ids: IdMap) -> Iterator[int]:
    """A user namespace with these ids for the time of a block (its holder's PID)."""
    holder = start(ids)
    try:
        yield holder.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(holder.pid, signal.SIGKILL)
        holder.wait()


def write_map(pid: int, ids: IdMap) -> None:
    """Give the user namespace of process `pid` its ids: root writes them itself."""
    if os.geteuid() == 0:
        for kind, lines in (("uid_map", ids.uids), ("gid_map", ids.gids)):
            text = "".join(f"{a} {b} {c}\n" for a, b, c in lines)
            try:
                Path(f"/proc/{pid}/{kind}").write_text(text)
            except OSError as exc:
                raise EnvironmentProblem(
                    Msg("cannot map the lab's ids ({kind}: {exc})", kind=kind, exc=exc)
                ) from None
        return
    for argv in map_argv(pid, ids):
        result = runner.run(argv, timeout_s=10)
        if not result.succeeded:
            raise EnvironmentProblem(
                Msg(
                    "cannot map the lab's ids: {why}. Fix: check your ranges "
                    "in {subuid} and {subgid} (labtool doctor)",
                    why=result.describe_failure(),
                    subuid=SUBUID,
                    subgid=SUBGID,
                )
            )


def chown_tree(folder: Path, uid: int, gid: int) -> None:
    """Give a folder and all in it to the node's root (root's labs: made by root here)."""
    os.chown(folder, uid, gid, follow_symlinks=False)
    for parent, dirs, files in os.walk(folder):
        for name in (*dirs, *files):
            os.chown(os.path.join(parent, name), uid, gid, follow_symlinks=False)


def remove_tree(folder: Path, ids: IdMap) -> None:
    """Remove a lab's folder whose files belong to ids of its namespace (a normal user's: what
    www-data wrote there is not the user's on this machine): `rm -rf` as the root of a
    throwaway namespace with the lab's mapping."""
    if os.geteuid() == 0:
        shutil.rmtree(folder)
        return
    with throwaway(ids) as pid:
        result = runner.run(enter_argv(pid, ["rm", "-rf", "--", str(folder)]))
    if not result.succeeded or folder.exists():
        raise LabtoolError(
            Msg("cannot remove {folder}: {why}", folder=folder, why=result.describe_failure())
        )
