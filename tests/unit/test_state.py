"""Where lab state lives (labtool/state.py): $LABTOOL_STATE_DIR, /run/labtool for root on
Linux, else the user's own state folder; the machine lock from a library, on any system."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

from labtool import state


def test_the_state_root_follows_who_runs_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("LABTOOL_STATE_DIR", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(state.os, "geteuid", lambda: 0)
    assert state.state_root() == Path("/run/labtool")
    monkeypatch.setattr(state.os, "geteuid", lambda: 1000)  # a student, no root
    assert state.state_root() == tmp_path / "xdg" / "labtool"
    monkeypatch.setenv("LABTOOL_STATE_DIR", str(tmp_path / "mine"))
    assert state.state_root() == tmp_path / "mine"


def test_the_machine_lock_serialises(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LABTOOL_STATE_DIR", str(tmp_path))
    order: list[str] = []

    def second() -> None:
        with state.machine_lock():
            order.append("second")

    with state.machine_lock():
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.3)
        order.append("first")
    thread.join(5)
    assert order == ["first", "second"]
    assert state.known_labs() == []  # the lock file is not a lab
