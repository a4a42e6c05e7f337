"""Bounds on a confined lab (`labtool grade --run`): how many processes and how much memory all
its nodes may use together. A cgroup per lab where the machine has the controllers (cgroup v2,
else the v1 `pids` and `memory` hierarchies); every process of the lab is started in it, so
that a fork bomb in one submission's script stops at its own lab's limit. Where no cgroup can
be made, rlimits are the bound left (per process for memory, per user for processes: all
labs' scripts together)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from labtool.backends.netns.layout import nodes_dir
from labtool.errors import LabtoolError
from labtool.i18n import Msg

CGROUP_ROOT = Path("/sys/fs/cgroup")
PREFIX = "labtool-"


@dataclass(frozen=True)
class Bounds:
    pids: int = 512  # processes and threads of the whole lab (its Apaches: ~60 per web node)
    memory_mib: int = 768  # of the whole lab
    # its share of the CPU against every other lab (cgroup v2's cpu.weight; v1's cpu.shares is
    # ten times it): the lab's processes share one lab's part, however many a fork bomb makes
    cpu_weight: int = 100
    # its nodes' own files together (a tmpfs: a student filling their disk fills this alone;
    # its pages count in the lab's memory too)
    disk_mib: int = 256
    # rlimit, where no cgroup bounds processes: those of one unprivileged user, all labs
    # together (root is not bound by it; Apache's threads count: ~60 per web node)
    nproc: int = 4096
    # rlimit, where no cgroup bounds memory: one process's address space (Apache's threads
    # each reserve their stack and a malloc arena: 1 GiB is too little for one of its children)
    address_space_mib: int = 4096


def _v2() -> bool:
    controllers = CGROUP_ROOT / "cgroup.controllers"
    try:
        found = controllers.read_text().split()
    except OSError:
        return False
    return "pids" in found and "memory" in found


V1_NEEDED = ("pids", "memory")
V1_CPU = "cpu"  # (where the machine has it: the labs' fair share of CPU)


def _v1_dirs(lab: str) -> list[Path]:
    cpu = [V1_CPU] if (CGROUP_ROOT / V1_CPU / "cgroup.procs").exists() else []
    return [CGROUP_ROOT / c / f"{PREFIX}{lab}" for c in (*V1_NEEDED, *cpu)]


def cgroup_dirs(lab: str) -> list[Path]:
    """Where the lab's cgroups are (or would be) on this machine; empty: none can be made."""
    if _v2():
        return [CGROUP_ROOT / f"{PREFIX}{lab}"]
    if all((CGROUP_ROOT / c / "cgroup.procs").exists() for c in V1_NEEDED):
        return _v1_dirs(lab)
    return []


def make(lab: str, bounds: Bounds) -> list[str]:
    """Create the lab's cgroups with their limits; the cgroup.procs files a process writes its
    PID to, to join (empty where none could be made: rlimits only)."""
    dirs = cgroup_dirs(lab)
    if not dirs:
        return []
    memory = str(bounds.memory_mib * 1024 * 1024)
    try:
        if len(dirs) == 1:
            _make_v2(dirs[0], bounds, memory)
        else:
            for folder in dirs:
                folder.mkdir(exist_ok=True)
            (dirs[0] / "pids.max").write_text(str(bounds.pids))
            (dirs[1] / "memory.limit_in_bytes").write_text(memory)
            if len(dirs) > 2:
                (dirs[2] / "cpu.shares").write_text(str(bounds.cpu_weight * 1024 // 100))
    except OSError:
        remove(lab)
        return []
    return [str(d / "cgroup.procs") for d in dirs]


DISK_SOURCE = "labtool-disk"  # (how the lab's disk shows in the mount table)


def confine(lab: str) -> list[str]:
    """A confined lab's bounds made: its cgroups (`make`'s files to join), and, as root, its
    nodes' folder on a disk of its own."""
    if os.geteuid() == 0:
        mount_disk(nodes_dir(lab), Bounds())
    return make(lab, Bounds())


def mount_disk(folder: Path, bounds: Bounds) -> None:
    """The lab's nodes' folder, a disk of its own of bounded size (root only)."""
    folder.mkdir(parents=True, exist_ok=True)
    options = f"size={bounds.disk_mib}m,mode=0711,nosuid,nodev"
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, DISK_SOURCE, str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise LabtoolError(
            Msg("cannot give the lab a disk of its own: {why}", why=done.stderr.strip())
        )


def unmount_disk(folder: Path) -> None:
    """The lab's disk gone (its processes are): only a disk labtool mounted there."""
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        after = fields[fields.index("-") + 1 :] if "-" in fields else []
        if fields[4] == str(folder) and after[:2] == ["tmpfs", DISK_SOURCE]:
            subprocess.run(["umount", str(folder)], capture_output=True, check=True)


def _make_v2(folder: Path, bounds: Bounds, memory: str) -> None:
    for controller in ("+pids +memory", "+cpu"):  # (cpu where the machine lets it: apart)
        with contextlib.suppress(OSError):  # (already there, or not allowed: seen below)
            (CGROUP_ROOT / "cgroup.subtree_control").write_text(controller)
    folder.mkdir(exist_ok=True)
    (folder / "pids.max").write_text(str(bounds.pids))
    (folder / "memory.max").write_text(memory)
    with contextlib.suppress(OSError):
        (folder / "memory.swap.max").write_text("0")
    with contextlib.suppress(OSError):
        (folder / "cpu.weight").write_text(str(bounds.cpu_weight))


def join_argv(procs_files: list[str], bounds: Bounds, command: list[str]) -> list[str]:
    """`command`, started in the lab's cgroups (where none: under rlimits)."""
    if not procs_files:
        return [
            "prlimit",
            f"--nproc={bounds.nproc}",
            f"--as={bounds.address_space_mib * 1024 * 1024}",
            "--",
            *command,
        ]
    joins = " && ".join(f'echo $$ > "${i + 1}"' for i in range(len(procs_files)))
    shift = len(procs_files)
    return [
        "sh",
        "-c",
        f'{joins} && shift {shift} && exec "$@"',
        "labtool-bounds",
        *procs_files,
        *command,
    ]


def memory_peak_kib(lab: str) -> int | None:
    """The most memory the lab used at once, where its cgroup says so."""
    for folder in cgroup_dirs(lab):
        for name in ("memory.peak", "memory.max_usage_in_bytes"):
            with contextlib.suppress(OSError, ValueError):
                return int((folder / name).read_text().split()[0]) // 1024
    return None


def hit_limits(lab: str) -> list[str]:
    """Which bound the lab reached: 'processes', 'memory'."""
    hit = []
    for folder in cgroup_dirs(lab):
        with contextlib.suppress(OSError, ValueError):
            events = dict(
                line.split() for line in (folder / "pids.events").read_text().splitlines()
            )
            if int(events.get("max", "0")) > 0:
                hit.append("processes")
        with contextlib.suppress(OSError, ValueError):
            if int((folder / "memory.failcnt").read_text()) > 0:
                hit.append("memory")
        with contextlib.suppress(OSError, ValueError):
            events = dict(
                line.split() for line in (folder / "memory.events").read_text().splitlines()
            )
            if int(events.get("max", "0")) > 0:
                hit.append("memory")
    return sorted(set(hit))


def pids(lab: str) -> set[int]:
    """Every process in the lab's cgroups (whatever its environment says)."""
    found: set[int] = set()
    for folder in cgroup_dirs(lab):
        with contextlib.suppress(OSError, ValueError):
            found |= {int(p) for p in (folder / "cgroup.procs").read_text().split()}
    return found


def exists(lab: str) -> bool:
    return any(d.is_dir() for d in cgroup_dirs(lab))


def remove(lab: str, timeout_s: float = 5.0) -> None:
    """Remove the lab's cgroups once their processes are gone."""
    deadline = time.monotonic() + timeout_s
    for folder in cgroup_dirs(lab):
        while folder.is_dir():
            try:
                folder.rmdir()
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)


def leftover_labs() -> set[str]:
    """Labs whose cgroups are still on this machine."""
    found: set[str] = set()
    for base in (CGROUP_ROOT, *(CGROUP_ROOT / c for c in (*V1_NEEDED, V1_CPU))):
        with contextlib.suppress(OSError):
            found |= {p.name[len(PREFIX) :] for p in base.iterdir() if p.name.startswith(PREFIX)}
    return found
