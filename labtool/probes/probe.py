"""What every probe on labtool's side keeps for an operator, whatever feeds it (a process's
lines, a socket read here): when it started, when it was ready, when it ended and how, the last
lines it gave, its errors in a log of its own."""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from labtool.probes.events import ClockMap

READY_MARK = '"state": "started"'  # an agent's start-up line: its watches are in place
TAIL_LINES = 12


class Probe:
    """Bookkeeping shared by the probes: each line it gives goes through `_line`."""

    def __init__(self, name: str, log: Path | None, on_line: Callable[[str], None]) -> None:
        self.name = name
        self.log = log
        self.on_line = on_line
        self.on_end: Callable[[], None] | None = None
        self.spawned_at = 0.0
        self.ready_at: float | None = None
        self.ended_at: float | None = None
        self.lines = 0
        self.tail: deque[str] = deque(maxlen=TAIL_LINES)
        self.clock: ClockMap | None = None  # the clock map of what it reports, if any

    def _line(self, line: str, now: float) -> None:
        self.lines += 1
        self.tail.append(line.rstrip("\n")[:300])
        if self.ready_at is None and READY_MARK in line:
            self.ready_at = now
        with contextlib.suppress(ValueError, KeyError, TypeError):
            self.on_line(line)

    @property
    def exit_code(self) -> int | None:
        """How it ended (a process's exit code; None while it runs)."""
        raise NotImplementedError

    @property
    def alive(self) -> bool:
        return self.ended_at is None

    def wait_end(self, timeout_s: float) -> None:
        """Give it `timeout_s` to end by itself (nothing is asked of it)."""
        raise NotImplementedError

    def stop(self, timeout_s: float = 5.0) -> None:
        raise NotImplementedError

    def _log_write(self, text: str) -> None:
        if self.log is None:
            return
        with contextlib.suppress(OSError), self.log.open("a") as log:
            log.write(text)

    def _log_end(self) -> None:
        self._log_write(
            f"labtool: {self.name} ended (exit {self.exit_code}) after "
            f"{self.lines} lines; its last lines:\n"
            + "".join(f"labtool:   {line}\n" for line in self.tail)
        )

    def errors_tail(self, count: int = 5) -> list[str]:
        """The last lines of its log (its errors), for a message."""
        if self.log is None:
            return []
        try:
            lines = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return []
        return [line for line in lines if not line.startswith("labtool: ")][-count:]

    def summary(self, origin: float) -> dict[str, Any]:
        """What the result tells about this probe; times in seconds from `origin`."""

        def since(t: float | None) -> float | None:
            return round(t - origin, 3) if t is not None else None

        return {
            "spawned_s": since(self.spawned_at),
            "ready_s": since(self.ready_at),
            "ended_s": since(self.ended_at),
            "exit": self.exit_code,
            "lines": self.lines,
            "last_lines": list(self.tail)[-5:],
            "clock_offset_s": round(self.clock.offset, 4)
            if self.clock is not None and self.clock.offset is not None
            else None,
            "clock_drift_ppm": self.clock.drift_ppm() if self.clock is not None else None,
            "errors": self.errors_tail(),
            "log": str(self.log) if self.log else None,
        }
