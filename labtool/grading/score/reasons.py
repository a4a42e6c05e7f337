"""Why points are lost: the plan's, lint's, the answer sheet's rows and answers, and the scenarios'
(grade --live) reasons, each a Lost with its evidence."""

from __future__ import annotations

from labtool.configs.common import Finding
from labtool.grading.score.model import ROW_NAMES, LiveResults, Lost, T
from labtool.grading.score.rubric import Criterion, Rubric
from labtool.grading.submission.plan_base import Plan
from labtool.grading.submission.sheet_base import Row, Sheet, durations_s, has_idea
from labtool.i18n import translation
from labtool.spec.model import LabSpec


def plan_notes(plan: Plan, spec: LabSpec, lang: str) -> list[Lost]:
    t = T[lang]
    notes = []
    if plan.nic and plan.nic != spec.nic and not plan.real_nics() - {plan.nic}:
        notes.append(
            Lost("plan", "info", t["other_nic"].format(nic=plan.nic, lab_nic=spec.nic), 0.0)
        )
    if plan.shared:
        notes.append(Lost("plan", "info", t["shared"], 0.0))
    notes += [
        Lost("plan", "info", t["fragment"].format(file=f), 0.0, f) for f in sorted(plan.fragments)
    ]
    return notes


def other_plan(plan: Plan, spec: LabSpec, rubric: Rubric, lang: str) -> list[Lost]:
    if plan.is_labs(spec):
        return []
    webs = ", ".join(a for _, a in plan.servers) or "?"
    lab_webs = ", ".join(str(n.address) for n in spec.by_role("web"))
    message = T[lang]["other_plan"].format(
        vip=plan.vip or "?", webs=webs, lab_vip=spec.vip, lab_webs=lab_webs
    )
    return [Lost("plan", "warning", message, rubric.other_plan)]


def lint_reasons(
    criterion: Criterion, mistakes: list[tuple[Finding, list[str]]], rubric: Rubric, lang: str
) -> list[Lost]:
    """`mistakes`: the findings, one per mistake (_once)."""
    t = T[lang]
    cost = criterion.per_finding or criterion.points
    reasons = []
    for finding, also in mistakes:
        if finding.rule not in criterion.rules:
            continue
        message = f"{finding.rule}: {finding.message}"
        if also:
            message += f" ({t['also'].format(where=', '.join(also))})"
        if finding.severity not in ("error", "warning"):  # a note: what it means, no points
            reasons.append(
                Lost(
                    criterion.id,
                    "info",
                    translation(lang)("{message}: {why}").format(
                        message=message, why=finding.explanation
                    )
                    if finding.explanation
                    else message,
                    0.0,
                    finding.file,
                    finding.line,
                    finding.fix,
                )
            )
            continue
        lab_cost = rubric.lab_choice_cost(finding.rule)
        if lab_cost is not None:
            why = finding.explanation or ""
            reasons.append(
                Lost(
                    criterion.id,
                    "info" if lab_cost == 0 else finding.severity,
                    t["lab_choice"].format(message=message, why=why),
                    lab_cost,
                    finding.file,
                    finding.line,
                    finding.fix,
                )
            )
            continue
        reasons.append(
            Lost(
                criterion.id,
                finding.severity,
                message,
                criterion.costs.get(finding.rule, cost),
                finding.file,
                finding.line,
                finding.fix,
            )
        )
    return reasons


def _ideas(criterion: Criterion, plan: Plan) -> list[tuple[str, ...]]:
    """The criterion's ideas, with the submission's own names beside the lab's."""
    own = {
        "haproxy1": plan.lbs[:1],
        "haproxy2": plan.lbs[1:2],
        "web1": plan.webs[:1],
        "web2": plan.webs[1:2],
        "10.0.0.10": [plan.vip] if plan.vip else [],
    }
    return [
        tuple(dict.fromkeys([*group, *[n for w in group for n in own.get(w, [])]]))
        for group in criterion.ideas
    ]


def row_reasons(
    criterion: Criterion,
    sheet: Sheet | None,
    theory: dict[str, float] | None,
    live: LiveResults | None,
    lang: str,
    plan: Plan,
    rubric: Rubric,
) -> list[Lost]:
    t, kind = T[lang], criterion.row or "web"
    row_name = ROW_NAMES[lang][kind]
    if sheet is None:
        return [Lost(criterion.id, "error", t["missing_report"], criterion.points, "report.md")]
    row = sheet.rows.get(kind)
    if row is None:
        return [
            Lost(
                criterion.id,
                "error",
                t["no_row"].format(row=row_name),
                criterion.points,
                "report.md",
            )
        ]
    reasons = []
    if row.source != "table":
        reasons.append(
            Lost(
                criterion.id,
                "warning",
                t["from_log"].format(row=row_name, source=t[f"source.{row.source}"]),
                round((1 - rubric.log_share) * criterion.points, 2),
                plan.report or "report.md",
                row.line,
            )
        )
    for cell, text in (
        ((t["observed"], row.observed),)
        if row.source == "prose"
        else ((t["expected"], row.expected), (t["observed"], row.observed))
    ):
        if len(text.strip(" -?.")) < 3:
            reasons.append(
                Lost(
                    criterion.id,
                    "error",
                    t["empty"].format(cell=cell, row=row_name),
                    0.2 * criterion.points,
                    plan.report or "report.md",
                    row.line,
                )
            )
    reasons += _row_content(criterion, row, _window(kind, theory, live), lang, plan)
    return reasons


def _row_content(
    criterion: Criterion,
    row: Row,
    window: tuple[tuple[float, float], tuple[float, float]] | None,
    lang: str,
    plan: Plan,
) -> list[Lost]:
    """The row's key ideas, and a duration written in it against what the configs (or the
    live measure) allow."""
    t, kind, reasons = T[lang], criterion.row or "web", []
    both = row.expected + " " + row.observed
    for group in _ideas(criterion, plan):
        if not has_idea(both, group):
            reasons.append(
                Lost(
                    criterion.id,
                    "warning",
                    t["idea"].format(idea=" / ".join(group[:3])),
                    0.6 * criterion.points / max(1, len(criterion.ideas)),
                    plan.report or "report.md",
                    row.line,
                )
            )
    said = durations_s(row.observed)
    if said and window is not None and not window[1][0] <= max(said) <= window[1][1]:
        why = t[f"why.{kind}"].format(low=window[0][0], high=window[0][1])
        reasons.append(
            Lost(
                criterion.id,
                "warning",
                t["duration"].format(said=max(said), why=why),
                0.2 * criterion.points,
                plan.report or "report.md",
                row.line,
            )
        )
    return reasons


def _window(
    kind: str, theory: dict[str, float] | None, live: LiveResults | None
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """What the configs predict (shown to the student), and the range accepted around it (or
    around the live measure)."""
    if theory is None:
        return None
    if kind == "haproxy":
        said = theory["vrrp_master_down_min_s"], theory["vrrp_master_down_s"]
        low, high = said[0] - 1, said[1] + 3
        measured = (live or {}).get("lose-haproxy1", {}).get("metrics", {}).get("outage_s")
    else:
        said = theory["haproxy_detect_min_s"], theory["haproxy_detect_max_s"]
        low, high = 0.0, said[1] + 5
        detect = (live or {}).get("lose-web1", {}).get("metrics", {}).get("haproxy_detect_s")
        measured = max(detect.values()) if detect else None
    if isinstance(measured, int | float):
        low, high = min(low, measured * 0.5), max(high, measured * 1.5 + 1)
    return (round(said[0], 2), round(said[1], 2)), (round(max(0.0, low), 2), round(high, 2))


def answer_reasons(criterion: Criterion, sheet: Sheet | None, lang: str, plan: Plan) -> list[Lost]:
    t = T[lang]
    if sheet is None:
        return [Lost(criterion.id, "error", t["missing_report"], criterion.points, "report.md")]
    number = criterion.question or 1
    found = sheet.answers.get(number)
    if found is None or len(found[0].strip()) < 2:
        return [
            Lost(
                criterion.id,
                "error",
                t["no_answer"].format(q=number),
                criterion.points,
                plan.report or "report.md",
                found[1] if found else None,
            )
        ]
    text, line = found
    share = criterion.points / len(criterion.ideas)
    return [
        Lost(
            criterion.id,
            "warning",
            t["idea"].format(idea=" / ".join(group[:3])),
            share,
            plan.report or "report.md",
            line,
        )
        for group in _ideas(criterion, plan)
        if not has_idea(text, group)
    ]


def scenario_reasons(criterion: Criterion, live: LiveResults, lang: str) -> list[Lost]:
    t = T[lang]
    name = criterion.scenario or ""
    result = live.get(name)
    if result is None:
        return [Lost(criterion.id, "error", t["not_run"].format(name=name), criterion.points)]
    if result.get("verdict") == "pass":
        return []
    failed = (
        [
            f"{c['fact']} = {c['observed']} ({c['expected']})"
            for c in result.get("checks", [])
            if not c.get("ok")
        ]
        or result.get("notes", [])
        or ["?"]
    )
    return [
        Lost(
            criterion.id,
            "error",
            t["failed"].format(name=name, checks="; ".join(map(str, failed))),
            criterion.points,
        )
    ]
