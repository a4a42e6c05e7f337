"""Ids of a lab's user namespace: which ids of this machine a node's ids are.

- root's labs: 0-65535 to a block of ids that no account uses (ROOT_ID_BASE + slot x 65536),
  one block per lab;
- a normal user's labs: 0 to the user, 1-65536 to the user's range in /etc/subuid and
  /etc/subgid (written by `newuidmap`/`newgidmap`, package uidmap), as rootless Podman does.

Pure, apart from reading /etc/subuid, /etc/subgid and the user database.
"""

from __future__ import annotations

import contextlib
import pwd
import shutil
from dataclasses import dataclass
from pathlib import Path

from labtool.errors import EnvironmentProblem, LabtoolError
from labtool.i18n import Msg

ROOT_ID_BASE = 2_100_000_000  # above every range useradd and systemd hand out, below 2^31
BLOCK = 65536  # ids of one lab: 0-65535 inside
ROOT_SLOTS = 700  # labs of root at once (the blocks fit below 2^31)
SUBUID, SUBGID = Path("/etc/subuid"), Path("/etc/subgid")
# What a normal user needs to run a lab whose daemons switch users (apache2 to www-data).
DAEMON_IDS = 65536


@dataclass(frozen=True)
class IdMap:
    """(inside, outside, count) lines of uid_map and gid_map."""

    uids: tuple[tuple[int, int, int], ...]
    gids: tuple[tuple[int, int, int], ...]

    @property
    def root_uid(self) -> int:
        """The node's root, seen from this machine."""
        return next(outside for inside, outside, _ in self.uids if inside == 0)

    @property
    def root_gid(self) -> int:
        return next(outside for inside, outside, _ in self.gids if inside == 0)

    def options(self) -> dict[str, str]:
        """As kept in the lab's state (its block, for root's labs)."""
        return {"id_base": str(self.root_uid)}


def for_root(slot: int) -> IdMap:
    base = ROOT_ID_BASE + slot * BLOCK
    line = ((0, base, BLOCK),)
    return IdMap(line, line)


def free_slot(used_bases: set[int]) -> int:
    """The first block no other lab of root's holds."""
    for slot in range(ROOT_SLOTS):
        if ROOT_ID_BASE + slot * BLOCK not in used_bases:
            return slot
    raise LabtoolError(
        Msg(
            "root has {root_slots} labs already. Fix: labtool down some of them",
            root_slots=ROOT_SLOTS,
        )
    )


def subordinate(path: Path, name: str, uid: int) -> tuple[int, int] | None:
    """The first range of `path` (/etc/subuid, /etc/subgid) given to this user (by name or
    number) that is large enough for the daemons' users, or None."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.strip().split(":")
        if len(fields) != 3 or fields[0] not in (name, str(uid)):
            continue
        with contextlib.suppress(ValueError):
            start, count = int(fields[1]), int(fields[2])
            if count >= DAEMON_IDS:
                return start, count
    return None


def user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def for_user(uid: int, gid: int) -> IdMap:
    """A normal user's mapping, or one message saying why there is none and the fixes."""
    name = user_name(uid)
    subuid, subgid = subordinate(SUBUID, name, uid), subordinate(SUBGID, name, uid)
    tools = [t for t in ("newuidmap", "newgidmap") if shutil.which(t) is None]
    if subuid is None or subgid is None:
        raise EnvironmentProblem(
            Msg(
                "user {name} has no range of subordinate ids of {daemon_ids} in "
                "{value}: a lab without root needs one, as the nodes' daemons switch "
                "users (apache2 to www-data, haproxy to haproxy). Fix: sudo usermod "
                "--add-subuids 100000-165535 --add-subgids 100000-165535 {name} (a "
                "range no other user has), or run the lab as root: sudo labtool up",
                name=name,
                daemon_ids=DAEMON_IDS,
                value=SUBUID if subuid is None else SUBGID,
            )
        )
    if tools:
        raise EnvironmentProblem(
            Msg(
                "{join} missing: a lab without root maps its range of ids with them. "
                "Fix: sudo apt-get install -y uidmap, or run the lab as root: sudo "
                "labtool up",
                join=" and ".join(tools),
            )
        )
    return IdMap(
        ((0, uid, 1), (1, subuid[0], DAEMON_IDS)),
        ((0, gid, 1), (1, subgid[0], DAEMON_IDS)),
    )
