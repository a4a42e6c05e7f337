"""A scenario's phases after its probes are up: preconditions, baseline, the fault and the
observation window, then the restore, each waited for within its deadline."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

from labtool.errors import LabtoolError
from labtool.probes.recorder import Recorder
from labtool.scenarios.cluster import Cluster, wait_for
from labtool.scenarios.conditions import holds
from labtool.scenarios.model import Scenario, evaluate
from labtool.scenarios.pace import PACE_ANSWERS, Pace
from labtool.scenarios.probes import PROBE_RATE, Probes
from labtool.scenarios.result import (
    Frame,
)


class Run:
    """A scenario's moments and waits so far, and its live view."""

    def __init__(
        self, scenario: Scenario, recorder: Recorder, view: Callable[[Frame], None] | None
    ) -> None:
        self.scenario, self.recorder, self.view = scenario, recorder, view
        self.phase = "theory"
        self.phase_started = time.monotonic()
        self.phases_s: dict[str, float] = {}  # how long each phase took, in order
        self.baseline_t = time.monotonic()
        self.fault_t: float | None = None
        self.end_t: float | None = None
        self.condition_s: float | None = None
        self.waits_s = 0.0
        self.notes: list[str] = []

    def enter(self, phase: str) -> None:
        now = time.monotonic()
        self.phases_s[self.phase] = round(
            self.phases_s.get(self.phase, 0.0) + now - self.phase_started, 3
        )
        self.phase, self.phase_started = phase, now

    def tick(self) -> None:
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


def baseline_detail(recorder: Recorder, since: float, pace: Pace, probes: Probes) -> str:
    counts = recorder.answer_counts(since)
    holders = sorted(recorder.live.vip_nodes) or "no node"
    ended = "" if probes.agent.alive else f"; the agent ended (exit {probes.agent.proc.returncode})"
    return (
        f"{counts['all']} answers came back: {counts['ok']} good, {counts['slow']} slower "
        f"than {recorder.slow_s:g} s, {counts['failed']} failed; the agent started in "
        f"{pace.agent_start_s:g} s, {PACE_ANSWERS} answers took {pace.answers_s} s{ended}; "
        f"the VIP on {holders}, moved {recorder.vip_changes_since(since)} times since"
    )


def fault_and_observe(
    cluster: Cluster, scenario: Scenario, probes: Probes, run: Run, pace: Pace, within: float
) -> bool:
    """The fault, then the wait for the scenario's condition, then the settle; whether the
    condition held."""
    recorder = run.recorder
    run.enter("fault")
    run.fault_t = fault_t = time.monotonic()
    recorder.add("fault", t=fault_t, actions=[a.__dict__ for a in scenario.fault])
    for action in scenario.fault:
        cluster.apply(action)
        if action.kind == "power_off":
            for node in action.nodes:
                probes.node_lost(node)
        if action.kind == "power_on":
            for node in action.nodes:
                if node in probes.lb_names():
                    probes.watch(node)
    recorder.add("fault-applied")
    run.enter("observing")
    met = True
    if scenario.for_s is not None:
        window_end = fault_t + within
        wait_for(lambda: time.monotonic() >= window_end, within + 1, "the window", run.tick)
        run.condition_s = within
    else:
        try:
            run.condition_s = (
                time.monotonic()
                - fault_t
                + wait_for(
                    lambda: holds(scenario.until, recorder, cluster, probes, fault_t),
                    pace.deadline("condition_s", within),
                    f"{scenario.until}",
                    run.tick,
                )
            )
        except LabtoolError as exc:
            met = False
            run.notes.append(str(exc))
    run.waits_s += run.condition_s or within
    run.enter("settling")
    settled_from = time.monotonic()
    with contextlib.suppress(LabtoolError):  # requests still stalled: the window ends anyway
        wait_for(
            lambda: recorder.answered_sent_after(settled_from) >= scenario.settle_requests,
            pace.deadline("settle_s", scenario.settle_requests / PROBE_RATE + 2),
            "the settle",
            run.tick,
        )
    run.end_t = time.monotonic()
    if probes.agent.ended_at is not None:  # its answers stop there: say so beside the facts
        run.notes.append(
            f"the probe agent on {probes.client} ended "
            f"{probes.agent.ended_at - fault_t:.1f} s after the fault, before "
            f"the window did (exit {probes.agent.proc.returncode})"
        )
    return met


def preconditions(
    cluster: Cluster, scenario: Scenario, theory: dict[str, float], node_lost: Callable[[str], None]
) -> float:
    """Put the cluster in the scenario's starting state; returns the protocol waits."""
    waited = 0.0
    deadline = theory["vrrp_master_down_s"] + 5
    wanted = scenario.preconditions.get("vip_holder")
    if wanted and cluster.vip_nodes() != [wanted]:
        others = [n for n in cluster.vip_nodes() if n != wanted]
        for node in others:
            cluster.systemctl(node, "stop", "keepalived")
        waited += wait_for(
            lambda: cluster.vip_nodes() == [wanted],
            deadline,
            f"the VIP on {wanted} before the fault",
        )
        for node in others:
            cluster.systemctl(node, "start", "keepalived")
    down = scenario.preconditions.get("node_down")
    if down:
        cluster.backend.power_off(down)
        node_lost(down)  # (a VM's watcher may not say so: its SSH hangs)
        waited += wait_for(
            lambda: len(cluster.vip_nodes()) == 1, deadline, f"the VIP on one node with {down} down"
        )
    return waited


def restore(
    cluster: Cluster,
    scenario: Scenario,
    theory: dict[str, float],
    run: Run,
    pace: Pace | None,
    faulted: bool,
) -> float:
    """The restore step (its actions only once the fault was applied), then the whole
    cluster back; returns the time spent waiting on the protocols."""
    stretch = pace.deadline if pace is not None else (lambda what, base_s: base_s)
    waited = 0.0
    if faulted:
        run.recorder.add("restore", actions=[a.__dict__ for a in scenario.restore])
        for action in scenario.restore:
            cluster.apply(action)
        within = evaluate(scenario.restore_within_s, theory) or 15.0
        if scenario.restore_until:
            run.enter("restore condition")
            try:
                waited = wait_for(
                    lambda: holds(scenario.restore_until, run.recorder, cluster, None, 0.0),
                    stretch("restore_s", within),
                    "the restore's condition",
                )
            except LabtoolError as exc:  # the whole cluster is checked next all the same
                run.notes.append(str(exc))
    run.enter("whole again")
    cluster.make_whole(stretch("whole_s", theory["vrrp_master_down_s"] + 10))
    return waited
