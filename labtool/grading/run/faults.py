"""What `labtool grade --run` does to a submission's cluster once it is up: the scenarios the
students run (faults.toml says which, in which order, for which behaviour), each run by the
one scenario engine on the submission's own nodes; and what they measured, as its Behaviour.

Every wait is the engine's: for a condition, within a deadline from the submission's own
configs (the scenario's bounds, as data); never a fixed sleep. `checked()` is called on each
of the engine's ticks and between scenarios: it raises once the lab is past its bounds."""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from labtool.backends.base import Backend
from labtool.errors import LabFileError
from labtool.grading.run.behaviour import Behaviour, LoseLb, LoseWeb, StopHaproxy
from labtool.grading.run.lab import RunLab
from labtool.i18n import Msg, Worded
from labtool.scenarios import engine
from labtool.scenarios.cast import cast_names, on_lab
from labtool.scenarios.model import load_scenario
from labtool.scenarios.result import Frame, ScenarioError, ScenarioResult
from labtool.spec.model import LabSpec

FAULTS = Path(__file__).with_name("faults.toml")
SPLIT_BRAIN_S = 1.0  # two holders at once for this long: a split brain, not a handover
TAIL_S = 3.0  # a fault never detected: the end of its window tells how it stays
ANSWER_S = 2.0  # slower than this, an answer is a failure (a browser's user gives up)
STREAK_S = 1.0  # good answers this long, no failure after: the client is served again
# The client's requests a second in a submission's run: half a scenario's own (each lab's
# agent, HAProxy and Apache then take half the CPU for it; thirty labs share two cores), still
# one request every 40 ms, finer than any time the lab asks for (seconds)
RATE = 25.0

Step = Callable[[str], None]


@dataclass(frozen=True)
class Fault:
    scenario: str
    behaviours: tuple[str, ...]
    say: dict[str, str]  # the progress line, fr and en; {haproxy1}: that node, as named there
    settle_s: float | None = None  # answers for this long after the window, where grading
    # needs more than the scenario's own settle

    @property
    def settle_requests(self) -> int | None:
        return None if self.settle_s is None else math.ceil(self.settle_s * RATE)


def faults() -> list[Fault]:
    data = tomllib.loads(FAULTS.read_text(encoding="utf-8"))
    return [
        Fault(
            f["scenario"],
            tuple(f.get("behaviours", ())),
            f.get("say", {"en": f["scenario"]}),
            f.get("settle_s"),
        )
        for f in data["fault"]
    ]


def to_run(behaviours: Iterable[str], scenarios: Iterable[str] = ()) -> list[Fault]:
    """The faults that show these behaviours, then the scenarios a rubric names; at least
    one run (its baseline shows whether the VIP answers and who serves)."""
    wanted = set(behaviours)
    known = faults()
    chosen = [f for f in known if wanted & set(f.behaviours)] or known[:1]
    named = [s for s in dict.fromkeys(scenarios) if s not in {f.scenario for f in chosen}]
    return chosen + [Fault(s, (), {"en": s}) for s in named]


def observe(
    spec: LabSpec,
    backend: Backend,
    run: RunLab,
    step: Step,
    checked: Callable[[], None],
    plan: list[Fault],
    booted_at: float | None = None,
) -> Behaviour:
    """Each fault of the plan in turn on the submission's cluster, and what it showed
    (`booted_at`: when its last keepalived started, for the first run's baseline)."""
    b = Behaviour(vip=str(spec.vip), adaptations=list(run.adaptations))
    names = cast_names(spec)
    shown = {lab: run.shown(node) or node for lab, node in names.items()}
    results: list[ScenarioResult] = []
    step(Msg("waiting for the VIP"))  # (the first run's baseline: its first good answers)
    for index, fault in enumerate(plan):
        checked()
        view = _at_fault(step, fault, shown)
        last = index == len(plan) - 1  # (its lab is removed next: no restore)
        booted = booted_at if index == 0 else None
        result = _run(spec, backend, fault, checked, view, not last, booted)
        if result is None:
            continue
        results.append(result)
        if len(results) == 1 and not _first(b, result, run):
            break  # nothing answers on the VIP: nothing else to measure
        for behaviour in fault.behaviours:
            MEASURES[behaviour](b, result, run, names)
        b.scenarios[fault.scenario] = _verdict(result)
    b.split_brain_nodes = [run.shown(n) or n for n in _split_brain(results)]
    b.split_brain = bool(b.split_brain_nodes)
    return b


def _at_fault(step: Step, fault: Fault, shown: dict[str, str]) -> Callable[[Frame], None]:
    """The live view of a run, as progress: its fault's line once the fault is applied."""
    said: list[bool] = []

    def view(frame: Frame) -> None:
        if frame.since_fault_s is not None and not said:
            said.append(True)
            step(Worded(fault.say, **shown))

    return view


def _run(
    spec: LabSpec,
    backend: Backend,
    fault: Fault,
    checked: Callable[[], None],
    view: Callable[[Frame], None],
    restore_after: bool,
    booted_at: float | None,
) -> ScenarioResult | None:
    """One scenario on the cluster: its result (also when it could not reach its end); None
    when the submission's cluster has not the nodes it needs (one load balancer only)."""
    try:
        scenario = on_lab(load_scenario(fault.scenario), spec)
    except LabFileError:
        return None
    if fault.settle_requests is not None:
        scenario = replace(scenario, settle_requests=fault.settle_requests)
    try:
        return engine.run(
            spec,
            backend,
            scenario,
            view,
            one_holder=False,
            halt=checked,
            restore_after=restore_after,
            booted_at=booted_at,
            rate=RATE,
        )
    except ScenarioError as exc:
        checked()  # (past its bounds: the lab's run ends here, with that reason)
        return exc.result


def _http(result: ScenarioResult) -> list[dict[str, Any]]:
    return sorted((e for e in result.events if e["kind"] == "http"), key=lambda e: e["sent"])


def _ok(event: dict[str, Any]) -> bool:
    """An answer the client would call one: a good status within ANSWER_S (a request HAProxy
    holds while it retries a dead server, then sends elsewhere, is a failure to the client)."""
    return bool(
        200 <= int(event.get("status") or 0) < 400
        and float(event.get("latency_s") or 0.0) <= ANSWER_S
    )


def _first(b: Behaviour, result: ScenarioResult, run: RunLab) -> bool:
    """The first run's baseline: whether the VIP answers, its holder, who serves."""
    answers = _http(result)
    before = [e for e in answers if e["sent"] < 0] or answers
    b.vip_answers = any(_ok(e) for e in answers)
    b.vip_holder = run.shown(result.facts.vip_holder_before)
    b.requests, b.answered = len(before), sum(1 for e in before if _ok(e))
    b.served_by = [run.shown(n) or n for n in _served(before)]
    return b.vip_answers


def _served(answers: list[dict[str, Any]]) -> list[str]:
    """The web nodes that answered, in the order they first did."""
    return list(dict.fromkeys(e["node"] for e in answers if _ok(e) and e.get("node")))


def _lose_web1(b: Behaviour, result: ScenarioResult, run: RunLab, names: dict[str, str]) -> None:
    """As the client sees it: from when every request is answered again for good (a run of
    good answers STREAK_S long that no failure follows); never, and what fails at the end."""
    web = names["web1"]
    after = _known([e for e in _http(result) if e["sent"] >= 0])
    settled = _settled(after)
    last = max((e["sent"] for e in after), default=0.0)
    tail = [e for e in after if e["sent"] >= (settled if settled is not None else last - TAIL_S)]
    b.lose_web1 = LoseWeb(
        node=run.shown(web),
        detected_s=None if settled is None else round(settled, 2),
        served_after=sorted(run.shown(n) or n for n in _served(tail)),
        failed_after=sum(1 for e in tail if not _ok(e)),
    )


def _known(answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The requests whose fate is known: sent ANSWER_S or more before the last one (a request
    the end of the measure cut is failed if held longer than a client waits, unknown if not:
    those sent last are left out, not counted as good)."""
    last = max((e["sent"] for e in answers), default=0.0)
    return [e for e in answers if e["sent"] <= last - ANSWER_S]


def _settled(answers: list[dict[str, Any]]) -> float | None:
    """The sent time of the first answer of a run of good ones at least STREAK_S long that
    no failure follows (a failure starts the run again)."""
    start: float | None = None
    for event in answers:
        start = (start if start is not None else event["sent"]) if _ok(event) else None
    if start is None or answers[-1]["sent"] - start < STREAK_S:
        return None
    return float(start)


def _lose_haproxy1(
    b: Behaviour, result: ScenarioResult, run: RunLab, names: dict[str, str]
) -> None:
    facts, lost = result.facts, names["haproxy1"]
    holder = facts.vip_holder_after if facts.vip_holder_after != lost else None
    b.lose_haproxy1 = LoseLb(
        node=run.shown(lost),
        vip_holder_after=run.shown(holder),
        outage_s=None if facts.outage_ongoing or holder is None else round(facts.outage_s, 2),
        failed=facts.failed_requests,
    )


def _track_haproxy(
    b: Behaviour, result: ScenarioResult, run: RunLab, names: dict[str, str]
) -> None:
    facts, node = result.facts, names["haproxy1"]
    moved = facts.vip_holder_after is not None and facts.vip_holder_after != node
    b.stop_haproxy = StopHaproxy(
        node=run.shown(node),
        vip_moved=moved,
        moved_s=(round(facts.takeover_s, 2) if moved and facts.takeover_s is not None else None),
        vip_holder_after=run.shown(facts.vip_holder_after),
    )


def _failback(b: Behaviour, result: ScenarioResult, run: RunLab, names: dict[str, str]) -> None:
    b.failback = names["haproxy1"] in result.facts.vip_gained


Measure = Callable[[Behaviour, ScenarioResult, RunLab, dict[str, str]], None]
MEASURES: dict[str, Measure] = {
    "lose_web1": _lose_web1,
    "lose_haproxy1": _lose_haproxy1,
    "track_haproxy": _track_haproxy,
    "failback": _failback,
}


def _verdict(result: ScenarioResult) -> dict[str, Any]:
    """A scenario a rubric names: its verdict and checks, as a live run's are graded."""
    return {
        "verdict": result.verdict,
        "checks": [c.__dict__ for c in result.checks],
        "notes": result.notes,
        "error": result.error,
        "seconds": round(result.duration_s, 1),
        "phases_s": result.phases_s,
    }


def _split_brain(results: list[ScenarioResult]) -> list[str]:
    """The load balancers that held the VIP together for SPLIT_BRAIN_S or more, in any run
    (a handover's instant of two holders is not one)."""
    for result in results:
        holders: dict[str, float] = {}  # node -> since when
        events = sorted((e for e in result.events if e["kind"] == "vip"), key=lambda e: e["t"])
        end = max((e["t"] for e in result.events), default=0.0)
        for event in [*events, {"t": end, "node": None, "action": "end"}]:
            if len(holders) > 1 and event["t"] - max(holders.values()) >= SPLIT_BRAIN_S:
                return sorted(holders)
            node = event.get("node")
            if event["action"] == "added" and node is not None:
                holders.setdefault(node, event["t"])
            elif node is not None:
                holders.pop(node, None)
    return []
