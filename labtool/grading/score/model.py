"""What a grade is made of: points lost with their reasons, per criterion, per submission; the
feedback's wording in both languages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

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
        "run_refused": "comportement non évalué (la note statique reste) : {why}",
        "run_error": "le cluster n'a pas pu être testé : {why}",
        "run_adapted": "pour la lancer ici : {what}",
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
        "run_refused": "behaviour not graded (the static grade stands): {why}",
        "run_error": "the cluster could not be tested: {why}",
        "run_adapted": "to run it here: {what}",
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
