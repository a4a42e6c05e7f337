"""The class's labs as the server lives them: each student's lab made on their first visit
(in the background, by the placement), its steps checked while someone looks at it (after a
command typed in its terminal ends, and every PERIOD_S), and what changed told to the pages
that wait for it. One `Live` per student, touched on the server's event loop only; the slow
work (making a lab, checking it) runs in threads of its own."""

from __future__ import annotations

import asyncio
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labtool.errors import LabtoolError
from labtool.provision import lab as labmod
from labtool.serve.placement import Placement
from labtool.serve.roster import Student
from labtool.serve.store import USE_NOTED_S, Row, Store
from labtool.serve.terms import Terms
from labtool.serve.watching import Views
from labtool.steps.run import check_lab

# A lab someone looks at is checked at least this often (what no terminal said: a daemon that
# died). A check costs ~0.23 s of CPU (its ~30 commands in the nodes): 200 pages open at 10 s
# would take 4.6 cores; the checks that matter follow what is typed (and the live view's acts).
PERIOD_S = 120.0
ACTED_S = 3.0  # after an act from the live view, a check this much later
SWEEP_S = 10.0  # how often idle labs and views are looked for
# periodic checks started at each sweep at most: 0.5 a second, so every 2 minutes up to 60
# students, every 400 s with 200 (one check of a built lab: 0.19 s of CPU, some 45 processes)
PERIODIC_PER_SWEEP = 5
QUIET_S = 0.3  # a check once its terminal has printed nothing for this long after an Enter
BUSY_S = 1.0  # ... or, while it goes on printing, this often
MAKING_AT_ONCE = 2  # labs made side by side (each waits on the machine's lock, then its VIP)
CHECKS_AT_ONCE = 8


@dataclass(eq=False)
class Live:
    """One student's lab, as the pages see it."""

    student: Student
    phase: str = "none"  # none, making, up, failed
    error: str = ""
    check: dict[str, Any] | None = None  # `labtool check --json`'s object
    status: dict[str, Any] | None = None  # `labtool status --json`'s object
    checked_at: float | None = None
    version: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    watchers: int = 0  # pages streaming this lab
    armed: bool = False  # an Enter typed since the last check
    checking: bool = False
    again: bool = False  # asked for while a check ran: one more after it
    timer: asyncio.TimerHandle | None = None
    last_check: float = 0.0
    active_at: float = field(default_factory=time.monotonic)  # typed, or a page came or went

    def bump(self) -> None:
        """Something changed: every page waiting on it wakes (and waits on a new event)."""
        self.version += 1
        self.changed.set()
        self.changed = asyncio.Event()

    def as_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "student": self.student.slug,
            "lab": self.student.lab,
            "phase": self.phase,
            "error": self.error,
            "steps": [],
            "checked_at": self.checked_at,
            "status": self.status,
            "vip_holder": None if self.status is None else self.status["vip_holder"],
            "version": self.version,
        }
        if self.check is not None:  # (else what the server kept of the last check says)
            found.update(
                steps=self.check["steps"],
                steps_done=self.check["done"],
                steps_total=self.check["total"],
            )
        return found


class Classroom:
    def __init__(
        self,
        store: Store,
        placement: Placement,
        bare: bool,
        lang: str = "fr",
        idle_stop_s: float | None = None,
    ) -> None:
        self.store, self.placement, self.bare, self.lang = store, placement, bare, lang
        self.idle_stop_s = idle_stop_s
        self.live: dict[str, Live] = {}
        self.terms = Terms()
        self.views = Views(lang)
        self.making = ThreadPoolExecutor(MAKING_AT_ONCE, thread_name_prefix="labtool-make")
        self.checks = ThreadPoolExecutor(CHECKS_AT_ONCE, thread_name_prefix="labtool-check")
        self.tasks: set[asyncio.Task[None]] = set()

    def of(self, who: Row | Student) -> Live:
        live = self.live.get(who.slug)
        if live is None:
            live = self.live[who.slug] = Live(Student(who.id, who.name, who.email, who.slug))
        return live

    def visit(self, who: Row | Student) -> Live:
        """The student's lab, made if it is not (in the background: the page follows it)."""
        live = self.of(who)
        live.active_at = time.monotonic()
        if live.phase in ("none", "failed"):
            live.phase, live.error = "making", ""
            live.bump()
            self._spawn(self._make(live))
        return live

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def folder(self, student: Student) -> Path:
        """The student's own folder in the server's state (their work kept, their hand-in)."""
        return self.store.folder / "students" / student.slug

    async def _make(self, live: Live) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self.making, self._made, live.student)
        except (LabtoolError, OSError) as exc:  # (said on the page; the next visit retries)
            live.phase, live.error = "failed", str(exc)
            live.bump()
            return
        live.phase = "up"
        live.bump()
        self.check_soon(live, 0.0)

    def _made(self, student: Student) -> None:
        if not self.placement.running(student):
            self.placement.make(student, self.bare)
            self.placement.give_back(student, self.folder(student))

    # --- checks ------------------------------------------------------------------------------

    def typed(self, live: Live, data: bytes) -> None:
        """Keys typed in one of the lab's terminals: an Enter arms a check."""
        if time.monotonic() - live.active_at > USE_NOTED_S:  # (the tile's last activity, kept)
            self.store.seen(live.student.slug)
        live.active_at = time.monotonic()
        if b"\r" in data or b"\n" in data:
            live.armed = True

    def printed(self, live: Live) -> None:
        """A terminal of the lab printed: a check once it is quiet (or at most BUSY_S apart)."""
        if not live.armed:
            return
        now = time.monotonic()
        wait = QUIET_S if now - live.last_check < BUSY_S else 0.0
        self.check_soon(live, min(wait, max(0.0, live.last_check + BUSY_S - now)))

    def acted(self, slug: str) -> None:
        """Something was done to the lab from its live view: its steps looked at soon (a
        scenario restores the cluster; a halt, a stop take a moment)."""
        live = self.live.get(slug)
        if live is not None:
            self.check_soon(live, ACTED_S)

    def check_soon(self, live: Live, delay_s: float) -> None:
        if live.timer is not None:
            live.timer.cancel()
        loop = asyncio.get_running_loop()
        live.timer = loop.call_later(delay_s, lambda: self._spawn(self.check(live)))

    async def check(self, live: Live) -> None:
        """The lab's steps and status looked at once (one check at a time per lab)."""
        live.timer = None
        if live.phase != "up":
            return
        if live.checking:
            live.again = True
            return
        live.checking, live.armed = True, False
        live.last_check = time.monotonic()
        try:
            loop = asyncio.get_running_loop()
            check, status = await loop.run_in_executor(self.checks, self._look, live.student)
        except (LabtoolError, OSError) as exc:
            live.error = str(exc)
            live.bump()
            await self.lost(live)
            return
        finally:
            live.checking = False
        live.error = ""
        changed = (check, _steady(status)) != (live.check, _steady(live.status))
        live.check, live.status, live.checked_at = check, status, time.time()
        if changed:
            live.bump()
            holder = status.get("vip_holder")
            self.store.set_progress(live.student.slug, check["done"], check["total"], holder)
        if live.again:
            live.again = False
            self.check_soon(live, 0.0)

    async def lost(self, live: Live) -> bool:
        """Whether the lab went from under the server (removed by hand, the machine
        restarted): then made again, with the student's work, if someone looks at it."""
        loop = asyncio.get_running_loop()
        if live.phase != "up" or await loop.run_in_executor(
            self.making, self.placement.running, live.student
        ):
            return False
        live.phase, live.check, live.status = "none", None, None
        live.bump()
        self.terms.close(live.student.slug)  # (their shells and probes went with it)
        self.views.close(live.student.slug)
        if live.watchers:
            self.visit(live.student)
        return True

    def _look(self, student: Student) -> tuple[dict[str, Any], dict[str, Any]]:
        report = check_lab(student.lab, self.lang)
        return report.as_json(), labmod.status(student.lab).as_dict()

    async def run(self) -> None:
        """Every lab someone looks at, checked every PERIOD_S (what a terminal did not say:
        a scenario run, a daemon that died), PERIODIC_PER_SWEEP at most at a time, the longest
        unchecked first: a large class's labs are checked less often, not all at once (the
        checks that follow what is typed are not held back)."""
        while True:
            await asyncio.sleep(SWEEP_S)
            self.sweep()

    def sweep(self) -> None:
        """One look over the labs: the checks due, the idle labs stopped (as tasks)."""
        now = time.monotonic()
        self.views.sweep({s for s, live in self.live.items() if live.watchers})
        due = []
        for live in list(self.live.values()):
            looked_at = live.watchers or self.terms.watched(live.student.slug)
            if looked_at and now - live.last_check >= PERIOD_S and live.timer is None:
                due.append(live)
            idle = self.idle_stop_s and now - live.active_at >= self.idle_stop_s
            if idle and live.phase == "up" and not looked_at:
                self._spawn(self.stop(live, keep_files=True))
        for live in sorted(due, key=lambda live: live.last_check)[:PERIODIC_PER_SWEEP]:
            self._spawn(self.check(live))

    async def stop(self, live: Live, keep_files: bool) -> None:
        """The student's lab stopped (its terminals closed), their work kept first unless
        not wanted (a reset from scratch); their next visit makes it again."""
        if live.phase not in ("up", "failed"):
            return
        live.phase = "stopping"
        live.bump()
        self.terms.close(live.student.slug)
        self.views.close(live.student.slug)
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self.making, self._stopped, live.student, keep_files)
        except (LabtoolError, OSError) as exc:
            live.phase, live.error = "failed", str(exc)
        else:
            live.phase, live.check, live.status = "none", None, None
        live.bump()

    def _stopped(self, student: Student, keep_files: bool) -> None:
        folder = self.folder(student)
        if keep_files:
            self.placement.keep(student, folder)
        else:
            shutil.rmtree(folder / "nodes", ignore_errors=True)
        self.placement.remove(student)

    # --- the end -----------------------------------------------------------------------------

    def close(self) -> None:
        """Every terminal and view closed, the threads let go (labs are the server's to
        remove)."""
        self.terms.close()
        self.views.close()
        for live in self.live.values():
            if live.timer is not None:
                live.timer.cancel()
        for task in self.tasks:
            task.cancel()
        self.making.shutdown(wait=False, cancel_futures=True)
        self.checks.shutdown(wait=False, cancel_futures=True)


def _steady(status: dict[str, Any] | None) -> dict[str, Any] | None:
    """A lab's status but what moves at every look (its memory): what a change is."""
    return None if status is None else {k: v for k, v in status.items() if k != "memory_kib"}
