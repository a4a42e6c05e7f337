"""The points rubric (TOML): criteria, their points and how each is judged. A default ships
(default_rubric.toml, 20 points); a broken rubric file is one clear error."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labtool.errors import LabFileError
from labtool.grading.score.criteria import (
    BEHAVIOURS,
    KINDS,
    Criterion,
    known_codes,
    number,
    read_criterion,
)
from labtool.i18n import Msg

__all__ = ["BEHAVIOURS", "DEFAULT_RUBRIC", "KINDS", "Criterion", "Rubric", "load_rubric"]

DEFAULT_RUBRIC = Path(__file__).with_name("default_rubric.toml")
PLATFORMS = ("centos7", "el9", "debian12")
# What each platform's daemons accept that the others refuse: on these platforms such a
# finding is the platform's way (a lab choice), elsewhere a mistake that stops the daemon.
PLATFORM_ONLY = {
    "HA-FRONTEND-ADDRESS": ("centos7",),
    "HA-REMOVED": ("centos7",),
    "KA-LVS-SYNC": ("centos7",),
}
# What the lab itself prescribes, and what it costs by default (0: a note only).
# labtool's own lab keeps the first three (it builds the lab as written) and adapts the
# platform-only lines for this machine's daemons.
LAB_CHOICES = {
    "KA-EQUAL-PRIORITY": 0.0,
    "KA-AUTH-PASS": 0.0,
    "KA-SCRIPT-PATH": 0.0,
    "KA-LVS-SYNC": 0.25,
    "HA-FRONTEND-ADDRESS": 0.25,
    "HA-REMOVED": 0.0,
}


@dataclass(frozen=True)
class Rubric:
    total: float
    criteria: tuple[Criterion, ...] = field(default_factory=tuple)
    source: str = str(DEFAULT_RUBRIC)
    platform: str = "centos7"  # the platform the lab is written for
    other_plan: float = 1.0  # points for not using the lab's address plan
    log_share: float = 0.8  # a row read from a test log or prose, instead of the lab's table
    lab_choices: dict[str, float] = field(default_factory=lambda: dict(LAB_CHOICES))
    notes: tuple[str, ...] = ()  # rules whose findings are notes in the feedback, no points

    @property
    def unnamed(self) -> list[str]:
        """The lint rules this rubric neither grades nor names as notes: their findings
        would be notes without anyone having said so (`labtool grade` reports them)."""
        from labtool.grading.lint import RULES

        named = {r for c in self.criteria for r in c.rules} | set(self.notes)
        return sorted(set(RULES) - named)

    def applicable(self, live: bool, run: bool = False) -> tuple[Criterion, ...]:
        """The criteria a grading judges: scenarios with --live, behaviours with --run."""
        return tuple(
            c
            for c in self.criteria
            if (live or c.kind != "scenario") and (run or c.kind != "behaviour")
        )

    def lab_choice_cost(self, rule: str) -> float | None:
        """What a finding the lab itself prescribes costs (None: not a lab choice here, so
        the criterion's own cost). A platform-only line is a lab choice on its platform only:
        on a target whose daemons refuse it, it is a mistake."""
        if rule not in self.lab_choices:
            return None
        if rule in PLATFORM_ONLY and self.platform not in PLATFORM_ONLY[rule]:
            return None
        return self.lab_choices[rule]


def load_rubric(path: Path | None = None) -> Rubric:
    where = path or DEFAULT_RUBRIC
    try:
        data = tomllib.loads(where.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LabFileError(
            Msg("cannot read the rubric {where}: {strerror}", where=where, strerror=exc.strerror)
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise LabFileError(
            Msg("the rubric {where} is not valid TOML: {exc}", where=where, exc=exc)
        ) from None
    return parse_rubric(data, str(where))


def parse_rubric(data: dict[str, Any], source: str) -> Rubric:
    def fail(message: str) -> LabFileError:
        return LabFileError(Msg("rubric {source}: {message}", source=source, message=message))

    known_keys = (
        "total",
        "criterion",
        "platform",
        "other_plan",
        "log_share",
        "lab_choices",
        "notes",
    )
    unknown = set(data) - set(known_keys)
    if unknown:
        raise fail(
            Msg(
                "unknown key(s) {join} (known: {join2})",
                join=", ".join(sorted(unknown)),
                join2=", ".join(known_keys),
            )
        )
    total = data.get("total", 20)
    if not isinstance(total, int | float) or isinstance(total, bool) or total <= 0:
        raise fail(Msg("'total' must be a positive number"))
    platform = data.get("platform", "centos7")
    if platform not in PLATFORMS:
        raise fail(Msg("'platform' must be one of {join}", join=", ".join(PLATFORMS)))
    other_plan = number(data.get("other_plan", 1.0), "other_plan", fail)
    log_share = number(data.get("log_share", 0.8), "log_share", fail)
    if log_share > 1:
        raise fail(Msg("'log_share' must be from 0 to 1"))
    choices, lab_choices, notes = _choices_and_notes(data, fail)
    raw = data.get("criterion", [])
    if not isinstance(raw, list) or not raw:
        raise fail(Msg("no [[criterion]]"))
    seen: set[str] = set()
    criteria = [read_criterion(item, index, seen, fail) for index, item in enumerate(raw, 1)]
    known_codes(
        [
            *((r, f"criterion {c.id}") for c in criteria for r in (*c.rules, *c.costs)),
            *((r, "lab_choices") for r in choices),
            *((r, "notes") for r in notes),
        ],
        fail,
    )
    return Rubric(
        float(total),
        tuple(criteria),
        source,
        platform,
        other_plan,
        log_share,
        lab_choices,
        tuple(notes),
    )


def _choices_and_notes(
    data: dict[str, Any], fail: Callable[[str], LabFileError]
) -> tuple[dict[str, Any], dict[str, float], list[str]]:
    """The rubric's own lab choices (as written, and merged over labtool's) and its notes."""
    choices = data.get("lab_choices", {})
    if not isinstance(choices, dict):
        raise fail(Msg("'lab_choices' must be a table of rule = points"))
    lab_choices = dict(LAB_CHOICES)
    for rule, points in choices.items():
        lab_choices[rule] = number(points, f"lab_choices.{rule}", fail)
    notes = data.get("notes", [])
    if not isinstance(notes, list) or not all(isinstance(r, str) for r in notes):
        raise fail(Msg("'notes' must be a list of rule codes"))
    return choices, lab_choices, notes
