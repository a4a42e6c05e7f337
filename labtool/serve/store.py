"""The server's state on disk: an SQLite database in the state folder (the standard library's
sqlite3, write-ahead log, one transaction per change), so that a server killed with -9 and
started again finds every student, code and session where it was."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from labtool.errors import LabtoolError
from labtool.i18n import Msg
from labtool.serve import codes
from labtool.serve.roster import Student

SCHEMA = """
CREATE TABLE IF NOT EXISTS students (
    slug TEXT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    code_key BLOB NOT NULL UNIQUE,
    signed_in_at REAL,
    last_seen REAL
);
CREATE TABLE IF NOT EXISTS settings (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS progress (
    slug TEXT PRIMARY KEY REFERENCES students(slug) ON DELETE CASCADE,
    steps_done INTEGER NOT NULL,
    steps_total INTEGER NOT NULL,
    vip_holder TEXT,
    checked_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS handins (
    slug TEXT PRIMARY KEY REFERENCES students(slug) ON DELETE CASCADE,
    at REAL NOT NULL,
    files INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash BLOB PRIMARY KEY,
    slug TEXT NOT NULL REFERENCES students(slug) ON DELETE CASCADE,
    created_at REAL NOT NULL,
    last_seen REAL NOT NULL
);
"""
ROWS = (
    "SELECT s.slug, id, name, email, signed_in_at, last_seen, COALESCE(steps_done, 0), "
    "COALESCE(steps_total, 0), vip_holder, h.at FROM students s "
    "LEFT JOIN progress p ON p.slug = s.slug LEFT JOIN handins h ON h.slug = s.slug"
)
SESSION_MAX_S = 12 * 3600  # a session lasts a day of lab work at most
USE_NOTED_S = 30.0  # a session's last use, and its student's last activity, noted this often


@dataclass(frozen=True)
class Row:
    slug: str
    id: str
    name: str
    email: str
    signed_in_at: float | None
    last_seen: float | None
    steps_done: int = 0  # at the lab's last check
    steps_total: int = 0
    vip_holder: str | None = None
    handed_in_at: float | None = None  # the last hand-in's time (each replaces the one before)


class Store:
    """One database file (`state.db`) and the server's secret (`secret.key`) in the state
    folder; its connection shared by the server's threads, one change at a time (each its own
    transaction)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        path = folder / "state.db"
        try:
            self.secret = _secret(folder / "secret.key")
            self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.executescript(SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise LabtoolError(
                Msg("cannot open the server's state {path}: {exc}", path=folder, exc=exc)
            ) from None
        self.lock = threading.Lock()

    @contextmanager
    def change(self) -> Iterator[sqlite3.Connection]:
        """One transaction: all of it on disk, or none of it."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()

    def add_students(self, students: list[Student]) -> dict[str, str]:
        """The roster's students not known yet, each with a new code: slug -> its code (the
        only time it is seen in clear). Students known keep their code."""
        made: dict[str, str] = {}
        with self.change() as db:
            known = {r[0] for r in db.execute("SELECT id FROM students")}
            for student in students:
                if student.id in known:
                    continue
                code = codes.new_code()
                key = codes.key_of(code, self.secret)
                while db.execute("SELECT 1 FROM students WHERE code_key = ?", (key,)).fetchone():
                    code = codes.new_code()  # (one in 2^39: two students, one code)
                    key = codes.key_of(code, self.secret)
                db.execute(
                    "INSERT INTO students (slug, id, name, email, code_key) VALUES (?, ?, ?, ?, ?)",
                    (student.slug, student.id, student.name, student.email, key),
                )
                made[student.slug] = code
        return made

    def students(self) -> list[Row]:
        with self.lock:
            rows = self.db.execute(f"{ROWS} ORDER BY s.rowid").fetchall()
        return [Row(*r) for r in rows]

    def student(self, slug: str) -> Row | None:
        with self.lock:
            row = self.db.execute(f"{ROWS} WHERE s.slug = ?", (slug,)).fetchone()
        return None if row is None else Row(*row)

    def seen(self, slug: str) -> None:
        """The student was active now (typed in a terminal): the tile's last activity."""
        with self.change() as db:
            db.execute("UPDATE students SET last_seen = ? WHERE slug = ?", (time.time(), slug))

    def set_handin(self, slug: str, at: float, files: int) -> None:
        with self.change() as db:
            db.execute("INSERT OR REPLACE INTO handins VALUES (?, ?, ?)", (slug, at, files))

    def set_progress(self, slug: str, done: int, total: int, vip_holder: str | None) -> None:
        """The lab's last check, kept (the instructor's page after a restart)."""
        with self.change() as db:
            db.execute(
                "INSERT OR REPLACE INTO progress VALUES (?, ?, ?, ?, ?)",
                (slug, done, total, vip_holder, time.time()),
            )

    def sign_in(self, code: str) -> tuple[str, str] | None:
        """(slug, session token) for the student whose code this is; None for no one."""
        with self.lock:
            row = self.db.execute(
                "SELECT slug FROM students WHERE code_key = ?", (codes.key_of(code, self.secret),)
            ).fetchone()
        if row is None:
            return None
        slug = str(row[0])
        token, now = secrets.token_urlsafe(32), time.time()
        with self.change() as db:
            db.execute(
                "INSERT INTO sessions (token_hash, slug, created_at, last_seen) "
                "VALUES (?, ?, ?, ?)",
                (_token_hash(token), slug, now, now),
            )
            db.execute(
                "UPDATE students SET signed_in_at = COALESCE(signed_in_at, ?), last_seen = ? "
                "WHERE slug = ?",
                (now, now, slug),
            )
        return slug, token

    def new_instructor_key(self) -> str:
        """A new key for the instructor's link (the one before it opens nothing any more)."""
        key = secrets.token_urlsafe(24)
        with self.change() as db:
            db.execute(
                "INSERT OR REPLACE INTO settings (name, value) VALUES ('instructor', ?)",
                (codes.keyed(key, self.secret),),
            )
        return key

    def is_instructor(self, key: str) -> bool:
        with self.lock:
            row = self.db.execute("SELECT value FROM settings WHERE name = 'instructor'").fetchone()
        return row is not None and hmac.compare_digest(row[0], codes.keyed(key, self.secret))

    def session(self, token: str) -> str | None:
        """The student a session token is of, while it lasts; its last use noted (at most
        every USE_NOTED_S: a request is not a write to the disk)."""
        now, key = time.time(), _token_hash(token)
        with self.lock:
            row = self.db.execute(
                "SELECT slug, created_at, last_seen FROM sessions WHERE token_hash = ?", (key,)
            ).fetchone()
        if row is None or now - row[1] > SESSION_MAX_S:
            return None
        if now - row[2] > USE_NOTED_S:
            with self.change() as db:
                db.execute("UPDATE sessions SET last_seen = ? WHERE token_hash = ?", (now, key))
                db.execute("UPDATE students SET last_seen = ? WHERE slug = ?", (now, row[0]))
        return str(row[0])


def _token_hash(token: str) -> bytes:
    """What the database keeps of a session's token (a stolen database opens no session)."""
    return hashlib.sha256(token.encode()).digest()


def _secret(path: Path) -> bytes:
    """The server's secret: made once, readable by its owner alone."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(codes.SECRET_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(secret)
    return secret
