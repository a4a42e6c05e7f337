"""A scenario's run as it goes: its moments, its waits, what it found, its live view, and
the halt a grader may ask for at any tick."""

from __future__ import annotations

import time
from collections.abc import Callable

from labtool.errors import LabtoolError
from labtool.i18n import Msg
from labtool.probes.recorder import Recorder
from labtool.scenarios.model import Scenario
from labtool.scenarios.pace import Pace
from labtool.scenarios.result import Frame


class Halted(LabtoolError):
    """The run was told to stop (its lab past its bounds, its grader interrupted): no restore,
    the lab is being removed."""


class Run:
    """A scenario's moments and waits so far, and its live view."""

    def __init__(
        self,
        scenario: Scenario,
        recorder: Recorder,
        view: Callable[[Frame], None] | None,
        halt: Callable[[], None] | None = None,
    ) -> None:
        """`halt()`, called at every tick, raises a LabtoolError when the run must stop."""
        self.scenario, self.recorder, self.view, self.halt = scenario, recorder, view, halt
        self.phase = "theory"
        self.phase_started = time.monotonic()
        self.phases_s: dict[str, float] = {}  # how long each phase took, in order
        self.baseline_t = time.monotonic()
        self.fault_t: float | None = None
        self.applied_t: float | None = None  # the fault's actions done (a node booted)
        self.end_t: float | None = None
        self.condition_s: float | None = None
        self.waits_s = 0.0
        self.notes: list[str] = []
        self.pace: Pace | None = None  # once the probes are ready
        self.met = False  # the scenario's condition held within its deadline

    def enter(self, phase: str) -> None:
        now = time.monotonic()
        self.phases_s[self.phase] = round(
            self.phases_s.get(self.phase, 0.0) + now - self.phase_started, 3
        )
        self.phase, self.phase_started = phase, now

    @property
    def paced(self) -> Pace:
        if self.pace is None:
            raise LabtoolError(
                Msg("the {phase} phase needs the probes ready first", phase=self.phase)
            )
        return self.pace

    def check_halt(self) -> None:
        if self.halt is None:
            return
        try:
            self.halt()
        except LabtoolError as exc:
            raise Halted(str(exc)) from None

    def tick(self) -> None:
        self.check_halt()
        if self.view is None:
            return
        now, recorder = time.monotonic(), self.recorder
        since = now - self.fault_t if self.fault_t is not None else None
        self.view(
            Frame(
                self.scenario.name,
                self.phase,
                since,
                sorted(recorder.live.vip_nodes),
                sorted(recorder.arp_nodes(now)),
                {lb: dict(s) for lb, s in recorder.live.servers.items()},
                recorder.last_requests(40),
            )
        )
