"""The scenario engine (layer 5): one generic walk for every scenario file.

The theory read from the configs, the probes on, then the named phases of
labtool.scenarios.phases in order (preconditions, probes ready, baseline, fault, observing,
settling); the restore runs always (also on failure and on Ctrl-C), then the probes stop; then
facts, theory and a verdict. Never a blind sleep: every wait is for a condition, with a
deadline.
"""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Callable, Iterator

from labtool.backends.base import Backend
from labtool.errors import LabtoolError
from labtool.facts import SLOW_FACTOR, SLOW_S, Facts, compute
from labtool.probes.events import Event
from labtool.probes.recorder import Recorder
from labtool.scenarios.cast import on_lab
from labtool.scenarios.cluster import Cluster
from labtool.scenarios.model import Scenario, apply_variant, evaluate
from labtool.scenarios.pace import PACE_ANSWERS
from labtool.scenarios.phases import PHASES, Scene, restore
from labtool.scenarios.probes import AGENT_DURATION_S, PROBE_RATE, Probes
from labtool.scenarios.result import (
    Frame,
    ScenarioError,
    ScenarioResult,
    judge,
    results_dir,
    save,
)
from labtool.scenarios.run import Halted, Run
from labtool.spec.model import LabSpec

__all__ = ["Frame", "ScenarioError", "ScenarioResult", "results_dir", "run"]

# A lab just booted: how long after its keepalived's master-down timers ran out its start-up
# may still move the VIP (a loaded machine's timers fire late, an advert takes a moment).
BOOT_MARGIN_S = 1.0


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
    *,
    one_holder: bool = True,
    halt: Callable[[], None] | None = None,
    restore_after: bool = True,
    booted_at: float | None = None,
    rate: float = PROBE_RATE,
) -> ScenarioResult:
    """Run one scenario on a lab that is up; the cluster is whole again afterwards. A step
    that cannot be done (a probe that never starts, a baseline that never comes) raises
    ScenarioError, which carries the result so far. `listen` gets each probe event as it
    comes in (a live view's). The scenario's nodes are the lab's (haproxy1, web1...): on a
    lab whose nodes have other names, its nodes of the same role, in order. `one_holder`
    False: the cluster counts as whole without a single VIP holder (a submission's).
    `halt()` is called at every tick; once it raises (a LabtoolError), the run stops there,
    without its restore (its lab is being removed). `restore_after` False: the cluster is left
    as the fault made it (a throwaway lab's last scenario). `booted_at`: a lab just booted,
    when its last keepalived started (its baseline then need not wait a master-down time
    more once every start-up timer has run out). `rate`: the client's requests a second."""
    variant = None if spec.vrrp.track_haproxy else "no_track_script"
    if variant:
        scenario = apply_variant(scenario, variant)
    scenario = on_lab(scenario, spec)
    cluster = Cluster(spec, backend, one_holder=one_holder)
    started_wall, started = time.time(), time.monotonic()
    recorder = Recorder(spec, slow_s=SLOW_S)
    if listen is not None:
        recorder.listeners.append(listen)
    run = Run(scenario, recorder, view, halt)  # phase "theory": the configs in use, read
    values = cluster.theory().values()
    recorder.servers = cluster.servers  # (its HAProxy's own backend and server names)
    recorder.pages = cluster.pages  # (its web nodes' own pages)
    within = (
        evaluate(scenario.for_s if scenario.for_s is not None else scenario.within_s, values) or 0.0
    )
    run.enter("probes")
    recorder.learn_macs(backend.node_macs())
    # The probes start first, so that they are ready once the preconditions hold. The agent
    # is asked to stop when the window ends; its own bound (AGENT_DURATION_S) leaves room for
    # slow machines, whose preconditions alone were seen taking three minutes.
    quiet_after = (
        booted_at + values["vrrp_master_down_s"] + BOOT_MARGIN_S if booted_at is not None else None
    )
    scene = Scene(
        cluster,
        scenario,
        values,
        within,
        Probes(spec, backend, recorder, AGENT_DURATION_S, rate),
        quiet_after,
    )
    error = _walk(scene, run, restore_after)
    result = _result(spec, backend, scene, run, variant, error, started_wall, started)
    save(result)
    if error:
        raise ScenarioError(error, result)
    return result


def _walk(scene: Scene, run: Run, restore_after: bool = True) -> str | None:
    """The phases in order, then the restore (unless halted or not asked for) and always the
    probes' stop; what went wrong."""
    error: str | None = None
    halted = False
    try:
        for name, phase in PHASES:
            run.enter(name)
            phase(scene, run)
    except LabtoolError as exc:
        error, halted = str(exc), isinstance(exc, Halted)
    finally:
        run.enter("restoring")
        with sigint_deferred():
            scene.probes.request_stop()  # the agent winds down while the restore runs
            try:
                if restore_after and not halted:
                    restore(scene, run)
            except LabtoolError as exc:  # the result still says what was measured
                error = f"{error}; then the restore: {exc}" if error else f"the restore: {exc}"
            finally:
                run.enter("stopping probes")
                scene.probes.stop()
                run.enter("done")
    return error


def _result(
    spec: LabSpec,
    backend: Backend,
    scene: Scene,
    run: Run,
    variant: str | None,
    error: str | None,
    started_wall: float,
    started: float,
) -> ScenarioResult:
    """Facts from the events, checked against the scenario's expectations: the verdict."""
    scenario, recorder, pace = scene.scenario, run.recorder, run.pace
    fault_t = run.fault_t if run.fault_t is not None else time.monotonic()
    end_t = run.end_t if run.end_t is not None else time.monotonic()
    events = recorder.snapshot()
    facts = compute(events, fault_t, end_t, spec, start_t=run.baseline_t, slow_s=recorder.slow_s)
    checks = judge(scenario, facts, scene.values, backend.timing_margin_s)
    verdict = "error" if error else "pass" if run.met and all(c.ok for c in checks) else "fail"
    return ScenarioResult(
        scenario=scenario.name,
        title=scenario.title,
        summary=scenario.summary,
        row=scenario.row,
        lab=spec.name,
        variant=variant,
        verdict=verdict,
        condition_met=run.met,
        condition_s=round(run.condition_s, 4) if run.condition_s is not None else None,
        facts=facts,
        theory=scene.values,
        checks=checks,
        events=[e.as_dict(fault_t) for e in events],
        fault=[a.__dict__ for a in scenario.fault],
        started_at=started_wall,
        duration_s=time.monotonic() - started,
        waits_s=run.waits_s,
        notes=_notes(backend, scene, run, facts),
        error=error,
        pace=pace.as_dict() if pace else None,
        probes=scene.probes.summaries(fault_t),
        phases_s=run.phases_s,
    )


def _notes(backend: Backend, scene: Scene, run: Run, facts: Facts) -> list[str]:
    """What the result says beside its facts: what the run found on its way, what was not
    measured, and how this backend's bounds were stretched."""
    expected = {e.fact.split(".")[0] for e in scene.scenario.expect}
    notes = (
        run.notes
        + scene.cluster.notes
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
    if run.recorder.slow_s > SLOW_S:
        notes.append(
            f"an answer counts as slow after {run.recorder.slow_s:g} s (not "
            f"{SLOW_S:g} s): {SLOW_FACTOR:g} times this backend's usual answer"
        )
    pace = run.pace
    if pace is not None and pace.factor > 1:
        notes.append(
            f"deadlines stretched x{pace.factor:g}: the probes started in "
            f"{pace.agent_start_s:g} s (address watchers: {pace.watchers_start_s}) "
            f"and {PACE_ANSWERS} answers took {pace.answers_s} s on this backend"
        )
    return notes
