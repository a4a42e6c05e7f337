"""The three answers written as a plain numbered list (issue 22): the same grade as the same
words under the questions' own text (the instructor's: 20/20 for the lab's correct work, as
written here before the grader ran), blank lines between the items or not; a numbered
procedure is not taken for the answers."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from labtool.cli import app
from labtool.grading.submission.sheet import read_sheet
from tests.submissions import correct, write

TABLE = correct()["report.md"].split("## Questions")[0]
ANSWERS = (
    "Oui, HAProxy répartit les requêtes en roundrobin : elles alternent entre web1 et web2.",
    "Keepalived porte l'IP virtuelle 10.0.0.10 avec le protocole VRRP : si le maître tombe, "
    "le backup prend le relais, le load balancer n'est plus un SPOF.",
    "HAProxy répartit les requêtes HTTP entre les serveurs web et les contrôle (check) pour "
    "écarter un serveur en panne.",
)


def _listed(blank: bool) -> str:
    gap = "\n\n" if blank else "\n"
    return TABLE + "## Réponses\n\n" + gap.join(f"{n}. {a}" for n, a in enumerate(ANSWERS, 1))


def _grade(tmp_path: Path, report: str | dict[str, str]) -> float:
    files = report if isinstance(report, dict) else {**correct(), "report.md": report}
    result = CliRunner().invoke(
        app,
        ["grade", str(write(files, tmp_path / "s")), "--format", "json", "--no-daemons"],
    )
    assert result.exit_code == 0, result.output
    return float(json.loads(result.stdout)[0]["grade"])


@pytest.mark.parametrize("blank", [False, True], ids=["tight", "blank lines between"])
def test_a_numbered_list_answers_the_questions_by_position(tmp_path: Path, blank: bool) -> None:
    sheet = read_sheet(_listed(blank))
    assert [sheet.answers[q][0][:12] for q in (1, 2, 3)] == [a[:12] for a in ANSWERS]
    assert _grade(tmp_path, _listed(blank)) == 20


def test_a_numbered_procedure_is_not_taken_for_the_answers() -> None:
    steps = "\n".join(f"{n}. étape {n} : vagrant up" for n in range(1, 6))
    sheet = read_sheet(TABLE + "## Procédure\n\n" + steps + "\n")
    assert not any("étape" in text for text, _ in sheet.answers.values())


def test_the_questions_own_text_still_wins(tmp_path: Path) -> None:
    assert _grade(tmp_path, correct()["report.md"]) == 20


def test_a_report_spread_over_several_files_is_read_whole(tmp_path: Path) -> None:
    """The table in README.md, the answers in docs/questions.md, no report.md: the same grade
    as the same text in one report.md (the instructor's: 20/20; it was 16/20)."""
    files = correct()
    table, answers = files.pop("report.md").split("## Questions")
    files["README.md"] = table
    files["docs/questions.md"] = "## Questions" + answers
    assert _grade(tmp_path, files) == 20


OTHER_LANGUAGES = {
    "es": """## Preguntas

**¿La arquitectura desplegada permite hacer balanceo de carga en los dos servicios WEB?**

Sí, las peticiones se reparten por turnos entre web1 y web2.

**¿Cuál es el papel del servicio Keepalived en nuestra infraestructura?**

Keepalived lleva la IP virtual 10.0.0.10 con el protocolo VRRP: si el maestro cae, el
respaldo toma el relevo.

**¿Cuál es el papel del servicio HAPROXY en nuestra infraestructura?**

HAProxy reparte las peticiones HTTP entre los servidores web y comprueba su salud para
descartar un servidor caído.
""",
    "pt": """## Perguntas

**A arquitetura implantada permite fazer balanceamento de carga nos dois serviços WEB?**

Sim, as requisições são repartidas alternadamente entre web1 e web2.

**Qual é o papel do serviço Keepalived na nossa infraestrutura?**

O Keepalived mantém o IP virtual 10.0.0.10 com o protocolo VRRP: se o mestre cair, o
servidor de reserva assume.

**Qual é o papel do serviço HAPROXY na nossa infraestrutura?**

O HAProxy distribui as requisições HTTP entre os servidores web e monitora a saúde deles
para descartar um servidor com falha.
""",
    "de": """## Fragen

**Erlaubt die aufgebaute Architektur eine Lastverteilung auf die zwei WEB-Dienste?**

Ja, die Anfragen werden abwechselnd auf web1 und web2 verteilt.

**Welche Rolle hat der Dienst Keepalived in unserer Infrastruktur?**

Keepalived hält die virtuelle IP 10.0.0.10 mit dem Protokoll VRRP: fällt der Master aus,
übernimmt der andere.

**Welche Rolle hat der Dienst HAPROXY in unserer Infrastruktur?**

HAProxy verteilt die HTTP-Anfragen auf die Webserver und prüft ihre Gesundheit, um einen
ausgefallenen Server auszuschließen.
""",
}


@pytest.mark.parametrize("lang", sorted(OTHER_LANGUAGES))
def test_answers_in_spanish_portuguese_and_german(tmp_path: Path, lang: str) -> None:
    """The lab's table as the lab gives it, the questions and answers in the student's own
    language: the instructor's grade, 20/20 (it was 16/20: no answer found)."""
    assert _grade(tmp_path, TABLE + OTHER_LANGUAGES[lang]) == 20


CORPUS = Path(__file__).parents[3] / "corpus" / "languages"  # the lab's table, translated
TABLES = {lang: (CORPUS / f"table-{lang}.md").read_text() for lang in ("es", "de")}


@pytest.mark.parametrize("lang", sorted(TABLES))
def test_a_report_wholly_in_spanish_or_german(tmp_path: Path, lang: str) -> None:
    """The table's labels and columns in the student's language too: 20/20."""
    sheet = read_sheet(TABLES[lang] + OTHER_LANGUAGES[lang])
    assert set(sheet.rows) == {"web", "haproxy"}, sheet.rows
    assert _grade(tmp_path, TABLES[lang] + OTHER_LANGUAGES[lang]) == 20


SHAPES = Path(__file__).parents[3] / "corpus" / "shapes"  # reports in the shapes students use
SHAPE_GRADES = tomllib.loads((SHAPES / "grades.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("shape", sorted(SHAPE_GRADES))
def test_reports_in_the_shapes_students_write(tmp_path: Path, shape: str) -> None:
    """Each report of tests/corpus/shapes/ graded as its instructor did (grades.toml, written
    before the grader ran): every answer found, each graded as its own question's."""
    expected = SHAPE_GRADES[shape]
    report = (SHAPES / f"{shape}.md").read_text(encoding="utf-8")
    sheet = read_sheet(report)
    assert set(sheet.rows) == {"web", "haproxy"}, sheet.rows
    for question, start in expected["answers"].items():
        assert sheet.answers[int(question)][0].startswith(start), (question, sheet.answers)
    if "not_in_answers" in expected:
        assert not any(expected["not_in_answers"] in text for text, _ in sheet.answers.values())
    assert _grade(tmp_path, report) == expected["grade"]


def test_a_question_asked_in_a_list_item_is_answered_by_that_item_only() -> None:
    report = TABLE + (
        "1. Le load balancing fonctionne-t-il ? Oui, les requêtes alternent (roundrobin).\n"
        "2. Quel est le rôle de Keepalived ? Il porte la VIP avec VRRP.\n"
        "   Le backup prend le relais.\n"
        "3. Quel est le rôle de HAProxy ? Il répartit les requêtes.\n"
        "4. Remarque : rien d'autre.\n"
    )
    sheet = read_sheet(report)
    assert sheet.answers[1][0] == "Oui, les requêtes alternent (roundrobin)."
    assert sheet.answers[2][0] == "Il porte la VIP avec VRRP.\nLe backup prend le relais."
    assert sheet.answers[3][0] == "Il répartit les requêtes."


def test_a_list_numbered_1_1_1_is_counted_as_markdown_counts_it() -> None:
    sheet = read_sheet(TABLE + "## Réponses\n\n" + "\n".join(f"1. {a}" for a in ANSWERS))
    assert [sheet.answers[q][0][:12] for q in (1, 2, 3)] == [a[:12] for a in ANSWERS]


def test_bullets_two_about_one_question_are_no_answers_by_subject() -> None:
    bullets = (
        "- Keepalived porte la VIP.\n- Keepalived fait du VRRP.\n- HAProxy répartit les requêtes.\n"
    )
    sheet = read_sheet(TABLE + "## Notes\n\n" + bullets)
    assert 1 not in sheet.answers


def test_bullets_with_a_remark_after_the_three_answers() -> None:
    bullets = (
        "- Load balancing : oui, roundrobin.\n- Keepalived : la VIP avec VRRP.\n"
        "- HAProxy : répartit les requêtes.\n- Remarque : vagrant a planté une fois.\n"
    )
    sheet = read_sheet(TABLE + "## Questions\n\n" + bullets)
    assert sheet.answers[3][0] == "HAProxy : répartit les requêtes."
    assert not any("vagrant" in text for text, _ in sheet.answers.values())


def test_a_list_that_starts_at_4_is_no_question_of_the_lab() -> None:
    sheet = read_sheet(TABLE + "## Suite\n\n4. Le load balancing marche.\n5. Fin.\n")
    assert 4 not in sheet.answers
