"""The scenario engine (layer 5): one generic loop for every scenario file.

Preconditions, probes on, a baseline, the fault, then wait until the scenario's condition holds
within its deadline while the probes record, a short settle, probes off; the restore step runs
always (also on failure and on Ctrl-C); then facts, theory and a verdict. Never a blind sleep:
every wait is for a condition, with a deadline.
"""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Callable, Iterator

from labtool.backends.base import Backend
from labtool.errors import LabtoolError
from labtool.facts import SLOW_S, compute
from labtool.probes.recorder import Recorder
from labtool.scenarios.cluster import Cluster, wait_for
from labtool.scenarios.model import Scenario, apply_variant, evaluate
from labtool.scenarios.probes import PROBE_RATE, Probes, holds, start_agent
from labtool.scenarios.result import Frame, ScenarioResult, judge, results_dir, save
from labtool.spec import LabSpec

__all__ = ["Frame", "ScenarioResult", "results_dir", "run"]


@contextlib.contextmanager
def sigint_deferred() -> Iterator[list[bool]]:
    """Restore must finish: a Ctrl-C during it is remembered, then raised after."""
    caught: list[bool] = []
    previous = signal.getsignal(signal.SIGINT)

    def remember(signum: int, frame: object) -> None:
        caught.append(True)

    try:
        signal.signal(signal.SIGINT, remember)
    except ValueError:  # not the main thread: nothing to defer
        yield caught
        return
    try:
        yield caught
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def run(spec: LabSpec, backend: Backend, scenario: Scenario,
        view: Callable[[Frame], None] | None = None) -> ScenarioResult:
    """Run one scenario on a lab that is up; the cluster is whole again afterwards."""
    variant = None if spec.vrrp.track_haproxy else "no_track_script"
    if variant:
        scenario = apply_variant(scenario, variant)
    cluster = Cluster(spec, backend)
    started_wall, started = time.time(), time.monotonic()
    theory = cluster.theory()
    values = theory.values()
    within = evaluate(scenario.for_s if scenario.for_s is not None else scenario.within_s,
                      values) or 0.0
    recorder = Recorder(spec, slow_s=SLOW_S)
    # The client's agent starts first, so that it is ready once the preconditions hold. It is
    # asked to stop when the window ends; its own bound leaves room for slow preconditions
    # (machines under emulation, a `vagrant status` per check).
    duration = 2 * values["vrrp_master_down_s"] + within + 120 + \
        (scenario.before_requests + scenario.settle_requests) / PROBE_RATE
    agent = start_agent(spec, backend, recorder, duration)
    waits_s = 0.0
    phase = ["preconditions"]
    try:
        cluster.make_whole(values["vrrp_master_down_s"] + 10)
        waits_s += _preconditions(cluster, scenario, values)
        probes = Probes(spec, backend, recorder, agent)
    except BaseException:
        agent.stop()
        raise
    baseline_t = time.monotonic()
    fault_t = end_t = time.monotonic()
    condition_s: float | None = None
    notes: list[str] = []

    def tick() -> None:
        if view is not None:
            now = time.monotonic()
            view(Frame(scenario.name, phase[0], now - fault_t if phase[0] != "baseline" else
                       None, sorted(recorder.live.vip_nodes), sorted(recorder.arp_nodes(now)),
                       {lb: dict(s) for lb, s in recorder.live.servers.items()},
                       recorder.last_requests(40)))

    try:
        phase[0] = "baseline"
        wait_for(lambda: recorder.answered(baseline_t, ok_only=True) >= scenario.before_requests,
                 10,
                 f"{scenario.before_requests} answers through the VIP from the client node",
                 tick)
        phase[0] = "fault"
        fault_t = time.monotonic()
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
        phase[0] = "observing"
        if scenario.for_s is not None:
            window_end = fault_t + within
            wait_for(lambda: time.monotonic() >= window_end, within + 1, "the window", tick)
            condition_s, met = within, True
        else:
            try:
                condition_s = time.monotonic() - fault_t + wait_for(
                    lambda: holds(scenario.until, recorder, cluster, probes, fault_t), within,
                    f"{scenario.until}", tick)
                met = True
            except LabtoolError as exc:
                met = False
                notes.append(str(exc))
        waits_s += (condition_s or within)
        phase[0] = "settling"
        settled_from = time.monotonic()
        with contextlib.suppress(LabtoolError):  # requests still stalled: the window ends anyway
            wait_for(lambda: recorder.answered(settled_from) >= scenario.settle_requests,
                     scenario.settle_requests / PROBE_RATE + 2, "the settle", tick)
        end_t = time.monotonic()
    finally:
        phase[0] = "restoring"
        with sigint_deferred():
            probes.request_stop()  # the agent winds down while the restore runs
            try:
                waits_s += _restore(cluster, scenario, values, recorder)
            finally:
                probes.stop()
    events = recorder.snapshot()
    facts = compute(events, fault_t, end_t, spec, start_t=baseline_t)
    checks = judge(scenario, facts, values, backend.timing_margin_s)
    if backend.timing_margin_s:
        notes.append(f"time bounds widened by {backend.timing_margin_s:g} s on the "
                     f"{backend.name} backend (machines slower to show a change than "
                     "namespaces)")
    verdict = "pass" if met and all(c.ok for c in checks) else "fail"
    result = ScenarioResult(
        scenario=scenario.name, title=scenario.title, summary=scenario.summary,
        row=scenario.row, lab=spec.name, variant=variant, verdict=verdict, condition_met=met,
        condition_s=round(condition_s, 4) if condition_s is not None else None, facts=facts,
        theory=values, checks=checks, events=[e.as_dict(fault_t) for e in events],
        fault=[a.__dict__ for a in scenario.fault], started_at=started_wall,
        duration_s=time.monotonic() - started, waits_s=waits_s, notes=notes)
    save(result)
    return result


def _preconditions(cluster: Cluster, scenario: Scenario, theory: dict[str, float]) -> float:
    """Put the cluster in the scenario's starting state; returns the protocol waits."""
    waited = 0.0
    deadline = theory["vrrp_master_down_s"] + 5
    wanted = scenario.preconditions.get("vip_holder")
    if wanted and cluster.vip_nodes() != [wanted]:
        others = [n for n in cluster.vip_nodes() if n != wanted]
        for node in others:
            cluster.systemctl(node, "stop", "keepalived")
        waited += wait_for(lambda: cluster.vip_nodes() == [wanted], deadline,
                           f"the VIP on {wanted} before the fault")
        for node in others:
            cluster.systemctl(node, "start", "keepalived")
    down = scenario.preconditions.get("node_down")
    if down:
        cluster.backend.power_off(down)
        waited += wait_for(lambda: len(cluster.vip_nodes()) == 1, deadline,
                           f"the VIP on one node with {down} down")
    return waited


def _restore(cluster: Cluster, scenario: Scenario, theory: dict[str, float],
             recorder: Recorder) -> float:
    """The restore step; returns the time spent waiting on the protocols."""
    recorder.add("restore", actions=[a.__dict__ for a in scenario.restore])
    for action in scenario.restore:
        cluster.apply(action)
    within = evaluate(scenario.restore_within_s, theory) or 15.0
    waited = 0.0
    if scenario.restore_until:
        with contextlib.suppress(LabtoolError):
            waited = wait_for(lambda: holds(scenario.restore_until, recorder, cluster, None,
                                             0.0), within, "the restore")
    cluster.make_whole(theory["vrrp_master_down_s"] + 10)
    return waited
