"""What `labtool grade --run` does to a submission's cluster once it is up: the scenarios the
students run (faults.toml says which, in which order, for which behaviour), each run by the
one scenario engine on the submission's own nodes; and what they measured, as its Behaviour.

Every wait is the engine's: for a condition, within a deadline from the submission's own
configs (the scenario's bounds, as data); never a fixed sleep. `checked()` is called on each
of the engine's ticks and between scenarios: it raises once the lab is past its bounds."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labtool.backends.base import Backend
from labtool.errors import LabFileError
from labtool.grading.run.behaviour import Behaviour, LoseLb, LoseWeb, StopHaproxy
from labtool.grading.run.lab import RunLab
from labtool.scenarios import engine
from labtool.scenarios.cast import cast_names, on_lab
from labtool.scenarios.model import load_scenario
from labtool.scenarios.result import Frame, ScenarioError, ScenarioResult
from labtool.spec.model import LabSpec

FAULTS = Path(__file__).with_name("faults.toml")
SPLIT_BRAIN_S = 1.0  # two holders at once for this long: a split brain, not a handover
TAIL_S = 3.0  # a fault never detected: the end of its window tells how it stays

Step = Callable[[str], None]


@dataclass(frozen=True)
class Fault:
    scenario: str
    behaviours: tuple[str, ...]
    say: str  # the progress line; {haproxy1}: that node, as the submission names it


def faults() -> list[Fault]:
    data = tomllib.loads(FAULTS.read_text(encoding="utf-8"))
    return [
        Fault(f["scenario"], tuple(f.get("behaviours", ())), f.get("say", f["scenario"]))
        for f in data["fault"]
    ]


def to_run(behaviours: Iterable[str], scenarios: Iterable[str] = ()) -> list[Fault]:
    """The faults that show these behaviours, then the scenarios a rubric names; at least
    one run (its baseline shows whether the VIP answers and who serves)."""
    wanted = set(behaviours)
    known = faults()
    chosen = [f for f in known if wanted & set(f.behaviours)] or known[:1]
    named = [s for s in dict.fromkeys(scenarios) if s not in {f.scenario for f in chosen}]
    return chosen + [Fault(s, (), s) for s in named]


def observe(
    spec: LabSpec,
    backend: Backend,
    run: RunLab,
    step: Step,
    checked: Callable[[], None],
    plan: list[Fault],
) -> Behaviour:
    """Each fault of the plan in turn on the submission's cluster, and what it showed."""
    b = Behaviour(vip=str(spec.vip), adaptations=list(run.adaptations))
    names = cast_names(spec)
    shown = {lab: run.shown(node) or node for lab, node in names.items()}
    results: list[ScenarioResult] = []
    step("waiting for the VIP")  # (the first run's baseline: its first good answers)
    for fault in plan:
        checked()
        result = _run(spec, backend, fault.scenario, checked, _at_fault(step, fault, shown))
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


class _Names(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return key


def _at_fault(step: Step, fault: Fault, shown: dict[str, str]) -> Callable[[Frame], None]:
    """The live view of a run, as progress: its fault's line once the fault is applied."""
    said: list[bool] = []

    def view(frame: Frame) -> None:
        if frame.since_fault_s is not None and not said:
            said.append(True)
            step(fault.say.format_map(_Names(shown)))

    return view


def _run(
    spec: LabSpec,
    backend: Backend,
    name: str,
    checked: Callable[[], None],
    view: Callable[[Frame], None],
) -> ScenarioResult | None:
    """One scenario on the cluster: its result (also when it could not reach its end); None
    when the submission's cluster has not the nodes it needs (one load balancer only)."""
    try:
        scenario = on_lab(load_scenario(name), spec)
    except LabFileError:
        return None
    try:
        return engine.run(spec, backend, scenario, view, one_holder=False, halt=checked)
    except ScenarioError as exc:
        checked()  # (past its bounds: the lab's run ends here, with that reason)
        return exc.result


def _http(result: ScenarioResult) -> list[dict[str, Any]]:
    return sorted((e for e in result.events if e["kind"] == "http"), key=lambda e: e["sent"])


def _ok(event: dict[str, Any]) -> bool:
    return bool(200 <= int(event.get("status") or 0) < 400)


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
    web = names["web1"]
    detected = result.facts.haproxy_detect_s.get(web)
    after = [e for e in _http(result) if e["sent"] >= 0]
    last = max((e["sent"] for e in after), default=0.0)
    tail_from = detected if detected is not None else last - TAIL_S
    tail = [e for e in after if e["sent"] >= tail_from]
    b.lose_web1 = LoseWeb(
        node=run.shown(web),
        detected_s=None if detected is None else round(detected, 2),
        served_after=sorted(run.shown(n) or n for n in _served(tail)),
        failed_after=sum(1 for e in tail if not _ok(e)),
    )


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
