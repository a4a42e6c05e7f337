"""What a grade is made of: points lost with their reasons, per criterion, per submission; the
feedback's wording in both languages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from labtool.i18n import LANGS, N_, translation

# The feedback's wording, in English; its French is in the catalog (labtool/i18n.py).
TEXTS = {
    "grade": N_("Grade"),
    "missing_report": N_("report.md is missing"),
    "empty": N_("the '{cell}' cell of the '{row}' row is empty"),
    "idea": N_("the idea '{idea}' is missing"),
    "no_row": N_("the '{row}' row of the table is not in report.md"),
    "no_answer": N_("no answer to question {q}"),
    "duration": N_("the 'observed' cell says {said:g} s, but {why}"),
    "why.haproxy": N_("with these configs the VIP moves after {low:g} to {high:g} s"),
    "why.web": N_("with these configs HAProxy drops the server after {low:g} to {high:g} s"),
    "not_run": N_("the scenario {name} was not run"),
    "failed": N_("the scenario {name} fails: {checks}"),
    "refused": N_("submission refused: {why}"),
    "run_refused": N_("behaviour not graded (the static grade stands): {why}"),
    "run_error": N_("the cluster could not be tested: {why}"),
    "run_adapted": N_("to run it here: {what}"),
    "fix": N_("Fix"),
    "expected": N_("expected"),
    "observed": N_("observed"),
    "notes": N_("Notes"),
    "summary": N_("Class grades"),
    "mean": N_("mean"),
    "median": N_("median"),
    "common": N_("Most frequent mistakes"),
    "lab_choice": N_("{message}: the lab's own choice; {why}"),
    "also": N_("also {where}"),
    "other_plan": N_(
        "your address plan is not the lab's (VIP {vip}, web servers {webs}; the lab's: VIP "
        "{lab_vip}, {lab_webs}): yours is what is graded"
    ),
    "other_nic": N_(
        "interface {nic}, not the lab's ({lab_nic}): right if it is your machines' NIC (ip a)"
    ),
    "from_log": N_("the lab's table is not used: the '{row}' row is read from {source}"),
    "source.log": N_("your test log"),
    "source.prose": N_("your text"),
    "shared": N_("one file for both load balancers: a mistake in it counts once"),
    "fragment": N_(
        "{file}: only the edited part of haproxy.cfg; the rest is taken to be the default"
    ),
}
T = {lang: {k: translation(lang)(v) for k, v in TEXTS.items()} for lang in LANGS}


ROWS = {"web": N_("Loss of the first WEB node"), "haproxy": N_("Loss of the first HAPROXY node")}
ROW_NAMES = {lang: {k: translation(lang)(v) for k, v in ROWS.items()} for lang in LANGS}


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
    behaviour: dict[str, Any] | None = None  # what its cluster did (grade --run)

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
            **({"behaviour": self.behaviour} if self.behaviour is not None else {}),
        }


# scenario name -> a scenario result's JSON (labtool scenario --json)
LiveResults = dict[str, dict[str, Any]]
