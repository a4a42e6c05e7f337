"""A rubric's criterion: what it grades (its kind), its points, and how it is read from the
rubric file, each mistake one message naming the criterion."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from labtool.errors import LabFileError
from labtool.grading.glossary import in_all_languages
from labtool.i18n import LANGS, Msg

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


def read_criterion(
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
    costs = {rule: number(v, f"criterion {cid}: costs.{rule}", fail) for rule, v in costs.items()}
    return Criterion(
        cid,
        dict(title),
        kind,
        float(points),
        tuple(rules),
        float(per) if per is not None else None,
        item.get("row"),
        item.get("question"),
        tuple(in_all_languages(tuple(g)) for g in ideas),
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


def number(value: object, what: str, fail: Callable[[str], LabFileError]) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise fail(Msg("'{what}' must be a number, 0 or more", what=what))
    return float(value)


def known_codes(named: list[tuple[str, str]], fail: Callable[[str], LabFileError]) -> None:
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
