"""Grading: one submission against the rubric (points per criterion, with reasons and the
feedback text to hand back), and a class of them (CSV row per student, Markdown summary).

Only labtool's own parsers read a submission; nothing in it is run."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from labtool.configs.common import Finding
from labtool.facts.theory import theory_from_configs
from labtool.grading.lint import lint
from labtool.grading.lint.base import Target
from labtool.grading.run.behaviour import Behaviour, behaviour_reasons, run_notes
from labtool.grading.score.evidence import missing_evidence, no_evidence
from labtool.grading.score.model import CriterionScore, Grade, LiveResults, Lost, T
from labtool.grading.score.reasons import (
    answer_reasons,
    lint_reasons,
    other_plan,
    plan_notes,
    row_reasons,
    scenario_reasons,
)
from labtool.grading.score.rubric import Criterion, Rubric
from labtool.grading.submission.archives import Submission
from labtool.grading.submission.configset import ConfigSet
from labtool.grading.submission.plan import read_submission
from labtool.grading.submission.plan_base import Plan
from labtool.grading.submission.sheet import read_sheet
from labtool.spec.model import LabSpec


def grade_submission(
    submission: Submission,
    spec: LabSpec,
    rubric: Rubric,
    lang: str = "fr",
    live: LiveResults | None = None,
    daemons: bool = False,
    behaviour: Behaviour | None = None,
) -> Grade:
    ran = behaviour is not None and behaviour.refused is None
    criteria = rubric.applicable(live is not None, ran)
    top = sum(c.points for c in criteria)
    if submission.root is None:
        return _refused(submission, criteria, rubric, lang)
    configs, plan = read_submission(submission.root, spec)
    findings = lint(configs, spec, plan_target(plan, spec))
    if daemons:
        findings += _daemons(configs, plan, rubric, findings)
    findings = [f.in_lang(lang) for f in findings]  # (lint's texts, in the reader's words)
    report = _read_report(submission.root, plan.report_files)
    sheet = read_sheet(report, *_firsts(plan, spec)) if report is not None else None
    theory = _theory(configs, plan, spec)
    mistakes = _once(findings)  # one per mistake, for every lint criterion and the notes
    missing = missing_evidence(configs, lang)  # (no evidence, no points)

    def reasons_of(criterion: Criterion) -> list[Lost]:
        if criterion.kind == "lint":
            lost = no_evidence(criterion, missing, lang)
            return lost or lint_reasons(criterion, mistakes, rubric, lang)
        if criterion.kind == "row":
            return row_reasons(criterion, sheet, theory, live, lang, plan, rubric)
        if criterion.kind == "answer":
            return answer_reasons(criterion, sheet, lang, plan)
        if criterion.kind == "behaviour":
            assert behaviour is not None
            return behaviour_reasons(criterion, behaviour, lang)
        return scenario_reasons(criterion, live or {}, lang)

    scores = [_scored(c, reasons_of(c), lang) for c in criteria]
    notes = [
        Lost("submission", f.severity, f.message, 0.0, f.file, f.line) for f in submission.notes
    ] + [r for s in scores for r in s.notes]  # what the lab prescribes and costs nothing
    notes += plan_notes(plan, spec, lang)
    if behaviour is not None:
        notes += run_notes(behaviour, lang)
    graded = {rule for c in criteria if c.kind == "lint" for rule in c.rules}
    notes += [
        Lost("lint", f.severity, f.message, 0.0, f.file, f.line, f.fix)
        for f, _ in mistakes
        if f.rule not in graded and f.severity != "info"
    ]
    penalty = other_plan(plan, spec, rubric, lang)
    points = sum(s.score.points for s in scores)
    score = round(max(0.0, points - sum(p.points_lost for p in penalty)), 2)
    notes = penalty + notes
    return Grade(
        submission.name,
        score,
        top,
        round(score / top * rubric.total, 2) if top else 0,
        rubric.total,
        [s.score for s in scores],
        notes,
        behaviour=behaviour.as_json() if behaviour is not None else None,
    )


@dataclass
class _Scored:
    score: CriterionScore
    notes: list[Lost]  # its reasons that cost nothing (info): notes in the feedback


def _scored(criterion: Criterion, reasons: list[Lost], lang: str) -> _Scored:
    lost = 0.0
    for reason in reasons:  # the last reasons may find fewer points left to lose
        reason.points_lost = round(min(reason.points_lost, criterion.points - lost), 2)
        lost += reason.points_lost
    score = CriterionScore(
        criterion.id,
        criterion.name(lang),
        round(criterion.points - lost, 2),
        criterion.points,
        [r for r in reasons if r.severity != "info"],
    )
    return _Scored(score, [r for r in reasons if r.severity == "info"])


def _refused(
    submission: Submission, criteria: tuple[Criterion, ...], rubric: Rubric, lang: str
) -> Grade:
    """A submission that could not be opened: every criterion at 0, and why."""
    top = sum(c.points for c in criteria)
    reason = Lost(
        "submission",
        "error",
        T[lang]["refused"].format(why=submission.error or "?"),
        top,
        str(submission.source),
    )
    scores = [CriterionScore(c.id, c.name(lang), 0.0, c.points) for c in criteria]
    return Grade(submission.name, 0.0, top, 0.0, rubric.total, scores, [reason], submission.error)


def _daemons(
    configs: ConfigSet, plan: Plan, rubric: Rubric, static: list[Finding]
) -> list[Finding]:
    """The daemons' own verdict (haproxy -c, keepalived -t), where it adds to the rules':
    a line a rule already explains is not charged twice; the daemons' warnings are notes."""
    from labtool.grading.lint.daemons import grade_checks

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
    # no VIP or NIC to match: the submission's own are graded; other_plan is one deduction
    return Target(
        None,
        None,
        plan.web_addresses(spec),
        plan.web_count(spec),
        addresses,
        frozenset(plan.fragments),
        plan.real_nics(),
        plan.nat_nics(spec.nic),
    )


def _firsts(plan: Plan, spec: LabSpec) -> tuple[str, str]:
    web = plan.webs[0] if plan.webs else spec.by_role("web")[0].name
    lb = plan.lbs[0] if plan.lbs else spec.by_role("lb")[0].name
    return web, lb


def _read_report(root: Path, names: list[str]) -> str | None:
    """The answer sheet: its files' texts, one after the other (1 MiB each at most)."""
    texts = []
    for path in (root / name for name in names):
        if not path.is_symlink() and path.is_file():
            with path.open("rb") as handle:
                texts.append(handle.read(1 << 20).decode("utf-8", "replace"))
    return "\n\n".join(texts) if texts else None


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


# --- grades where instructors keep them ----------------------------------------------------


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
    run_jobs: int | None = None,
    say: Callable[[str, str], None] | None = None,
) -> list[Grade]:
    """Grade every submission, in the order given; one broken submission never stops the
    class. With the daemons' checks, submissions are graded `jobs` at a time (default: one
    per core), since each check is mostly waiting for a daemon's parser. With `run_jobs`,
    each submission's own cluster is run first (grade --run), that many at once."""
    from concurrent.futures import ThreadPoolExecutor

    from labtool.grading.submission.archives import open_submission, student_names

    nodes, names = {n.name for n in spec.nodes}, student_names(list(paths))
    opened: dict[Path, Submission] = {}

    def open_one(path: Path) -> Submission:
        if path not in opened:
            try:
                opened[path] = open_submission(path, workdir, nodes, names.get(path))
            except Exception as exc:  # (graded below as broken)
                opened[path] = Submission(names[path], path, None, error=f"{exc!r}"[:300])
        return opened[path]

    behaviours: dict[str, Behaviour] = {}
    if run_jobs is not None:
        from labtool.grading.run.faults import to_run
        from labtool.grading.run.labs import run_submissions

        graded = [c for c in rubric.criteria if c.kind == "behaviour"]
        plan = to_run(
            [c.behaviour for c in graded if c.behaviour],
            [c.scenario for c in graded if c.scenario],
        )
        behaviours = run_submissions([open_one(p) for p in paths], spec, run_jobs, say, plan)

    def one(path: Path) -> Grade:
        try:
            submission = open_one(path)
            return grade_submission(
                submission, spec, rubric, lang, live, daemons, behaviours.get(submission.name)
            )
        except Exception as exc:  # a class run goes on; the error is in the grade
            broken = Submission(
                names[path], path, None, error=f"could not be graded: {exc!r}"[:300]
            )
            return grade_submission(broken, spec, rubric, lang, live)

    workers = max(1, jobs or (os.cpu_count() or 1)) if daemons else 1
    grades = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for index, grade in enumerate(pool.map(one, paths)):
            if progress:
                progress(index, len(paths), paths[index].name)
            grades.append(grade)
    return grades
