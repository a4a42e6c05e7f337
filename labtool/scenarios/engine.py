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
from labtool.facts import SLOW_FACTOR, SLOW_S, compute, slow_threshold
from labtool.probes.events import Event
from labtool.probes.recorder import Recorder
from labtool.scenarios.cluster import Cluster, wait_for
from labtool.scenarios.conditions import servers_seen_up
from labtool.scenarios.model import Scenario, apply_variant, evaluate
from labtool.scenarios.pace import BASELINE_S, PACE_ANSWERS, Pace
from labtool.scenarios.phases import (
    Run,
    baseline_detail,
    fault_and_observe,
    preconditions,
    restore,
)
from labtool.scenarios.probes import AGENT_DURATION_S, Probes
from labtool.scenarios.result import (
    Frame,
    ScenarioError,
    ScenarioResult,
    judge,
    results_dir,
    save,
)
from labtool.spec.model import LabSpec

__all__ = ["Frame", "ScenarioError", "ScenarioResult", "results_dir", "run"]


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


def run(
    spec: LabSpec,
    backend: Backend,
    scenario: Scenario,
    view: Callable[[Frame], None] | None = None,
    listen: Callable[[Event], None] | None = None,
) -> ScenarioResult:
    """Run one scenario on a lab that is up; the cluster is whole again afterwards. A step
    that cannot be done (a probe that never starts, a baseline that never comes) raises
    ScenarioError, which carries the result so far. `listen` gets each probe event as it
    comes in (a live view's)."""
    variant = None if spec.vrrp.track_haproxy else "no_track_script"
    if variant:
        scenario = apply_variant(scenario, variant)
    cluster = Cluster(spec, backend)
    started_wall, started = time.time(), time.monotonic()
    recorder = Recorder(spec, slow_s=SLOW_S)
    if listen is not None:
        recorder.listeners.append(listen)
    run = Run(scenario, recorder, view)  # phase "theory": the configs in use, read
    theory = cluster.theory()
    values = theory.values()
    within = (
        evaluate(scenario.for_s if scenario.for_s is not None else scenario.within_s, values) or 0.0
    )
    run.enter("probes")
    recorder.learn_macs(backend.node_macs())
    # The probes start first, so that they are ready once the preconditions hold. The agent
    # is asked to stop when the window ends; its own bound (AGENT_DURATION_S) leaves room for
    # slow machines, whose preconditions alone were seen taking three minutes.
    probes = Probes(spec, backend, recorder, AGENT_DURATION_S)
    pace: Pace | None = None
    error: str | None = None
    met = False
    try:
        run.enter("preconditions")
        cluster.make_whole(values["vrrp_master_down_s"] + 10)
        run.waits_s += preconditions(cluster, scenario, values, probes.node_lost)
        recorder.learn_macs(backend.node_macs())
        probes.watch_all()  # the load balancers the preconditions brought up
        run.enter("probes ready")
        pace = probes.await_ready(run.tick)
        recorder.slow_s = pace.slow_s = slow_threshold(recorder.latencies(pace.answers_from))
        run.enter("baseline")
        # the baseline counts from where the pace did: the answers that gave it count too
        run.baseline_t = baseline_t = pace.answers_from
        steady_s = values["vrrp_master_down_s"]
        # HAProxy's view settled too, for as long as a check sequence may take; a server still
        # DOWN then (a broken web node) is measured as it is
        servers_by = time.monotonic() + min(BASELINE_S, values.get("haproxy_detect_max_s", 0))
        wait_for(
            lambda: (
                recorder.answered(baseline_t, ok_only=True) >= scenario.before_requests
                and recorder.vip_steady_for(time.monotonic()) >= steady_s
                and (servers_seen_up(recorder, cluster) or time.monotonic() > servers_by)
            ),
            pace.deadline("baseline_s", BASELINE_S + steady_s),
            f"{scenario.before_requests} good answers through the VIP from the client node, "
            f"the VIP on one node for {steady_s:g} s (VRRP's master-down time)",
            run.tick,
            detail=lambda: baseline_detail(recorder, baseline_t, pace, probes),
        )
        met = fault_and_observe(cluster, scenario, probes, run, pace, within)
    except LabtoolError as exc:
        error = str(exc)
    finally:
        run.enter("restoring")
        with sigint_deferred():
            probes.request_stop()  # the agent winds down while the restore runs
            try:
                run.waits_s += restore(
                    cluster, scenario, values, run, pace, faulted=run.fault_t is not None
                )
            except LabtoolError as exc:  # the result still says what was measured
                error = f"{error}; then the restore: {exc}" if error else f"the restore: {exc}"
            finally:
                run.enter("stopping probes")
                probes.stop()
                run.enter("done")
    fault_t = run.fault_t if run.fault_t is not None else time.monotonic()
    end_t = run.end_t if run.end_t is not None else time.monotonic()
    events = recorder.snapshot()
    facts = compute(events, fault_t, end_t, spec, start_t=run.baseline_t, slow_s=recorder.slow_s)
    checks = judge(scenario, facts, values, backend.timing_margin_s)
    expected = {e.fact.split(".")[0] for e in scenario.expect}
    notes = (
        run.notes
        + cluster.notes
        + [
            f"{fact} not measured: {why}"
            for fact, why in facts.unseen.items()
            if fact in expected or facts.takeover_s is not None or "takeover_s" in expected
        ]
    )
    if backend.timing_margin_s:
        notes.append(
            f"time bounds widened by {backend.timing_margin_s:g} s on the "
            f"{backend.name} backend (machines slower to show a change than "
            "namespaces)"
        )
    if recorder.slow_s > SLOW_S:
        notes.append(
            f"an answer counts as slow after {recorder.slow_s:g} s (not "
            f"{SLOW_S:g} s): {SLOW_FACTOR:g} times this backend's usual answer"
        )
    if pace is not None and pace.factor > 1:
        notes.append(
            f"deadlines stretched x{pace.factor:g}: the probes started in "
            f"{pace.agent_start_s:g} s (address watchers: {pace.watchers_start_s}) "
            f"and {PACE_ANSWERS} answers took {pace.answers_s} s on this backend"
        )
    verdict = "error" if error else "pass" if met and all(c.ok for c in checks) else "fail"
    result = ScenarioResult(
        scenario=scenario.name,
        title=scenario.title,
        summary=scenario.summary,
        row=scenario.row,
        lab=spec.name,
        variant=variant,
        verdict=verdict,
        condition_met=met,
        condition_s=round(run.condition_s, 4) if run.condition_s is not None else None,
        facts=facts,
        theory=values,
        checks=checks,
        events=[e.as_dict(fault_t) for e in events],
        fault=[a.__dict__ for a in scenario.fault],
        started_at=started_wall,
        duration_s=time.monotonic() - started,
        waits_s=run.waits_s,
        notes=notes,
        error=error,
        pace=pace.as_dict() if pace else None,
        probes=probes.summaries(fault_t),
        phases_s=run.phases_s,
    )
    save(result)
    if error:
        raise ScenarioError(error, result)
    return result
