"""Grading: one submission against the rubric (points per criterion, with reasons and the
feedback text to hand back), and a class of them (CSV row per student, Markdown summary).

Only labtool's own parsers read a submission; nothing in it is run."""

from __future__ import annotations

import csv
import io
import json
import os
import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from labtool.configs.common import Finding
from labtool.facts.theory import theory_from_configs
from labtool.grading import french
from labtool.grading.configset import ConfigSet
from labtool.grading.lint import lint
from labtool.grading.lint_base import Target
from labtool.grading.plan import Plan, read_submission
from labtool.grading.rubric import Criterion, Rubric
from labtool.grading.sheet import Sheet, durations_s, has_idea, read_sheet
from labtool.grading.submission import Submission
from labtool.spec import LabSpec

T = {
    "fr": {
        "grade": "Note",
        "missing_report": "report.md est absent",
        "empty": "la case « {cell} » de la ligne « {row} » est vide",
        "idea": "il manque l'idée « {idea} »",
        "no_row": "la ligne « {row} » du tableau est absente de report.md",
        "no_answer": "pas de réponse à la question {q}",
        "duration": "la case « obtenu » indique {said:g} s, mais {why}",
        "why.haproxy": "avec ces configurations la VIP bascule en {low:g} à {high:g} s",
        "why.web": "avec ces configurations HAProxy écarte le serveur en {low:g} à {high:g} s",
        "not_run": "le scénario {name} n'a pas été lancé",
        "failed": "le scénario {name} échoue : {checks}",
        "refused": "soumission refusée : {why}",
        "fix": "Correction",
        "expected": "attendu",
        "observed": "obtenu",
        "notes": "Remarques",
        "summary": "Notes de la classe",
        "students": "étudiants",
        "mean": "moyenne",
        "median": "médiane",
        "common": "Erreurs les plus fréquentes",
        "lab_choice": "{message} : c'est le choix du TP ; {why}",
        "also": "aussi {where}",
        "other_plan": "votre plan d'adressage n'est pas celui du TP (VIP {vip}, serveurs web "
        "{webs} ; le TP : VIP {lab_vip}, {lab_webs}) : la correction suit le vôtre",
        "other_nic": "interface {nic}, pas l'interface du TP ({lab_nic}) : juste si c'est "
        "celle de vos machines (ip a)",
        "from_log": "le tableau du TP n'est pas utilisé : la ligne « {row} » est lue dans {source}",
        "source.log": "votre PV de tests",
        "source.prose": "votre texte",
        "shared": "un même fichier pour les deux load balancers : une erreur n'y compte "
        "qu'une fois",
        "fragment": "{file} : seule la partie modifiée de haproxy.cfg ; le "
        "reste est supposé être celui d'origine",
    },
    "en": {
        "grade": "Grade",
        "missing_report": "report.md is missing",
        "empty": "the '{cell}' cell of the '{row}' row is empty",
        "idea": "the idea '{idea}' is missing",
        "no_row": "the '{row}' row of the table is not in report.md",
        "no_answer": "no answer to question {q}",
        "duration": "the 'observed' cell says {said:g} s, but {why}",
        "why.haproxy": "with these configs the VIP moves after {low:g} to {high:g} s",
        "why.web": "with these configs HAProxy drops the server after {low:g} to {high:g} s",
        "not_run": "the scenario {name} was not run",
        "failed": "the scenario {name} fails: {checks}",
        "refused": "submission refused: {why}",
        "fix": "Fix",
        "expected": "expected",
        "observed": "observed",
        "notes": "Notes",
        "summary": "Class grades",
        "students": "students",
        "mean": "mean",
        "median": "median",
        "common": "Most frequent mistakes",
        "lab_choice": "{message}: the lab's own choice; {why}",
        "also": "also {where}",
        "other_plan": "your address plan is not the lab's (VIP {vip}, web servers {webs}; "
        "the lab's: VIP {lab_vip}, {lab_webs}): yours is what is graded",
        "other_nic": "interface {nic}, not the lab's ({lab_nic}): right if it is your "
        "machines' NIC (ip a)",
        "from_log": "the lab's table is not used: the '{row}' row is read from {source}",
        "source.log": "your test log",
        "source.prose": "your text",
        "shared": "one file for both load balancers: a mistake in it counts once",
        "fragment": "{file}: only the edited part of haproxy.cfg; the rest is taken to be "
        "the default",
    },
}
ROW_NAMES = {
    "fr": {"web": "Perte du premier noeud WEB", "haproxy": "Perte du premier noeud HAPROXY"},
    "en": {"web": "Loss of the first WEB node", "haproxy": "Loss of the first HAPROXY node"},
}


@dataclass
class Lost:
    """A reason for lost points, in the shape of `--format json`'s findings."""

    criterion: str
    severity: str
    message: str
    points_lost: float
    file: str | None = None
    line: int | None = None
    fix: str = ""


@dataclass
class CriterionScore:
    id: str
    title: str
    points: float
    max: float
    reasons: list[Lost] = field(default_factory=list)


@dataclass
class Grade:
    submission: str
    score: float
    max: float
    grade: float  # score scaled to the rubric's total
    total: float
    criteria: list[CriterionScore] = field(default_factory=list)
    notes: list[Lost] = field(default_factory=list)  # no points lost: skipped files, infos
    error: str | None = None

    @property
    def findings(self) -> list[Lost]:
        return [r for c in self.criteria for r in c.reasons] + self.notes

    def as_json(self) -> dict[str, Any]:
        return {
            "submission": self.submission,
            "score": self.score,
            "max": self.max,
            "grade": self.grade,
            "total": self.total,
            "error": self.error,
            "criteria": [
                {"id": c.id, "title": c.title, "points": c.points, "max": c.max}
                for c in self.criteria
            ],
            "findings": [asdict(f) for f in self.findings],
        }


# scenario name -> a scenario result's JSON (labtool scenario --json)
LiveResults = dict[str, dict[str, Any]]


def grade_submission(
    submission: Submission,
    spec: LabSpec,
    rubric: Rubric,
    lang: str = "fr",
    live: LiveResults | None = None,
    daemons: bool = False,
) -> Grade:
    criteria = rubric.applicable(live is not None)
    top = sum(c.points for c in criteria)
    if submission.root is None:
        reason = Lost(
            "submission",
            "error",
            T[lang]["refused"].format(why=submission.error or "?"),
            top,
            str(submission.source),
        )
        scores = [CriterionScore(c.id, c.name(lang), 0.0, c.points) for c in criteria]
        return Grade(
            submission.name, 0.0, top, 0.0, rubric.total, scores, [reason], submission.error
        )
    configs, plan = read_submission(submission.root, spec)
    findings = lint(configs, spec, plan_target(plan, spec))
    if daemons:
        findings += _daemons(configs, plan, rubric, findings)
    if lang == "fr":
        findings = [french.finding(f) for f in findings]
    report = _read_report(submission.root, plan.report)
    sheet = read_sheet(report, *_firsts(plan, spec)) if report is not None else None
    theory = _theory(configs, plan, spec)
    mistakes = _once(findings)  # one per mistake, for every lint criterion and the notes
    scores = []
    choices: list[Lost] = []  # what the lab prescribes and costs nothing: notes
    for criterion in criteria:
        if criterion.kind == "lint":
            reasons = _lint_reasons(criterion, mistakes, rubric, lang)
        elif criterion.kind == "row":
            reasons = _row_reasons(criterion, sheet, theory, live, lang, plan, rubric)
        elif criterion.kind == "answer":
            reasons = _answer_reasons(criterion, sheet, lang, plan)
        else:
            reasons = _scenario_reasons(criterion, live or {}, lang)
        lost = 0.0
        for reason in reasons:  # the last reasons may find fewer points left to lose
            reason.points_lost = round(min(reason.points_lost, criterion.points - lost), 2)
            lost += reason.points_lost
        scores.append(
            CriterionScore(
                criterion.id,
                criterion.name(lang),
                round(criterion.points - lost, 2),
                criterion.points,
                [r for r in reasons if r.severity != "info"],
            )
        )
        choices += [r for r in reasons if r.severity == "info"]
    notes = [
        Lost("submission", f.severity, f.message, 0.0, f.file, f.line) for f in submission.notes
    ] + choices
    notes += _plan_notes(plan, spec, lang)
    graded = {rule for c in criteria if c.kind == "lint" for rule in c.rules}
    notes += [
        Lost("lint", f.severity, f.message, 0.0, f.file, f.line, f.fix)
        for f, _ in mistakes
        if f.rule not in graded and f.severity != "info"
    ]
    penalty = _other_plan(plan, spec, rubric, lang)
    score = round(max(0.0, sum(s.points for s in scores) - sum(p.points_lost for p in penalty)), 2)
    notes = penalty + notes
    return Grade(
        submission.name,
        score,
        top,
        round(score / top * rubric.total, 2) if top else 0,
        rubric.total,
        scores,
        notes,
    )


def _daemons(
    configs: ConfigSet, plan: Plan, rubric: Rubric, static: list[Finding]
) -> list[Finding]:
    """The daemons' own verdict (haproxy -c, keepalived -t), where it adds to the rules':
    a line a rule already explains is not charged twice; the daemons' warnings are notes."""
    from labtool.grading.daemons import grade_checks

    explained = {(f.file, f.line) for f in static if f.severity in ("error", "warning")}
    found = []
    for finding in grade_checks(
        configs, plan.nic or "eth1", rubric.platform, frozenset(plan.fragments)
    ):
        if finding.line is not None and (finding.file, finding.line) in explained:
            continue
        found.append(
            replace(finding, severity="info") if finding.severity == "warning" else finding
        )
    return found


def plan_target(plan: Plan, spec: LabSpec) -> Target:
    """The submission's own plan, as lint checks it."""
    lab = Target.of_spec(spec)
    lb_names = [n.name for n in spec.by_role("lb")]
    addresses = {lb: plan.addresses[lb] for lb in plan.lbs if lb in plan.addresses}
    if plan.is_labs(spec):
        addresses = {
            lb: lab.lb_addresses[lb_names[i]] for i, lb in enumerate(plan.lbs) if i < len(lb_names)
        } | addresses
    # no VIP or NIC to match: the submission's own are graded (the same on both, in the
    # load balancers' network); not using the lab's plan is one deduction (_other_plan)
    return Target(
        None,
        None,
        plan.web_addresses(spec),
        plan.web_count(spec),
        addresses,
        frozenset(plan.fragments),
        plan.real_nics(),
    )


def _firsts(plan: Plan, spec: LabSpec) -> tuple[str, str]:
    web = plan.webs[0] if plan.webs else spec.by_role("web")[0].name
    lb = plan.lbs[0] if plan.lbs else spec.by_role("lb")[0].name
    return web, lb


def _plan_notes(plan: Plan, spec: LabSpec, lang: str) -> list[Lost]:
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


def _other_plan(plan: Plan, spec: LabSpec, rubric: Rubric, lang: str) -> list[Lost]:
    if plan.is_labs(spec):
        return []
    webs = ", ".join(a for _, a in plan.servers) or "?"
    lab_webs = ", ".join(str(n.address) for n in spec.by_role("web"))
    message = T[lang]["other_plan"].format(
        vip=plan.vip or "?", webs=webs, lab_vip=spec.vip, lab_webs=lab_webs
    )
    return [Lost("plan", "warning", message, rubric.other_plan)]


def _read_report(root: Path, name: str | None) -> str | None:
    if name is None:
        return None
    path = root / name
    if path.is_symlink() or not path.is_file():
        return None
    with path.open("rb") as handle:
        return handle.read(1 << 20).decode("utf-8", "replace")


def _theory(configs: ConfigSet, plan: Plan, spec: LabSpec) -> dict[str, float] | None:
    if not configs.haproxy:
        return None

    def text(node: str, kind: str) -> str:
        return configs.text_of(node, kind).decode("utf-8", "replace")

    lab_lbs = [n.name for n in spec.lb_start_order()]
    keepalived = {
        lab_lbs[i]: text(lb, "keepalived")
        for i, lb in enumerate(plan.lbs)
        if i < len(lab_lbs) and lb in configs.keepalived
    }
    haproxy = text(next(iter(configs.haproxy)), "haproxy")
    try:
        return theory_from_configs(spec, keepalived, haproxy).values()
    except (ValueError, KeyError, IndexError):
        return None


def _once(findings: list[Finding]) -> list[tuple[Finding, list[str]]]:
    """One finding per mistake: the same rule and message from both load balancers' files
    (or from the one text they share) is one mistake, with the other places it is seen."""
    groups: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        groups.setdefault((finding.rule, finding.message), []).append(finding)
    return [
        (
            group[0],
            list(dict.fromkeys(f.where() for f in group[1:] if f.where() != group[0].where())),
        )
        for group in groups.values()
    ]


def _lint_reasons(
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
                    message
                    + (f" : {finding.explanation}" if lang == "fr" else f": {finding.explanation}")
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


def _row_reasons(
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
    window = _window(kind, theory, live)
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


def _answer_reasons(criterion: Criterion, sheet: Sheet | None, lang: str, plan: Plan) -> list[Lost]:
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


def _scenario_reasons(criterion: Criterion, live: LiveResults, lang: str) -> list[Lost]:
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


# --- output --------------------------------------------------------------------------------


def feedback(grade: Grade, lang: str = "fr") -> str:
    """The text to hand back to the student, Markdown."""
    t = T[lang]
    lines = [
        f"# {t['grade']} : {grade.submission} : {grade.grade:g}/{grade.total:g}"
        if lang == "fr"
        else f"# {t['grade']}: {grade.submission}: {grade.grade:g}/{grade.total:g}",
        "",
    ]
    if grade.error:
        lines += [t["refused"].format(why=grade.error), ""]
    for score in grade.criteria:
        mark = "✔" if score.points == score.max else "✘"
        lines.append(
            f"- {mark} {score.title} : {score.points:g}/{score.max:g}"
            if lang == "fr"
            else f"- {mark} {score.title}: {score.points:g}/{score.max:g}"
        )
        for reason in score.reasons:
            where = (
                f"{reason.file}:{reason.line} "
                if reason.file and reason.line
                else f"{reason.file} "
                if reason.file
                else ""
            )
            lines.append(f"  - {where}{reason.message} (-{reason.points_lost:g})")
            if reason.fix:
                lines.append(
                    f"    {t['fix']} : {reason.fix}"
                    if lang == "fr"
                    else f"    {t['fix']}: {reason.fix}"
                )
    if grade.notes:
        lines += ["", f"## {t['notes']}", ""]
        lines += [
            f"- {n.file + ': ' if n.file else ''}{n.message}"
            f"{f' (-{n.points_lost:g})' if n.points_lost else ''}"
            for n in grade.notes
        ]
    return "\n".join(lines) + "\n"


def to_csv(grades: Iterable[Grade]) -> str:
    grades = list(grades)
    ids = list(dict.fromkeys(c.id for g in grades for c in g.criteria))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["submission", "score", "max", "grade", "total", *ids, "error"])
    for grade in grades:
        points = {c.id: c.points for c in grade.criteria}
        writer.writerow(
            [
                _safe_cell(grade.submission),
                grade.score,
                grade.max,
                grade.grade,
                grade.total,
                *[points.get(i, "") for i in ids],
                _safe_cell(grade.error or ""),
            ]
        )
    return out.getvalue()


def _safe_cell(text: str) -> str:
    """A spreadsheet runs a cell starting with = + - @ as a formula: not a student's text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def summary(grades: list[Grade], lang: str = "fr") -> str:
    t = T[lang]
    marks = [g.grade for g in grades]
    lines = [f"# {t['summary']}", ""]
    if marks:
        lines += [
            f"{len(marks)} {t['students']} ; {t['mean']} {statistics.mean(marks):.2f}, "
            f"{t['median']} {statistics.median(marks):.2f}, min {min(marks):g}, "
            f"max {max(marks):g} (/{grades[0].total:g})",
            "",
        ]
    lines += [
        "| submission | score | /20 |"
        if grades and grades[0].total == 20
        else "| submission | score | grade |",
        "| --- | --- | --- |",
    ]
    lines += [
        f"| {g.submission.replace('|', '/')} | {g.score:g}/{g.max:g} | {g.grade:g}"
        f"{' (' + (g.error or '')[:60].replace('|', '/') + ')' if g.error else ''} |"
        for g in grades
    ]
    common: Counter[str] = Counter()  # students per mistake (a student's repeats count once)
    for g in grades:
        common.update(
            {
                r.message.split(":", 1)[0]
                if r.message[:3] in ("KA-", "HA-", "WEB")
                else r.criterion
                for c in g.criteria
                for r in c.reasons
                if r.points_lost > 0
            }
        )
    if common:
        lines += ["", f"## {t['common']}", ""]
        lines += [f"- {name}: {count} {t['students']}" for name, count in common.most_common(10)]
    return "\n".join(lines) + "\n"


# --- grades where instructors keep them ----------------------------------------------------

ROSTER_IDS = (
    "email",
    "e-mail",
    "mail",
    "student_id",
    "id",
    "sis_user_id",
    "login",
    "username",
    "id number",
    "idnumber",
)


@dataclass
class Student:
    identifier: str  # email or student id, as the roster gives it
    name: str = ""
    section: str = ""


def read_roster(path: Path) -> dict[str, Student]:
    """A class roster (CSV with a header): `submission` (the folder or archive name, as
    `labtool grade` names it), then an email or student id, optionally name and section."""
    from labtool.errors import LabFileError

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise LabFileError(f"cannot read the roster {path}: {exc}") from None
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else ",", ",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.DictReader(io.StringIO(text), dialect=dialect))
    fields = {f.strip().lower(): f for f in (rows[0].keys() if rows else [])}
    key = fields.get("submission") or fields.get("folder") or fields.get("archive")
    ident = next((fields[f] for f in ROSTER_IDS if f in fields), None)
    if key is None or ident is None:
        raise LabFileError(
            f"the roster {path} needs a header with 'submission' and one of "
            f"{', '.join(ROSTER_IDS[:4])} (found: "
            f"{', '.join(fields) or 'nothing'})"
        )
    name = fields.get("name") or fields.get("student")
    section = fields.get("section") or fields.get("group")
    roster = {}
    for row in rows:
        if (row.get(key) or "").strip():
            roster[row[key].strip()] = Student(
                (row.get(ident) or "").strip(),
                (row.get(name) or "").strip() if name else "",
                (row.get(section) or "").strip() if section else "",
            )
    return roster


def _student(grade: Grade, roster: dict[str, Student]) -> Student:
    return roster.get(grade.submission) or Student(grade.submission)


def unmatched(grades: list[Grade], roster: dict[str, Student]) -> list[str]:
    """Submissions the roster does not name (their identifier is the submission's name)."""
    return [g.submission for g in grades if g.submission not in roster]


def to_moodle(grades: list[Grade], roster: dict[str, Student], lang: str) -> str:
    """Moodle's grade import (Grades > Import > CSV file): an identifier column (map it to
    'Email address' or 'ID number'), the grade, and the feedback text (map it to the grade
    item's feedback)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Identifier", "Grade", "Feedback"])
    for grade in grades:
        writer.writerow(
            [
                _safe_cell(_student(grade, roster).identifier),
                f"{grade.grade:g}",
                _safe_cell(feedback(grade, lang)),
            ]
        )
    return out.getvalue()


def to_canvas(
    grades: list[Grade], roster: dict[str, Student], assignment: str = "Cluster web"
) -> str:
    """Canvas's gradebook import (Grades > Import): Student, ID, SIS User ID, SIS Login ID,
    Section, then the assignment's column with its points. Canvas's gradebook CSV carries no
    comments: hand the feedback files back separately (-o writes them)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment])
    total = grades[0].total if grades else 20
    writer.writerow(["Points Possible", "", "", "", "", f"{total:g}"])
    for grade in grades:
        student = _student(grade, roster)
        login = student.identifier if "@" in student.identifier else ""
        sis = "" if login else student.identifier
        writer.writerow(
            [
                _safe_cell(student.name or grade.submission),
                "",
                _safe_cell(sis),
                _safe_cell(login),
                _safe_cell(student.section),
                f"{grade.grade:g}",
            ]
        )
    return out.getvalue()


def to_json(grades: list[Grade]) -> str:
    return json.dumps([g.as_json() for g in grades], indent=1, ensure_ascii=False)


def grade_all(
    paths: list[Path],
    spec: LabSpec,
    rubric: Rubric,
    workdir: Path,
    lang: str,
    live: LiveResults | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    daemons: bool = False,
    jobs: int | None = None,
) -> list[Grade]:
    """Grade every submission, in the order given; one broken submission never stops the
    class. With the daemons' checks, submissions are graded `jobs` at a time (default: one
    per core), since each check is mostly waiting for a daemon's parser."""
    from concurrent.futures import ThreadPoolExecutor

    from labtool.grading.submission import open_submission

    nodes = {n.name for n in spec.nodes}

    def one(path: Path) -> Grade:
        try:
            submission = open_submission(path, workdir, nodes)
            return grade_submission(submission, spec, rubric, lang, live, daemons)
        except Exception as exc:  # a class run goes on; the error is in the grade
            broken = Submission(path.name, path, None, error=f"could not be graded: {exc!r}"[:300])
            return grade_submission(broken, spec, rubric, lang, live)

    workers = max(1, jobs or (os.cpu_count() or 1)) if daemons else 1
    grades = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for index, grade in enumerate(pool.map(one, paths)):
            if progress:
                progress(index, len(paths), paths[index].name)
            grades.append(grade)
    return grades
