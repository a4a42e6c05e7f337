"""The terminals of `labtool serve`: a node's shell on a pseudo-terminal, as `labtool shell`
gives it, kept while the student's lab runs (a page reloaded finds its shell where it was).
What the shell prints goes to every screen that watches it (the student's, the instructor's
mirror), the last SCROLLBACK bytes kept for a screen opened later. Only the student's screens
type into it; the instructor's mirror reads."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import struct
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field

SCROLLBACK = 64 * 1024  # bytes a screen opened later is given first
QUEUED = 256  # chunks a screen may be behind before it is dropped (a stalled browser)
PENDING = 64 * 1024  # typed bytes not yet taken by the shell, at most (a huge paste is cut)
Argv = tuple[list[str], dict[str, str]]


@dataclass(eq=False)
class Screen:
    """One browser's view of a terminal: the chunks to send it; None when the shell ends."""

    queue: asyncio.Queue[bytes | None] = field(default_factory=lambda: asyncio.Queue(QUEUED))


class Term:
    """A shell on a pty (started by `argv`, in its own session: the pty is its terminal)."""

    def __init__(self, argv: Argv, on_output: Callable[[], None]) -> None:
        self.loop = asyncio.get_running_loop()
        self.on_output = on_output
        master, slave = os.openpty()
        _set_size(master, 100, 30)
        command, env = argv
        try:
            self.process = subprocess.Popen(
                ["setsid", "--ctty", *command],
                stdin=slave,
                stdout=slave,
                stderr=slave,
                env=env,
                close_fds=True,
            )
        except OSError:
            os.close(master)
            raise
        finally:
            os.close(slave)
        self.fd = master
        os.set_blocking(master, False)
        self.scrollback = bytearray()
        self.screens: set[Screen] = set()
        self.pending = bytearray()
        self.closed = False
        self.loop.add_reader(master, self._readable)

    def watch(self) -> Screen:
        """A new screen, given the scrollback first."""
        screen = Screen()
        if self.scrollback:
            screen.queue.put_nowait(bytes(self.scrollback))
        if self.closed:
            screen.queue.put_nowait(None)
        else:
            self.screens.add(screen)
        return screen

    def unwatch(self, screen: Screen) -> None:
        self.screens.discard(screen)

    def type(self, data: bytes) -> None:
        """Keys typed (what the shell has not taken yet waits, PENDING bytes at most)."""
        if self.closed:
            return
        self.pending += data[: max(0, PENDING - len(self.pending))]
        self._writable()

    def resize(self, cols: int, rows: int) -> None:
        if not self.closed and 0 < cols <= 1000 and 0 < rows <= 1000:
            _set_size(self.fd, cols, rows)

    def _writable(self) -> None:
        self.loop.remove_writer(self.fd)
        while self.pending:
            try:
                written = os.write(self.fd, self.pending)
            except BlockingIOError:
                self.loop.add_writer(self.fd, self._writable)
                return
            except OSError:
                self.pending.clear()
                return
            del self.pending[:written]

    def _readable(self) -> None:
        try:
            data = os.read(self.fd, 65536)
        except BlockingIOError:
            return
        except OSError:  # (EIO: the shell and everything on its terminal ended)
            data = b""
        if not data:
            self.close()
            return
        self.scrollback += data
        del self.scrollback[:-SCROLLBACK]
        for screen in list(self.screens):
            try:
                screen.queue.put_nowait(data)
            except asyncio.QueueFull:
                self.screens.discard(screen)  # (its page catches up from the scrollback)
                _end(screen)
        self.on_output()

    def close(self) -> None:
        """The shell and its pty gone (its processes hung up, then killed)."""
        if self.closed:
            return
        self.closed = True
        self.loop.remove_reader(self.fd)
        self.loop.remove_writer(self.fd)
        os.close(self.fd)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGHUP)
        for screen in self.screens:
            _end(screen)
        self.screens.clear()
        self.loop.run_in_executor(None, _reap, self.process)


def _end(screen: Screen) -> None:
    with contextlib.suppress(asyncio.QueueFull):
        screen.queue.put_nowait(None)


def _reap(process: subprocess.Popen[bytes]) -> None:
    try:
        process.wait(timeout=2)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _set_size(fd: int, cols: int, rows: int) -> None:
    import fcntl  # (POSIX's: serve runs on Linux; the rest of labtool imports anywhere)
    import termios

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class Terms:
    """Every terminal of the server, one per (student, node) at most."""

    def __init__(self) -> None:
        self.open: dict[tuple[str, str], Term] = {}

    def get(self, slug: str, node: str) -> Term | None:
        term = self.open.get((slug, node))
        return term if term is not None and not term.closed else None

    def start(self, slug: str, node: str, argv: Argv, on_output: Callable[[], None]) -> Term:
        term = self.get(slug, node)
        if term is None:
            term = self.open[(slug, node)] = Term(argv, on_output)
        return term

    def watched(self, slug: str) -> bool:
        """Whether a screen shows one of the student's terminals now."""
        return any(s == slug and t.screens for (s, _), t in self.open.items())

    def close(self, slug: str | None = None) -> None:
        """One student's terminals (None: everyone's)."""
        for key in [k for k in self.open if slug is None or k[0] == slug]:
            self.open.pop(key).close()
