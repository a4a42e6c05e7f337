"""A scenario's phases, each a small function of the scene (what does not change while it
runs) and the run (its moments, waits and findings so far), in the order the engine walks them:
preconditions, probes ready, baseline, fault, observing, settling; then, always, the restore.
Each waits for a condition within its deadline: never a blind sleep."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from labtool.errors import LabtoolError
from labtool.facts import slow_threshold
from labtool.probes.recorder import Recorder
from labtool.scenarios.actions import apply
from labtool.scenarios.cluster import Cluster, wait_for
from labtool.scenarios.conditions import holds, servers_seen_up
from labtool.scenarios.model import Scenario, evaluate
from labtool.scenarios.pace import BASELINE_S, PACE_ANSWERS, Pace
from labtool.scenarios.probes import Probes
from labtool.scenarios.run import Halted
from labtool.scenarios.run import Run as Run  # (phases.Run: a phase's second argument)


@dataclass(frozen=True)
class Scene:
    """What a scenario's phases act on and read, unchanged while it runs."""

    cluster: Cluster
    scenario: Scenario
    values: dict[str, float]  # the theory: what the configs predict
    within: float  # the observation window's deadline (or its length, `for_s`)
    probes: Probes
    # A lab just booted: the moment after which its start-up brings no VIP change any more
    # (every keepalived's master-down timer has run out); None: no such moment is known.
    quiet_after: float | None = None


Phase = Callable[[Scene, Run], None]


def preconditions(scene: Scene, run: Run) -> None:
    """Put the cluster in the scenario's starting state (whole first)."""
    cluster, scenario, values = scene.cluster, scene.scenario, scene.values
    cluster.make_whole(values["vrrp_master_down_s"] + 10, run.check_halt)
    deadline = values["vrrp_master_down_s"] + 5
    wanted = scenario.preconditions.get("vip_holder")
    if wanted and cluster.vip_nodes() != [wanted]:
        others = [n for n in cluster.vip_nodes() if n != wanted]
        for node in others:
            cluster.systemctl(node, "stop", "keepalived")
        run.waits_s += wait_for(
            lambda: _vip_on(scene) == {wanted},
            deadline,
            f"the VIP on {wanted} before the fault",
            run.check_halt,
        )
        for node in others:
            cluster.systemctl(node, "start", "keepalived")
    down = scenario.preconditions.get("node_down")
    if down:
        cluster.backend.power_off(down)
        scene.probes.node_lost(down)  # (a VM's watcher may not say so: its SSH hangs)
        run.waits_s += wait_for(
            lambda: len(cluster.vip_nodes()) == 1,
            deadline,
            f"the VIP on one node with {down} down",
            run.check_halt,
        )
    run.recorder.learn_macs(cluster.backend.node_macs())
    scene.probes.watch_all()  # the load balancers the preconditions brought up


def _vip_on(scene: Scene) -> set[str]:
    """Who holds the VIP: as the watchers see it (no process started for a look, at every
    tick), else by a look into each load balancer."""
    seen = scene.probes.vip_seen()
    return seen if seen is not None else set(scene.cluster.vip_nodes())


def probes_ready(scene: Scene, run: Run) -> None:
    """The probes answering, and the pace of this backend measured from their first answers."""
    run.pace = pace = scene.probes.await_ready(run.tick)
    run.recorder.slow_s = pace.slow_s = slow_threshold(run.recorder.latencies(pace.answers_from))


def baseline(scene: Scene, run: Run) -> None:
    """Good answers through the VIP, the VIP steady on one node, HAProxy's view settled."""
    recorder, pace, scenario = run.recorder, run.paced, scene.scenario
    # the baseline counts from where the pace did: the answers that gave it count too
    run.baseline_t = baseline_t = pace.answers_from
    steady_s = scene.values["vrrp_master_down_s"]
    # HAProxy's view settled too, for as long as a check sequence may take; a server still
    # DOWN then (a broken web node) is measured as it is
    servers_by = time.monotonic() + min(BASELINE_S, scene.values.get("haproxy_detect_max_s", 0))
    wait_for(
        lambda: (
            recorder.answered(baseline_t, ok_only=True) >= scenario.before_requests
            and vip_settled(scene, recorder, steady_s)
            and (servers_seen_up(recorder, scene.cluster) or time.monotonic() > servers_by)
        ),
        pace.deadline("baseline_s", BASELINE_S + steady_s),
        f"{scenario.before_requests} good answers through the VIP from the client node, "
        f"the VIP on one node for {steady_s:g} s (VRRP's master-down time)",
        run.tick,
        detail=lambda: baseline_detail(recorder, baseline_t, pace, scene.probes),
    )


def vip_settled(scene: Scene, recorder: Recorder, steady_s: float) -> bool:
    """The VIP on one node (on the same nodes, for a submission's cluster) for VRRP's
    master-down time; on a lab just booted, from the moment its start-up can bring no change
    (a VIP taken at start-up need not wait as long again)."""
    now = time.monotonic()
    steady = recorder.vip_steady_for(now, not scene.cluster.one_holder)
    quiet = scene.quiet_after is not None and now >= scene.quiet_after
    return steady >= steady_s or (quiet and steady > 0)


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


def fault(scene: Scene, run: Run) -> None:
    """The scenario's fault, each action in turn; the probes told what they must know."""
    actions = scene.scenario.fault
    run.fault_t = fault_t = time.monotonic()
    run.recorder.add("fault", t=fault_t, actions=[a.__dict__ for a in actions])
    for act in actions:
        apply(scene.cluster, act, scene.probes)
    run.applied_t = time.monotonic()
    run.recorder.add("fault-applied", t=run.applied_t)


def observe(scene: Scene, run: Run) -> None:
    """The window (`for_s`, from the fault done: a node back is watched once it has booted,
    however long that took), or the wait for the scenario's condition within its deadline
    (from the fault's start)."""
    scenario, within, fault_t = scene.scenario, scene.within, run.fault_t or time.monotonic()
    run.met = True
    if scenario.for_s is not None:
        window_end = (run.applied_t or fault_t) + within
        wait_for(lambda: time.monotonic() >= window_end, within + 1, "the window", run.tick)
        run.condition_s = within
    else:
        try:
            run.condition_s = (
                time.monotonic()
                - fault_t
                + wait_for(
                    lambda: holds(
                        scenario.until, run.recorder, scene.cluster, scene.probes, fault_t
                    ),
                    run.paced.deadline("condition_s", within),
                    f"{scenario.until}",
                    run.tick,
                )
            )
        except LabtoolError as exc:
            run.met = False
            run.notes.append(str(exc))
    run.waits_s += run.condition_s or within


def settle(scene: Scene, run: Run) -> None:
    """A few answers more, sent after the window: the end of the measure."""
    recorder, probes = run.recorder, scene.probes
    settled_from = time.monotonic()
    with contextlib.suppress(LabtoolError):  # requests still stalled: the window ends anyway
        wait_for(
            lambda: recorder.answered_sent_after(settled_from) >= scene.scenario.settle_requests,
            run.paced.deadline("settle_s", scene.scenario.settle_requests / scene.probes.rate + 2),
            "the settle",
            run.tick,
        )
    run.end_t = time.monotonic()
    if probes.agent.ended_at is not None and run.fault_t is not None:
        run.notes.append(  # its answers stop there: say so beside the facts
            f"the probe agent on {probes.client} ended "
            f"{probes.agent.ended_at - run.fault_t:.1f} s after the fault, before "
            f"the window did (exit {probes.agent.proc.returncode})"
        )


# The phases the engine walks, in order, by the names the live view and the result show.
PHASES: tuple[tuple[str, Phase], ...] = (
    ("preconditions", preconditions),
    ("probes ready", probes_ready),
    ("baseline", baseline),
    ("fault", fault),
    ("observing", observe),
    ("settling", settle),
)


def restore(scene: Scene, run: Run) -> None:
    """The restore step (its actions only once the fault was applied), then the whole
    cluster back; adds the time spent waiting on the protocols."""
    cluster, scenario, values, pace = scene.cluster, scene.scenario, scene.values, run.pace
    stretch = pace.deadline if pace is not None else (lambda what, base_s: base_s)
    if run.fault_t is not None:
        run.recorder.add("restore", actions=[a.__dict__ for a in scenario.restore])
        for act in scenario.restore:
            apply(cluster, act)
        within = evaluate(scenario.restore_within_s, values) or 15.0
        if scenario.restore_until:
            run.enter("restore condition")
            try:
                run.waits_s += wait_for(
                    lambda: holds(scenario.restore_until, run.recorder, cluster, None, 0.0),
                    stretch("restore_s", within),
                    "the restore's condition",
                    run.check_halt,
                )
            except LabtoolError as exc:  # the whole cluster is checked next all the same
                run.notes.append(str(exc))
    run.enter("whole again")
    cluster.make_whole(stretch("whole_s", values["vrrp_master_down_s"] + 10), run.check_halt)
    _vip_back(scene, run, stretch)


def _holds(cluster: Cluster, holders: set[str]) -> bool:
    """The VIP where the configs give it back (on a cluster that may have several holders, a
    split brain's: among them)."""
    wanted = cluster.preferred
    return holders == {wanted} if cluster.one_holder else wanted in holders


def _vip_back(scene: Scene, run: Run, stretch: Callable[[str, float], float]) -> None:
    """Where the configs give the VIP back to the node the scenario started from (its
    priority the highest, preempting), the wait for that too: the cluster as VRRP leaves it,
    so that the next scenario neither moves the VIP itself nor waits for VRRP to settle
    again. Not an error when it does not come (the next scenario's preconditions see to it)."""
    cluster, values, probes, recorder = scene.cluster, scene.values, scene.probes, run.recorder
    wanted = scene.scenario.preconditions.get("vip_holder")
    if not wanted or wanted != cluster.preferred or _holds(cluster, set(cluster.vip_nodes())):
        return
    run.enter("VIP back")
    within = values["vrrp_master_down_s"] + values["track_interval_s"] + 2
    if probes is not None:  # seen by the watchers (one on every load balancer up again)
        probes.watch_all()

    def back() -> bool:
        if probes is None:
            return _holds(cluster, set(cluster.vip_nodes()))
        with recorder.lock:
            return _holds(cluster, set(recorder.live.vip_nodes))

    try:
        run.waits_s += wait_for(
            back, stretch("vip_back_s", within), f"the VIP back on {wanted}", run.check_halt
        )
    except Halted:
        raise
    except LabtoolError:
        pass
