"""Reading /proc: which processes belong to a lab, which run inside a node, their memory.

Every process labtool starts for a lab carries LABTOOL_LAB=<name> and LABTOOL_OWNER=<uid of the
labtool that made it> in its environment, and every daemon runs inside a PID namespace whose
first process carries them; so the lab's processes can be found again after labtool itself was
killed, and root's labs and each user's stay apart (a user cannot read root's anyway). Read-only;
nothing here kills.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

PROC = Path("/proc")


def _pids() -> Iterator[int]:
    for entry in os.listdir(PROC):
        if entry.isdigit():
            yield int(entry)


def environ(pid: int) -> dict[str, str]:
    try:
        raw = (PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return {}
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {k.decode(errors="replace"): v.decode(errors="replace") for k, v in pairs}


def owner_of(env: dict[str, str]) -> int:
    """Whose lab a marked process is of (a lab made before owners were marked: root's)."""
    try:
        return int(env.get("LABTOOL_OWNER", "0"))
    except ValueError:
        return -1


def lab_marked(lab: str, owner: int | None = None, leaders: bool = False) -> dict[int, str]:
    """PID -> node name of every process marked as belonging to `lab` of `owner` (default:
    this process's user); `leaders`: only those leading a session of their own."""
    owner = os.geteuid() if owner is None else owner
    needle = f"LABTOOL_LAB={lab}".encode()
    found: dict[int, str] = {}
    for pid in _pids():
        try:
            if leaders and os.getsid(pid) != pid:
                continue
            with open(f"/proc/{pid}/environ", "rb") as file:
                raw = file.read()
        except OSError:
            continue
        if needle not in raw.split(b"\0"):
            continue
        env = environ(pid)
        if env.get("LABTOOL_LAB") == lab and owner_of(env) == owner:
            found[pid] = env.get("LABTOOL_NODE", "")
    return found


def labs_running() -> set[str]:
    """Names of this user's labs that have at least one marked process on this machine."""
    return {lab for lab, owner in labs_of_all() if owner == os.geteuid()}


def labs_of_all() -> set[tuple[str, int]]:
    """(lab, owner) of every marked process this user may read (root: all)."""
    found: set[tuple[str, int]] = set()
    for pid in _pids():
        env = environ(pid)
        if env.get("LABTOOL_LAB"):
            found.add((env["LABTOOL_LAB"], owner_of(env)))
    return found


def start_ticks(pid: int) -> int | None:
    """The process start time in clock ticks (field 22 of /proc/PID/stat), or None if gone."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[19]) if fields[0] != "Z" else None


def alive(pid: int, ticks: int) -> bool:
    """True if `pid` still is the very process that started at `ticks` (not a reused PID)."""
    return start_ticks(pid) == ticks


def ns_inode(pid: int, kind: str) -> int | None:
    try:
        return os.stat(f"/proc/{pid}/ns/{kind}").st_ino  # (a str: looked up many times)
    except OSError:
        return None


def processes_in_pidns(pidns_inode: int) -> dict[int, str]:
    """PID -> command name of every live process in a PID namespace."""
    found: dict[int, str] = {}
    for pid, inode in _PIDNS.all().items():
        if inode == pidns_inode and (name := _live_name(f"/proc/{pid}")) is not None:
            found[pid] = name
    return found


def _live_name(process: str) -> str | None:
    """A process's command name, from its folder in a /proc; None if gone or a zombie (a
    plain path: read many times a second)."""
    try:
        with open(f"{process}/status", encoding="utf-8", errors="replace") as file:
            status = file.read()
    except OSError:
        return None  # (gone since the listing)
    fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
    return None if fields.get("State", "").startswith("Z") else fields.get("Name", "").strip()


def node_proc(holder_pid: int) -> Path | None:
    """The /proc a node mounts for its own PID namespace, seen through its holder: it lists
    the node's processes alone (as many reads as the node has processes, however many others
    run on the machine); None where it is not that (not mounted, or not readable here)."""
    base = PROC / str(holder_pid) / "root" / "proc"
    try:
        node = os.stat(PROC / str(holder_pid) / "ns" / "pid_for_children").st_ino
        mounted = os.stat(base / "1" / "ns" / "pid").st_ino
        machine = os.stat(PROC / "self" / "ns" / "pid").st_ino
    except OSError:
        return None
    return base if node == mounted != machine else None


def node_processes(holder_pid: int) -> dict[int, str] | None:
    """PID (as the node numbers it) -> command name of every live process of the node, from
    its own /proc; None where that cannot be read (then processes_in_pidns looks)."""
    base = node_proc(holder_pid)
    return None if base is None else processes_at(base)


def processes_at(base: Path) -> dict[int, str] | None:
    """PID -> command name of every live process a /proc (a node's own) lists."""
    try:
        entries = os.listdir(base)
    except OSError:
        return None
    found: dict[int, str] = {}
    for entry in entries:
        if entry.isdigit() and (name := _live_name(f"{base}/{entry}")) is not None:
            found[int(entry)] = name
    return found


class _PidnsCache:
    """Each live process's own PID namespace, by PID. A process never changes its own (setns
    and unshare change its children's), so only the PIDs new since the last look are asked;
    the PIDs gone are forgotten. A PID reused between two looks would need pid_max forks in
    between: the cache is dropped when looks are more than MAX_GAP_S apart. Many labs' nodes
    looked at many times a second (grade --run) then cost one listing of /proc each."""

    MAX_GAP_S = 1.0

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.inodes: dict[int, int] = {}
        self.looked = 0.0

    def all(self) -> dict[int, int]:
        with self.lock:
            now = time.monotonic()
            if now - self.looked > self.MAX_GAP_S:
                self.inodes = {}
            self.looked = now
            live = set(_pids())
            inodes = {pid: ino for pid, ino in self.inodes.items() if pid in live}
            for pid in live - inodes.keys():
                inode = ns_inode(pid, "pid")
                if inode is not None:
                    inodes[pid] = inode
            self.inodes = inodes  # (a new dict each look: the one returned never changes)
            return inodes


_PIDNS = _PidnsCache()


def pss_kib(pids: list[int], proc: Path = PROC) -> int:
    """Proportional set size of these processes together, in KiB (shared pages split fairly);
    `proc`: the /proc they are numbered in (a node's own)."""
    total = 0
    for pid in pids:
        try:
            text = (proc / str(pid) / "smaps_rollup").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1])
                break
    return total


def commands_left(lab: str) -> dict[int, str]:
    """PID -> "node: command" of each command a labtool that is gone (killed with -9) left
    running on the lab's nodes: an `nsenter` marked with the lab, leading a session of its
    own (labtool starts the commands that must not be cut that way), whose parent is no
    labtool process any more. Its probes (no session of their own) and the commands of a
    labtool still running are not counted."""
    found: dict[int, str] = {}
    for pid, node in lab_marked(lab, leaders=True).items():
        try:
            args = (PROC / str(pid) / "cmdline").read_bytes().split(b"\0")
            stat = (PROC / str(pid) / "stat").read_text()
            parent = int(stat[stat.rindex(")") + 2 :].split()[1])
            parent_args = (PROC / str(parent) / "cmdline").read_bytes()
            leads = os.getsid(pid) == pid
        except (OSError, ValueError):
            continue
        if os.path.basename(args[0]) != b"nsenter" or not leads or b"labtool" in parent_args:
            continue
        command = args[args.index(b"--") + 1 :] if b"--" in args else args
        found[pid] = f"{node}: {b' '.join(command).decode(errors='replace').strip()[:120]}"
    return found
