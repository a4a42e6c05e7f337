"""The server's state in SQLite: students with their codes (kept keyed, never in clear),
sign-in and sessions; and a server killed with -9 mid-way loses nothing it had committed."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from labtool.serve.roster import Student
from labtool.serve.store import Store

CLASS = [Student("1", "Alice", "a@x", "alice"), Student("2", "Bruno", "b@x", "bruno")]


def test_codes_sign_students_in_and_are_not_kept_in_clear(tmp_path: Path) -> None:
    store = Store(tmp_path)
    made = store.add_students(CLASS)
    assert set(made) == {"alice", "bruno"} and made["alice"] != made["bruno"]
    assert store.add_students(CLASS) == {}  # (known students keep their codes)
    assert store.sign_in("WRNG-CODE") is None
    signed = store.sign_in(made["bruno"].lower())
    assert signed is not None and signed[0] == "bruno"
    assert store.session(signed[1]) == "bruno"
    assert store.session("forged") is None
    rows = {r.slug: r for r in store.students()}
    assert rows["bruno"].signed_in_at is not None and rows["alice"].signed_in_at is None
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("state.db*"))  # (the WAL too)
    store.close()
    raw += (tmp_path / "state.db").read_bytes()
    assert made["alice"].encode() not in raw and signed[1].encode() not in raw
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0


WRITER = """
import sys, time
from pathlib import Path
import pytest

from labtool.serve.roster import Student
from labtool.serve.store import Store
store = Store(Path(sys.argv[1]))
codes = store.add_students([Student(str(i), f"S{i}", "", f"s{i}") for i in range(50)])
print(codes["s7"], flush=True)
store.sign_in(codes["s7"])
print("signed", flush=True)
time.sleep(60)
"""


def test_a_server_killed_with_9_loses_nothing_committed(tmp_path: Path) -> None:
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None
    code = writer.stdout.readline().strip()
    assert writer.stdout.readline().strip() == "signed"
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    store = Store(tmp_path)  # (started again)
    assert len(store.students()) == 50
    assert next(r for r in store.students() if r.slug == "s7").signed_in_at is not None
    assert store.sign_in(code) is not None
    assert sqlite3.connect(tmp_path / "state.db").execute("PRAGMA integrity_check").fetchone() == (
        "ok",
    )
    store.close()


def test_a_session_ends_after_a_day_of_lab_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from labtool.serve import store as module

    store = Store(tmp_path)
    made = store.add_students(CLASS)
    signed = store.sign_in(made["alice"])
    assert signed is not None and store.session(signed[1]) == "alice"
    later = time.time() + module.SESSION_MAX_S + 1
    monkeypatch.setattr(module.time, "time", lambda: later)
    assert store.session(signed[1]) is None
    store.close()


def test_typing_is_the_students_last_activity(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.add_students([Student("1", "Alice", "", "alice")])
    before = store.student("alice")
    assert before is not None and before.last_seen is None
    store.seen("alice")
    seen = store.student("alice")
    assert seen is not None and seen.last_seen is not None


def test_a_sessions_use_is_noted_at_most_every_30_s(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request reads its session; it writes (a transaction on disk) only when the last
    use noted is older than USE_NOTED_S: the student's last activity moves then."""
    from labtool.serve import store as module

    store = Store(tmp_path)
    signed = store.sign_in(store.add_students(CLASS)["alice"])
    assert signed is not None
    noted = store.student("alice")
    assert noted is not None and noted.last_seen is not None
    now = time.time()
    monkeypatch.setattr(module.time, "time", lambda: now + module.USE_NOTED_S - 1)
    assert store.session(signed[1]) == "alice"
    same = store.student("alice")
    assert same is not None and same.last_seen == noted.last_seen
    monkeypatch.setattr(module.time, "time", lambda: now + module.USE_NOTED_S + 1)
    assert store.session(signed[1]) == "alice"
    moved = store.student("alice")
    assert moved is not None and moved.last_seen == now + module.USE_NOTED_S + 1
    store.close()
