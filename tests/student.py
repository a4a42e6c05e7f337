"""A normal user made for a test: a real account (useradd, its range in /etc/subuid as Debian
gives one), labtool installed for it by a plain `pip install` of this checkout into its own
venv made by the distribution's python3, and the real command line run as that user (setpriv:
no sudo, no capability). Removed at the end, with all it left: its labs, its processes, its
account and home.

Used by tests/integration/test_rootless.py and benchmarks/bench_rootless.py (root only)."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).parents[1]
# What `pip install .` needs of the checkout (its copy is the user's: the checkout's own folder
# may be one other users cannot enter, as a clone in `mktemp -d` is).
SOURCES = (
    "labtool",
    "provision",
    "scenarios",
    "steps",
    "Vagrantfile.j2",
    "pyproject.toml",
    "README.md",
)
PYTHON = "/usr/bin/python3"  # the distribution's, as a student's machine has it


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Student:
    name: str
    uid: int = 0
    gid: int = 0
    home: Path = Path("/nonexistent")
    labs: set[str] = field(default_factory=set)

    @property
    def labtool_bin(self) -> Path:
        return self.home / "venv" / "bin" / "labtool"

    def env(self) -> dict[str, str]:
        """A login's environment: no sbin on its PATH, as a normal user's on Debian."""
        return {
            "HOME": str(self.home),
            "USER": self.name,
            "LOGNAME": self.name,
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
        }

    def argv(self, *command: str) -> list[str]:
        return [
            "setpriv",
            f"--reuid={self.uid}",
            f"--regid={self.gid}",
            "--init-groups",
            "--",
            *command,
        ]

    def run(
        self,
        *command: str,
        timeout_s: float = 120,
        input_text: str | None = None,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> Done:
        done = subprocess.run(
            self.argv(*command),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            env=env or self.env(),
            cwd=cwd or self.home,
            input=input_text,
            stdin=None if input_text is not None else subprocess.DEVNULL,
        )
        return Done(done.returncode, done.stdout, done.stderr)

    def labtool(self, *args: str, timeout_s: float = 120, input_text: str | None = None) -> Done:
        """The real command line, as the student types it."""
        if "--name" in args:
            self.labs.add(args[args.index("--name") + 1])
        return self.run(str(self.labtool_bin), *args, timeout_s=timeout_s, input_text=input_text)

    def state_root(self) -> Path:
        return self.home / ".local" / "state" / "labtool"

    def processes(self) -> list[int]:
        """The user's own processes and those of its labs (ids of its range included)."""
        from labtool.backends.netns import procs

        found = {pid for lab in self.labs for pid in procs.lab_marked(lab, owner=self.uid)}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    if os.stat(f"/proc/{entry}").st_uid == self.uid:
                        found.add(int(entry))
                except OSError:
                    continue
        return sorted(found)


def _subordinate_ok(name: str) -> bool:
    for path in ("/etc/subuid", "/etc/subgid"):
        lines = Path(path).read_text().splitlines() if Path(path).exists() else []
        if not any(
            line.split(":")[0] == name and int(line.split(":")[2]) >= 65536
            for line in lines
            if line.count(":") == 2
        ):
            return False
    return True


def _free_range() -> int:
    """A start of 65536 ids no other user has."""
    end = 100000
    for path in ("/etc/subuid", "/etc/subgid"):
        if Path(path).exists():
            for line in Path(path).read_text().splitlines():
                parts = line.split(":")
                if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
                    end = max(end, int(parts[1]) + int(parts[2]))
    return end


def make(name: str) -> Student:
    """The account, its range of ids, and labtool installed for it (a minute at most)."""
    remove(Student(name))  # (what an interrupted run left)
    home = Path("/home") / name
    subprocess.run(
        ["useradd", "--create-home", "--home-dir", str(home), "--shell", "/bin/bash", name],
        check=True,
        capture_output=True,
    )
    if not _subordinate_ok(name):
        start = _free_range()
        ids = f"{start}-{start + 65535}"
        subprocess.run(
            ["usermod", "--add-subuids", ids, "--add-subgids", ids, name],
            check=True,
            capture_output=True,
        )
    entry = pwd.getpwnam(name)
    student = Student(name, entry.pw_uid, entry.pw_gid, home)
    source = home / "src"
    source.mkdir()
    for item in SOURCES:
        path = REPO / item
        if path.is_dir():
            shutil.copytree(
                path, source / item, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        else:
            shutil.copy2(path, source / item)
    subprocess.run(["chown", "-R", f"{student.uid}:{student.gid}", str(source)], check=True)
    for step in (
        [PYTHON, "-m", "venv", str(home / "venv")],
        [str(home / "venv" / "bin" / "pip"), "install", "-q", str(source)],
    ):
        done = student.run(*step, timeout_s=600)
        if done.returncode != 0:
            remove(student)
            raise RuntimeError(f"{' '.join(step)} failed as {name}: {done.stderr[-2000:]}")
    return student


def remove(student: Student) -> None:
    """Its labs down, every process of it killed, its account and home removed."""
    try:
        entry = pwd.getpwnam(student.name)
    except KeyError:
        return
    student.uid, student.gid, student.home = entry.pw_uid, entry.pw_gid, Path(entry.pw_dir)
    if student.labtool_bin.exists():
        state = student.state_root()
        names = {p.name for p in state.iterdir() if p.is_dir()} if state.is_dir() else set()
        for lab in names | student.labs:
            student.labtool("down", "--name", lab, timeout_s=60)
    deadline = time.monotonic() + 10
    while (left := student.processes()) and time.monotonic() < deadline:
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)
    subprocess.run(["userdel", "--remove", student.name], capture_output=True)
    if student.home.is_dir() and student.home != Path("/"):
        shutil.rmtree(student.home, ignore_errors=True)
    print(f"removed test user {student.name}", file=sys.stderr)
