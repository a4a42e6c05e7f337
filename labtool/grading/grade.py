"""Grading: one submission against the rubric (points per criterion, with reasons and the
feedback text to hand back), and a class of them (CSV row per student, Markdown summary).

Only labtool's own parsers read a submission; nothing in it is run."""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from labtool.configs.common import Finding
from labtool.grading.configset import ConfigSet, folder_reader, from_nodes
from labtool.grading.lint import lint
from labtool.grading.rubric import Criterion, Rubric
from labtool.grading.sheet import Sheet, durations_s, has_idea, read_sheet
from labtool.grading.submission import Submission
from labtool.spec import LabSpec
from labtool.theory import theory_from_configs

T = {
    "fr": {"grade": "Note", "missing_report": "report.md est absent", "empty": "la case « {cell} » "
           "de la ligne « {row} » est vide", "idea": "il manque l'idée « {idea} »",
           "no_row": "la ligne « {row} » du tableau est absente de report.md",
           "no_answer": "pas de réponse à la question {q}",
           "duration": "la case « obtenu » indique {said:g} s, mais {why}",
           "why.haproxy": "avec ces configurations la VIP bascule en {low:g} à {high:g} s",
           "why.web": "avec ces configurations HAProxy écarte le serveur en {low:g} à {high:g} s",
           "not_run": "le scénario {name} n'a pas été lancé", "failed": "le scénario {name} "
           "échoue : {checks}", "refused": "soumission refusée : {why}", "fix": "Correction",
           "expected": "attendu", "observed": "obtenu", "notes": "Remarques",
           "summary": "Notes de la classe", "students": "étudiants", "mean": "moyenne",
           "median": "médiane", "common": "Erreurs les plus fréquentes"},
    "en": {"grade": "Grade", "missing_report": "report.md is missing", "empty": "the "
           "'{cell}' cell of the '{row}' row is empty", "idea": "the idea '{idea}' is missing",
           "no_row": "the '{row}' row of the table is not in report.md",
           "no_answer": "no answer to question {q}",
           "duration": "the 'observed' cell says {said:g} s, but {why}",
           "why.haproxy": "with these configs the VIP moves after {low:g} to {high:g} s",
           "why.web": "with these configs HAProxy drops the server after {low:g} to {high:g} s",
           "not_run": "the scenario {name} was not run", "failed": "the scenario {name} "
           "fails: {checks}", "refused": "submission refused: {why}", "fix": "Fix",
           "expected": "expected", "observed": "observed", "notes": "Notes",
           "summary": "Class grades", "students": "students", "mean": "mean",
           "median": "median", "common": "Most frequent mistakes"},
}
ROW_NAMES = {"fr": {"web": "Perte du premier noeud WEB", "haproxy":
                    "Perte du premier noeud HAPROXY"},
             "en": {"web": "Loss of the first WEB node", "haproxy":
                    "Loss of the first HAPROXY node"}}


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
        return {"submission": self.submission, "score": self.score, "max": self.max,
                "grade": self.grade, "total": self.total, "error": self.error,
                "criteria": [{"id": c.id, "title": c.title, "points": c.points, "max": c.max}
                             for c in self.criteria],
                "findings": [asdict(f) for f in self.findings]}


# scenario name -> a scenario result's JSON (labtool scenario --json)
LiveResults = dict[str, dict[str, Any]]


def grade_submission(submission: Submission, spec: LabSpec, rubric: Rubric, lang: str = "fr",
                     live: LiveResults | None = None) -> Grade:
    criteria = rubric.applicable(live is not None)
    top = sum(c.points for c in criteria)
    if submission.root is None:
        reason = Lost("submission", "error", T[lang]["refused"].format(
            why=submission.error or "?"), top, str(submission.source))
        scores = [CriterionScore(c.id, c.name(lang), 0.0, c.points) for c in criteria]
        return Grade(submission.name, 0.0, top, 0.0, rubric.total, scores, [reason],
                     submission.error)
    read, lister = folder_reader(submission.root)
    configs = from_nodes(spec, read, lister)
    findings = lint(configs, spec)
    report = _read_report(submission.root)
    sheet = read_sheet(report) if report is not None else None
    theory = _theory(configs, spec)
    scores = []
    for criterion in criteria:
        if criterion.kind == "lint":
            reasons = _lint_reasons(criterion, findings)
        elif criterion.kind == "row":
            reasons = _row_reasons(criterion, sheet, theory, live, lang)
        elif criterion.kind == "answer":
            reasons = _answer_reasons(criterion, sheet, lang)
        else:
            reasons = _scenario_reasons(criterion, live or {}, lang)
        lost = 0.0
        for reason in reasons:  # the last reasons may find fewer points left to lose
            reason.points_lost = round(min(reason.points_lost, criterion.points - lost), 2)
            lost += reason.points_lost
        scores.append(CriterionScore(criterion.id, criterion.name(lang),
                                     round(criterion.points - lost, 2), criterion.points,
                                     reasons))
    notes = [Lost("submission", f.severity, f.message, 0.0, f.file, f.line)
             for f in submission.notes]
    graded = {rule for c in criteria if c.kind == "lint" for rule in c.rules}
    notes += [Lost("lint", f.severity, f.message, 0.0, f.file, f.line, f.fix)
              for f in findings if f.rule not in graded and f.severity != "info"]
    score = round(sum(s.points for s in scores), 2)
    return Grade(submission.name, score, top, round(score / top * rubric.total, 2) if top else 0,
                 rubric.total, scores, notes)


def _read_report(root: Path) -> str | None:
    path = root / "report.md"
    if path.is_symlink() or not path.is_file():
        return None
    with path.open("rb") as handle:
        return handle.read(1 << 20).decode("utf-8", "replace")


def _theory(configs: ConfigSet, spec: LabSpec) -> dict[str, float] | None:
    if not configs.haproxy:
        return None

    def text(label: str) -> str:
        return configs.raw.get(label, b"").decode("utf-8", "replace")

    keepalived = {lb: text(config.file) for lb, config in configs.keepalived.items()}
    haproxy = text(next(iter(configs.haproxy.values())).file)
    try:
        return theory_from_configs(spec, keepalived, haproxy).values()
    except (ValueError, KeyError):
        return None


def _lint_reasons(criterion: Criterion, findings: list[Finding]) -> list[Lost]:
    cost = criterion.per_finding or criterion.points
    return [Lost(criterion.id, f.severity, f"{f.rule}: {f.message}", cost, f.file, f.line, f.fix)
            for f in findings if f.rule in criterion.rules and f.severity in ("error",
                                                                             "warning")]


def _row_reasons(criterion: Criterion, sheet: Sheet | None, theory: dict[str, float] | None,
                 live: LiveResults | None, lang: str) -> list[Lost]:
    t, kind = T[lang], criterion.row or "web"
    row_name = ROW_NAMES[lang][kind]
    if sheet is None:
        return [Lost(criterion.id, "error", t["missing_report"], criterion.points, "report.md")]
    row = sheet.rows.get(kind)
    if row is None:
        return [Lost(criterion.id, "error", t["no_row"].format(row=row_name), criterion.points,
                     "report.md")]
    reasons = []
    for cell, text in ((t["expected"], row.expected), (t["observed"], row.observed)):
        if len(text.strip(" -?.")) < 3:
            reasons.append(Lost(criterion.id, "error", t["empty"].format(cell=cell,
                                                                         row=row_name),
                                0.4 * criterion.points, "report.md", row.line))
    both = row.expected + " " + row.observed
    for group in criterion.ideas:
        if not has_idea(both, group):
            reasons.append(Lost(criterion.id, "warning", t["idea"].format(idea=" / ".join(
                group[:3])), 0.2 * criterion.points / max(1, len(criterion.ideas)),
                "report.md", row.line))
    said = durations_s(row.observed)
    window = _window(kind, theory, live)
    if said and window is not None and not window[1][0] <= max(said) <= window[1][1]:
        why = t[f"why.{kind}"].format(low=window[0][0], high=window[0][1])
        reasons.append(Lost(criterion.id, "warning", t["duration"].format(said=max(said),
                                                                          why=why),
                            0.2 * criterion.points, "report.md", row.line))
    return reasons


def _window(kind: str, theory: dict[str, float] | None, live: LiveResults | None) -> tuple[
        tuple[float, float], tuple[float, float]] | None:
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


def _answer_reasons(criterion: Criterion, sheet: Sheet | None, lang: str) -> list[Lost]:
    t = T[lang]
    if sheet is None:
        return [Lost(criterion.id, "error", t["missing_report"], criterion.points, "report.md")]
    number = criterion.question or 1
    found = sheet.answers.get(number)
    if found is None or len(found[0].strip()) < 2:
        return [Lost(criterion.id, "error", t["no_answer"].format(q=number), criterion.points,
                     "report.md", found[1] if found else None)]
    text, line = found
    share = criterion.points / len(criterion.ideas)
    return [Lost(criterion.id, "warning", t["idea"].format(idea=" / ".join(group[:3])), share,
                 "report.md", line) for group in criterion.ideas if not has_idea(text, group)]


def _scenario_reasons(criterion: Criterion, live: LiveResults, lang: str) -> list[Lost]:
    t = T[lang]
    name = criterion.scenario or ""
    result = live.get(name)
    if result is None:
        return [Lost(criterion.id, "error", t["not_run"].format(name=name), criterion.points)]
    if result.get("verdict") == "pass":
        return []
    failed = [f"{c['fact']} = {c['observed']} ({c['expected']})" for c in result.get(
        "checks", []) if not c.get("ok")] or result.get("notes", []) or ["?"]
    return [Lost(criterion.id, "error", t["failed"].format(name=name, checks="; ".join(
        map(str, failed))), criterion.points)]


# --- output --------------------------------------------------------------------------------

def feedback(grade: Grade, lang: str = "fr") -> str:
    """The text to hand back to the student, Markdown."""
    t = T[lang]
    lines = [f"# {t['grade']} : {grade.submission} : {grade.grade:g}/{grade.total:g}"
             if lang == "fr" else
             f"# {t['grade']}: {grade.submission}: {grade.grade:g}/{grade.total:g}", ""]
    if grade.error:
        lines += [t["refused"].format(why=grade.error), ""]
    for score in grade.criteria:
        mark = "✔" if score.points == score.max else "✘"
        lines.append(f"- {mark} {score.title} : {score.points:g}/{score.max:g}" if lang == "fr"
                     else f"- {mark} {score.title}: {score.points:g}/{score.max:g}")
        for reason in score.reasons:
            where = f"{reason.file}:{reason.line} " if reason.file and reason.line else \
                f"{reason.file} " if reason.file else ""
            lines.append(f"  - {where}{reason.message} (-{reason.points_lost:g})")
            if reason.fix:
                lines.append(f"    {t['fix']} : {reason.fix}" if lang == "fr" else
                             f"    {t['fix']}: {reason.fix}")
    if grade.notes:
        lines += ["", f"## {t['notes']}", ""]
        lines += [f"- {n.file + ': ' if n.file else ''}{n.message}" for n in grade.notes]
    return "\n".join(lines) + "\n"


def to_csv(grades: Iterable[Grade]) -> str:
    grades = list(grades)
    ids = list(dict.fromkeys(c.id for g in grades for c in g.criteria))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["submission", "score", "max", "grade", "total", *ids, "error"])
    for grade in grades:
        points = {c.id: c.points for c in grade.criteria}
        writer.writerow([_safe_cell(grade.submission), grade.score, grade.max, grade.grade,
                         grade.total, *[points.get(i, "") for i in ids],
                         _safe_cell(grade.error or "")])
    return out.getvalue()


def _safe_cell(text: str) -> str:
    """A spreadsheet runs a cell starting with = + - @ as a formula: not a student's text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def summary(grades: list[Grade], lang: str = "fr") -> str:
    t = T[lang]
    marks = [g.grade for g in grades]
    lines = [f"# {t['summary']}", ""]
    if marks:
        lines += [f"{len(marks)} {t['students']} ; {t['mean']} {statistics.mean(marks):.2f}, "
                  f"{t['median']} {statistics.median(marks):.2f}, min {min(marks):g}, "
                  f"max {max(marks):g} (/{grades[0].total:g})", ""]
    lines += ["| submission | score | /20 |" if grades and grades[0].total == 20 else
              "| submission | score | grade |", "| --- | --- | --- |"]
    lines += [f"| {g.submission.replace('|', '/')} | {g.score:g}/{g.max:g} | {g.grade:g}"
              f"{' (' + (g.error or '')[:60].replace('|', '/') + ')' if g.error else ''} |"
              for g in grades]
    common = Counter(r.message.split(":", 1)[0] if r.message[:3] in ("KA-", "HA-", "WEB")
                     else r.criterion for g in grades for c in g.criteria for r in c.reasons)
    if common:
        lines += ["", f"## {t['common']}", ""]
        lines += [f"- {name}: {count}" for name, count in common.most_common(10)]
    return "\n".join(lines) + "\n"


def to_json(grades: list[Grade]) -> str:
    return json.dumps([g.as_json() for g in grades], indent=1, ensure_ascii=False)


def grade_all(paths: list[Path], spec: LabSpec, rubric: Rubric, workdir: Path, lang: str,
              live: LiveResults | None = None,
              progress: Callable[[int, int, str], None] | None = None) -> list[Grade]:
    """Grade every submission; one broken submission never stops the class."""
    from labtool.grading.submission import open_submission

    nodes = {n.name for n in spec.nodes}
    grades = []
    for index, path in enumerate(paths):
        if progress:
            progress(index, len(paths), path.name)
        try:
            submission = open_submission(path, workdir, nodes)
            grades.append(grade_submission(submission, spec, rubric, lang, live))
        except Exception as exc:  # a class run goes on; the error is in the grade
            broken = Submission(path.name, path, None, error=f"could not be graded: {exc!r}"
                                [:300])
            grades.append(grade_submission(broken, spec, rubric, lang, live))
    return grades
