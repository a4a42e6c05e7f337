"""The points rubric (TOML): criteria, their points and how each is judged. A default ships
(default_rubric.toml, 20 points); a broken rubric file is one clear error."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labtool.errors import LabFileError
from labtool.i18n import LANGS, Msg

DEFAULT_RUBRIC = Path(__file__).with_name("default_rubric.toml")
KINDS = ("lint", "row", "answer", "scenario", "behaviour")
# what `labtool grade --run` observes, one criterion each (grading/run/behaviour.py)
BEHAVIOURS = (
    "vip_answers",
    "load_balancing",
    "lose_web1",
    "lose_haproxy1",
    "track_haproxy",
    "no_split_brain",
    "failback",
)
PLATFORMS = ("centos7", "el9", "debian12")
CRITERION_KEYS = frozenset(
    (
        "id",
        "title",
        "kind",
        "points",
        "rules",
        "per_finding",
        "row",
        "question",
        "ideas",
        "scenario",
        "costs",
        "behaviour",
    )
)
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


@dataclass(frozen=True, eq=False)
class Criterion:
    id: str
    title: dict[str, str]
    kind: str
    points: float
    rules: tuple[str, ...] = ()
    per_finding: float | None = None
    row: str | None = None
    question: int | None = None
    ideas: tuple[tuple[str, ...], ...] = ()
    scenario: str | None = None
    costs: dict[str, float] = field(default_factory=dict)  # rule -> points, beside per_finding
    behaviour: str | None = None  # kind behaviour: what is observed (BEHAVIOURS)

    def name(self, lang: str) -> str:
        return self.title.get(lang) or self.title.get("en") or self.id


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
    other_plan = _number(data.get("other_plan", 1.0), "other_plan", fail)
    log_share = _number(data.get("log_share", 0.8), "log_share", fail)
    if log_share > 1:
        raise fail(Msg("'log_share' must be from 0 to 1"))
    choices = data.get("lab_choices", {})
    if not isinstance(choices, dict):
        raise fail(Msg("'lab_choices' must be a table of rule = points"))
    lab_choices = dict(LAB_CHOICES)
    for rule, points in choices.items():
        lab_choices[rule] = _number(points, f"lab_choices.{rule}", fail)
    notes = data.get("notes", [])
    if not isinstance(notes, list) or not all(isinstance(r, str) for r in notes):
        raise fail(Msg("'notes' must be a list of rule codes"))
    raw = data.get("criterion", [])
    if not isinstance(raw, list) or not raw:
        raise fail(Msg("no [[criterion]]"))
    seen: set[str] = set()
    criteria = [_criterion(item, index, seen, fail) for index, item in enumerate(raw, 1)]
    _known_codes(
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


def _known_codes(named: list[tuple[str, str]], fail: Callable[[str], LabFileError]) -> None:
    """Every rule code a rubric names is one lint has (a typo would grade nothing)."""
    from labtool.grading.lint import RULES

    for code, where in named:
        if code not in RULES:
            close = [c for c in RULES if c.split("-")[0] == code.split("-")[0]]
            raise fail(
                Msg(
                    "{where} names the rule '{code}', which lint does not have. Fix: one of {join}",
                    where=where,
                    code=code,
                    join=", ".join(sorted(close or RULES)),
                )
            )


def _criterion(
    item: object, index: int, seen: set[str], fail: Callable[[str], LabFileError]
) -> Criterion:
    if not isinstance(item, dict):
        raise fail(Msg("criterion {index} is not a table", index=index))
    if extra := set(item) - CRITERION_KEYS:
        raise fail(
            Msg(
                "criterion {index}: unknown key(s) {join}",
                index=index,
                join=", ".join(sorted(extra)),
            )
        )
    cid = item.get("id")
    if not isinstance(cid, str) or not cid or cid in seen:
        raise fail(Msg("criterion {index}: 'id' must be a unique, non-empty string", index=index))
    seen.add(cid)
    kind = item.get("kind")
    if kind not in KINDS:
        raise fail(
            Msg("criterion {cid}: 'kind' must be one of {join}", cid=cid, join=", ".join(KINDS))
        )
    points = item.get("points")
    if not isinstance(points, int | float) or isinstance(points, bool) or points <= 0:
        raise fail(Msg("criterion {cid}: 'points' must be a positive number", cid=cid))
    title = item.get("title", {})
    if isinstance(title, str):
        title = dict.fromkeys(LANGS, title)  # (one title for every language)
    if not isinstance(title, dict) or not all(isinstance(v, str) for v in title.values()):
        raise fail(
            Msg("criterion {cid}: 'title' must be a string or {{ fr = ..., en = ... }}", cid=cid)
        )
    rules = item.get("rules", [])
    ideas = item.get("ideas", [])
    if not isinstance(rules, list) or not all(isinstance(r, str) for r in rules):
        raise fail(Msg("criterion {cid}: 'rules' must be a list of rule ids", cid=cid))
    if not isinstance(ideas, list) or not all(
        isinstance(g, list) and g and all(isinstance(w, str) for w in g) for g in ideas
    ):
        raise fail(Msg("criterion {cid}: 'ideas' must be a list of lists of words", cid=cid))
    per = item.get("per_finding")
    if per is not None and (not isinstance(per, int | float) or per <= 0):
        raise fail(Msg("criterion {cid}: 'per_finding' must be a positive number", cid=cid))
    _by_kind(cid, kind, item, fail)
    costs = item.get("costs", {})
    if not isinstance(costs, dict):
        raise fail(Msg("criterion {cid}: 'costs' must be a table of rule = points", cid=cid))
    costs = {rule: _number(v, f"criterion {cid}: costs.{rule}", fail) for rule, v in costs.items()}
    return Criterion(
        cid,
        dict(title),
        kind,
        float(points),
        tuple(rules),
        float(per) if per is not None else None,
        item.get("row"),
        item.get("question"),
        tuple(tuple(g) for g in ideas),
        item.get("scenario"),
        costs,
        item.get("behaviour"),
    )


def _by_kind(
    cid: str, kind: str, item: dict[str, Any], fail: Callable[[str], LabFileError]
) -> None:
    """What each kind of criterion needs."""
    rules, ideas = item.get("rules", []), item.get("ideas", [])
    if kind == "lint" and not rules:
        raise fail(Msg("criterion {cid}: a lint criterion needs 'rules'", cid=cid))
    if kind == "row" and item.get("row") not in ("web", "haproxy"):
        raise fail(Msg('criterion {cid}: \'row\' must be "web" or "haproxy"', cid=cid))
    if kind == "answer" and item.get("question") not in (1, 2, 3):
        raise fail(Msg("criterion {cid}: 'question' must be 1, 2 or 3", cid=cid))
    if kind == "answer" and not ideas:
        raise fail(Msg("criterion {cid}: an answer criterion needs 'ideas'", cid=cid))
    if kind == "scenario" and not isinstance(item.get("scenario"), str):
        raise fail(Msg("criterion {cid}: 'scenario' must name a scenario", cid=cid))
    if kind == "behaviour" and "scenario" in item:
        from labtool.scenarios.model import list_scenarios

        if item["scenario"] not in list_scenarios() or "behaviour" in item:
            raise fail(
                Msg(
                    "criterion {cid}: 'scenario' must name one scenario of scenarios/ "
                    "({join}), instead of 'behaviour'",
                    cid=cid,
                    join=", ".join(list_scenarios()),
                )
            )
    elif kind == "behaviour" and item.get("behaviour") not in BEHAVIOURS:
        raise fail(
            Msg(
                "criterion {cid}: 'behaviour' must be one of {join} (or 'scenario' "
                "name a scenario of scenarios/)",
                cid=cid,
                join=", ".join(BEHAVIOURS),
            )
        )


def _number(value: object, what: str, fail: Callable[[str], LabFileError]) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise fail(Msg("'{what}' must be a number, 0 or more", what=what))
    return float(value)
