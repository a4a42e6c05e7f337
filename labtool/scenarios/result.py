"""A scenario's result: the live frame, the checks, the JSON others script against, saving."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labtool.errors import LabtoolError
from labtool.facts import Facts
from labtool.scenarios.model import Scenario
from labtool.state import lab_dir


@dataclass
class Frame:
    """What the live view shows, each tick."""

    scenario: str
    phase: str
    since_fault_s: float | None
    vip_nodes: list[str]
    arp_nodes: list[str]
    servers: dict[str, dict[str, str]]
    recent: list[dict[str, Any]]


@dataclass
class Check:
    fact: str
    expected: str
    observed: Any
    ok: bool
    why: str | None = None  # why the fact is null, when no probe could measure it
    equals: Any = None  # the expectation, as data (the words are the reader's language's)
    low: float | None = None
    high: float | None = None


@dataclass
class ScenarioResult:
    scenario: str
    title: dict[str, str]
    summary: dict[str, str]
    row: str | None
    lab: str
    variant: str | None
    verdict: str
    condition_met: bool
    condition_s: float | None
    facts: Facts
    theory: dict[str, float]
    checks: list[Check]
    events: list[dict[str, Any]]
    fault: list[dict[str, Any]]
    started_at: float
    duration_s: float
    waits_s: float  # time spent waiting on what the protocols impose (for the tool's overhead)
    notes: list[str] = field(default_factory=list)
    error: str | None = None  # why the scenario could not be run to its end
    pace: dict[str, Any] | None = None  # what the backend showed, the deadlines it gave
    probes: dict[str, dict[str, Any]] = field(default_factory=dict)  # each probe's own story
    phases_s: dict[str, float] = field(default_factory=dict)  # where the time went, in order

    def as_json(self) -> dict[str, Any]:
        facts = self.facts.as_dict()
        return {
            "scenario": self.scenario,
            "title": self.title,
            "summary": self.summary,
            "row": self.row,
            "lab": self.lab,
            "variant": self.variant,
            "verdict": self.verdict,
            "expected": {c.fact: c.expected for c in self.checks},
            "observed": {c.fact: c.observed for c in self.checks},
            "checks": [c.__dict__ for c in self.checks],
            "metrics": {
                "outage_s": facts["outage_s"],
                "vip_holder_before": facts["vip_holder_before"],
                "vip_holder_after": facts["vip_holder_after"],
                **{
                    k: v
                    for k, v in facts.items()
                    if k not in ("outage_s", "vip_holder_before", "vip_holder_after")
                },
            },
            "theory": self.theory,
            "condition_met": self.condition_met,
            "condition_s": self.condition_s,
            "fault": self.fault,
            "started_at": self.started_at,
            "duration_s": round(self.duration_s, 3),
            "protocol_waits_s": round(self.waits_s, 3),
            "notes": self.notes,
            "error": self.error,
            "pace": self.pace,
            "probes": self.probes,
            "phases_s": self.phases_s,
            "events": self.events,
        }


def fact_value(facts: Facts, path: str) -> Any:
    """A fact by name, or inside a dict fact with a dot: 'haproxy_detect_s.web1'."""
    name, _, key = path.partition(".")
    value = facts.as_dict().get(name)
    if key:
        value = (
            value.get(
                key,
                0
                if name in ("status_counts", "served_after_detect", "served_after", "served_before")
                else None,
            )
            if isinstance(value, dict)
            else None
        )
    return value


def judge(
    scenario: Scenario, facts: Facts, theory: dict[str, float], margin_s: float = 0.0
) -> list[Check]:
    """Each expectation against the facts; upper bounds on times (facts named *_s) are widened
    by the backend's timing margin."""
    checks = []
    for expectation in scenario.expect:
        observed = fact_value(facts, expectation.fact)
        low = high = None
        if expectation.equals is not None:
            ok = observed == expectation.equals
            expected = json.dumps(expectation.equals, ensure_ascii=False)
        else:
            low, high = expectation.bounds(theory)
            if high is not None and expectation.fact.split(".")[0].endswith("_s"):
                high = round(high + margin_s, 4)
            ok = (
                isinstance(observed, int | float)
                and not isinstance(observed, bool)
                and (low is None or observed >= low)
                and (high is None or observed <= high)
            )
            expected = (
                (f">= {low:g}" if low is not None else "")
                + (" and " if low is not None and high is not None else "")
                + (f"<= {high:g}" if high is not None else "")
            )
        why = facts.unseen.get(expectation.fact) if observed is None else None
        checks.append(
            Check(expectation.fact, expected, observed, ok, why, expectation.equals, low, high)
        )
    return checks


class ScenarioError(LabtoolError):
    """A scenario that could not be run to its end; the result so far comes with it."""

    def __init__(self, message: str, result: ScenarioResult) -> None:
        super().__init__(message)
        self.result = result


def results_dir(lab: str) -> Path:
    return lab_dir(lab) / "results"


def save(result: ScenarioResult) -> None:
    """A measured result where the report reads it; one that ended in an error beside it
    (NAME.error.json), so that the report keeps the last measurement."""
    folder = results_dir(result.lab)
    folder.mkdir(parents=True, exist_ok=True)
    failed = folder / f"{result.scenario}.error.json"
    target = failed if result.verdict == "error" else folder / f"{result.scenario}.json"
    if result.verdict != "error":
        failed.unlink(missing_ok=True)
    target.write_text(json.dumps(result.as_json(), indent=1, ensure_ascii=False) + "\n")
