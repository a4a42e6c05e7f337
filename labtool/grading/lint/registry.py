"""The rule registry: every lint rule, by its code, with its usual severity and what it catches.

A rule is one small function, registered where it lives with `@rule(code, subject=...,
severity=..., title=...)`; lint walks the registry (labtool.grading.lint), subject by subject.
A rule function yields `Say`s (what it says about one place, in keyword arguments); lint makes
each a Finding with the rule's code, and the severity and file of the rule and its subject
unless the Say names its own. Codes found by the parsers, the daemons' own checks and the
refusals are registered too (`found_elsewhere`), so that a rubric can be checked against the
whole list at load time (labtool.grading.score.rubric).

The subjects, and what their rules receive:
- "keepalived_file": (config, instances) for every keepalived.conf;
- "keepalived": (config, instances) for a keepalived.conf with at least one vrrp_instance;
- "instance": (instance, InstanceAt) for each vrrp_instance;
- "pair": (Pair,) for each VRRP instance and its peers on the other load balancers;
- "haproxy_file": (config, HaproxyAt) for every haproxy.cfg;
- "haproxy": (config, HaproxyAt) for a haproxy.cfg that has a frontend (or is a fragment);
- "backend": (config, backend, Target) for each backend that serves the frontends;
- "haproxies": (configs, served) once, across the load balancers;
- "webs": (configs,) once, for the web nodes' pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from labtool.configs.common import Finding
from labtool.configs.haproxy import Line, Section
from labtool.configs.keepalived_model import Statement

Subject = Literal[
    "keepalived_file",
    "keepalived",
    "instance",
    "pair",
    "haproxy_file",
    "haproxy",
    "backend",
    "haproxies",
    "webs",
]
Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Say:
    """What a rule says about one place."""

    message: str
    where: Statement | Line | Section | None = None  # its file and line; None: the file
    why: str = ""
    fix: str = ""
    severity: Severity | None = None  # None: the rule's own
    file: str | None = None  # None: the subject's file


Check = Callable[..., Iterator[Say]]


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    title: str  # what it catches, in one line
    subject: Subject | None  # None: found elsewhere (a parser, a daemon, the refusals)
    checks: tuple[Check, ...] = ()

    def findings(self, file: str, *args: Any) -> Iterator[Finding]:
        for check in self.checks:
            for say in check(*args):
                yield Finding(
                    rule=self.code,
                    severity=say.severity or self.severity,
                    message=say.message,
                    file=say.where.file if say.where else (say.file or file),
                    line=say.where.line if say.where else None,
                    explanation=say.why,
                    fix=say.fix,
                )


RULES: dict[str, Rule] = {}


def rule(
    code: str, *, subject: Subject, severity: Severity, title: str
) -> Callable[[Check], Check]:
    """Register a rule's check under its code (a code may have several checks: its places)."""

    def register(check: Check) -> Check:
        known = RULES.get(code)
        if known is not None and (known.subject, known.severity) != (subject, severity):
            raise ValueError(f"rule {code} registered twice, differently")
        checks = known.checks if known else ()
        RULES[code] = Rule(code, severity, title, subject, (*checks, check))
        return check

    return register


def found_elsewhere(code: str, *, severity: Severity, title: str) -> None:
    """Register a code whose findings a parser, a daemon's check or the refusals make."""
    RULES.setdefault(code, Rule(code, severity, title, None))


def of_subject(subject: Subject) -> list[Rule]:
    return [r for r in RULES.values() if r.subject == subject]
