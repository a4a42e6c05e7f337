"""Where a lab keeps its files, and its state, saved after every change (write-through).

A lab's folder is `<state root>/<lab name>/`. The state root is $LABTOOL_STATE_DIR if set; else
/run/labtool for root on Linux (the netns backend's labs), else the user's own state folder
(platformdirs: ~/.local/state/labtool, ~/Library/Application Support/labtool,
%LOCALAPPDATA%\\labtool): a user's labs (on either backend) need no root.
A lab's folder holds `state.json` and, for the netns backend, each node's private folders.
Nothing else on the machine is written by a lab (the state root also holds `.lock`, the
machine lock, and `.ids.lock`, that of the choice of a lab's ids), so removing its folder
removes every file it made.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import filelock
import platformdirs

from labtool.errors import LabtoolError
from labtool.i18n import Msg

STATE_FILE = "state.json"
ROOT_STATE_ROOT = Path("/run/labtool")  # root's labs on Linux (the netns backend's)


def state_root() -> Path:
    if os.environ.get("LABTOOL_STATE_DIR"):
        return Path(os.environ["LABTOOL_STATE_DIR"])
    if sys.platform.startswith("linux") and os.geteuid() == 0:
        return ROOT_STATE_ROOT
    return platformdirs.user_state_path("labtool", appauthor=False)


def lab_dir(name: str) -> Path:
    return state_root() / name


@dataclass
class Holder:
    """The process that holds one node's namespaces, and its start time (against PID reuse)."""

    pid: int
    start_ticks: int


@dataclass
class LabState:
    """What `labtool up` built; saved to state.json after every change."""

    name: str
    backend: str
    lab: dict[str, Any]  # the spec, in lab-file form (labtool.spec.spec_to_dict)
    phase: str = "creating"  # creating -> up; bare labs are "up" with no daemons started
    bare: bool = False
    holders: dict[str, Holder] = field(default_factory=dict)
    created_at: float = 0.0
    options: dict[str, str] = field(default_factory=dict)  # the backend's (vagrant: provider, box)
    macs: dict[str, str] = field(default_factory=dict)  # node -> its NIC's MAC, once read
    halted: list[str] = field(default_factory=list)  # nodes powered off by `labtool halt`

    def save(self) -> None:
        folder = lab_dir(self.name)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / (STATE_FILE + ".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n")
        tmp.replace(folder / STATE_FILE)

    @classmethod
    def load(cls, name: str) -> LabState | None:
        path = lab_dir(name) / STATE_FILE
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise LabtoolError(
                Msg(
                    "{path}: unreadable lab state ({exc}). Fix: run 'labtool down --name "
                    "{name}' to remove the lab",
                    path=path,
                    exc=exc,
                    name=name,
                )
            ) from None
        holders = {k: Holder(**v) for k, v in data.pop("holders", {}).items()}
        return cls(holders=holders, **data)


def load_quietly(name: str) -> LabState | None:
    """A lab's state, or None where there is none or it cannot be read."""
    try:
        return LabState.load(name)
    except LabtoolError:
        return None


def known_labs() -> list[str]:
    """Names of the labs that have a folder under the state root."""
    root = state_root()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir())


@contextlib.contextmanager
def id_lock() -> Iterator[None]:
    """Serialise the choice of a lab's block of ids across labtool processes."""
    root = state_root()
    root.mkdir(parents=True, exist_ok=True)
    with filelock.FileLock(root / ".ids.lock"):
        yield


@contextlib.contextmanager
def machine_lock() -> Iterator[None]:
    """Serialise `up` and `down` across labtool processes (two `up` at once would race)."""
    root = state_root()
    root.mkdir(parents=True, exist_ok=True)
    with filelock.FileLock(root / ".lock"):  # (a file lock on every system, released on exit)
        yield
