"""`labtool grade` against an instructor, on submissions shaped like real work
(tests/corpus/grading: other address plans and node names, shared files, configs pasted in a
README, a haproxy.cfg fragment, test logs instead of the table, no report...). Each one's
instructor grade, and why, is in grades.toml, written before the grader was run on them."""

from __future__ import annotations

import statistics
import tomllib
from pathlib import Path

import pytest

from labtool.grading.score.exports import feedback
from labtool.grading.score.grade import grade_all
from labtool.grading.score.model import Grade
from labtool.grading.score.rubric import load_rubric, parse_rubric
from labtool.grading.submission.archives import discover
from labtool.spec.load import default_spec

CORPUS = Path(__file__).parents[2] / "corpus" / "grading"
INSTRUCTOR = tomllib.loads((CORPUS / "grades.toml").read_text())


def grade_corpus(
    tmp: Path, rubric_text: str | None = None, corpus: Path = CORPUS
) -> dict[str, Grade]:
    spec = default_spec()
    rubric = load_rubric()
    if rubric_text is not None:
        rubric = parse_rubric(tomllib.loads(rubric_text), "test")
    paths = discover([corpus], {n.name for n in spec.nodes})
    return {g.submission: g for g in grade_all(paths, spec, rubric, tmp, "en")}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Grade]:
    return grade_corpus(tmp_path_factory.mktemp("work"))


def test_the_corpus_has_the_shapes_of_real_work() -> None:
    assert len(INSTRUCTOR) >= 12
    assert all(len(entry["why"]) > 80 for entry in INSTRUCTOR.values())


def test_within_3_points_of_the_instructor_and_2_on_average(graded: dict[str, Grade]) -> None:
    assert set(graded) == set(INSTRUCTOR)
    gaps = {name: round(graded[name].grade - INSTRUCTOR[name]["grade"], 2) for name in graded}
    assert all(abs(gap) <= 3 for gap in gaps.values()), gaps
    assert statistics.mean(abs(g) for g in gaps.values()) <= 2, gaps


def _ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):  # ties share their mean rank
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2
        i = j + 1
    return ranks


def test_the_class_keeps_its_order(graded: dict[str, Grade]) -> None:
    """The order of the class is the instructor's (Spearman's rank correlation), the
    careless one last."""
    names = sorted(graded)
    ours = _ranks([graded[n].grade for n in names])
    theirs = _ranks([INSTRUCTOR[n]["grade"] for n in names])
    assert statistics.correlation(ours, theirs) >= 0.8
    assert min(graded, key=lambda n: graded[n].grade) == "lea-careless"


def test_the_labs_configs_verbatim_score_18_with_a_note_per_lab_choice(
    graded: dict[str, Grade],
) -> None:
    alice = graded["alice-verbatim"]
    assert alice.grade >= 18
    said = " ".join(f.message for f in alice.findings)
    for rule in (
        "KA-EQUAL-PRIORITY",
        "KA-AUTH-PASS",
        "KA-SCRIPT-PATH",
        "KA-LVS-SYNC",
        "HA-FRONTEND-ADDRESS",
    ):
        assert said.count(rule) == 1, rule  # named once, though in both load balancers' files
    assert "lab's own choice" in said
    assert "no failback" in said and "clear text" in said and "2.x refuses" in said


def test_on_a_2x_platform_the_centos7_only_line_is_a_mistake(tmp_path: Path) -> None:
    rubric = (
        Path(load_rubric().source).read_text().replace('platform = "centos7"', 'platform = "el9"')
    )
    alice = grade_corpus(tmp_path, rubric)["alice-verbatim"]
    frontend = next(c for c in alice.criteria if c.id == "haproxy-frontend")
    assert frontend.points == 1  # -1: HAProxy 2.x would not start with `frontend main *:80`
    assert "lab's own choice" not in " ".join(r.message for r in frontend.reasons)


def test_one_mistake_one_deduction(graded: dict[str, Grade]) -> None:
    """kevin's haproxy.cfg (the same file on both) has a shell command pasted in: -2, once."""
    kevin = graded["kevin-shell-line"]
    shell = [f for f in kevin.findings if "HA-SHELL" in f.message]
    assert len(shell) == 1 and shell[0].points_lost == 2
    assert "proxy2/etc/haproxy/haproxy.cfg" in shell[0].message  # the other place, named
    # nora appended a second `backend app` to CentOS 7's default: that one mistake, not also
    # the default's 127.0.0.1 servers it holds
    nora = graded["nora-two-backends"]
    config_losses = [
        f.message.split(":")[0]
        for f in nora.findings
        if f.points_lost
        and f.criterion.startswith(("haproxy", "vrrp", "web"))
        and "lab's own choice" not in f.message
    ]  # (her lab-inherited lines)
    assert config_losses == ["HA-DUP-SECTION"], config_losses


def test_the_students_own_plan(graded: dict[str, Grade]) -> None:
    benoit, emma = graded["benoit-vbox-56"], graded["emma-proxmox"]
    for grade in (benoit, emma):
        assert all(c.points == c.max for c in grade.criteria), feedback(grade, "en")
        assert [n.points_lost for n in grade.notes if n.criterion == "plan" and n.points_lost] == [
            1.0
        ]
    assert any("enp0s8" in n.message for n in benoit.notes)  # a note, not a deduction


def test_answers_in_any_shape(graded: dict[str, Grade]) -> None:
    for name in (
        "chloe-readme",
        "david-fragment",
        "emma-proxmox",
        "ines-listen-php",
        "kevin-shell-line",
        "mathis-nic-differs",
    ):
        answers = [c for c in graded[name].criteria if c.id.startswith("question-")]
        assert all(not any("no answer" in r.message for r in c.reasons) for c in answers), name
    ines = {c.id: c for c in graded["ines-listen-php"].criteria}
    assert 1.5 <= ines["row-web"].points < 2  # read from her test log: partial credit
    assert graded["jules-noreport"].grade == 12


def test_the_class_summary_counts_students_per_mistake(graded: dict[str, Grade]) -> None:
    from labtool.grading.score.exports import summary

    text = summary(list(graded.values()), "en")
    # chloe and lea: two servers without `check` each, two students
    assert "- HA-NO-CHECK: 2 students" in text


CLASS = Path(__file__).parents[2] / "corpus" / "class"  # the shapes issue 22 found unfair
CLASS_INSTRUCTOR = tomllib.loads((CLASS / "grades.toml").read_text())


@pytest.fixture(scope="module")
def class_graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Grade]:
    return grade_corpus(tmp_path_factory.mktemp("class"), corpus=CLASS)


@pytest.mark.parametrize("name", sorted(CLASS_INSTRUCTOR))
def test_each_shape_of_the_class_is_graded_as_its_instructor_did(
    class_graded: dict[str, Grade], name: str
) -> None:
    """tests/corpus/class: numbered answers, junk, eth0 on the lab's Vagrant VMs, reports in
    Spanish, German, Portuguese or over two files, configs named as a student liked; the
    grade within half a point of the instructor's (written before the grader ran), junk 0-1,
    and the reason the instructor gives said."""
    expected = CLASS_INSTRUCTOR[name]
    graded = class_graded[name]
    if expected["grade"] == 0:
        assert graded.grade <= 1, feedback(graded)
    else:
        assert abs(graded.grade - expected["grade"]) <= 0.5, feedback(graded)
    if "reason" in expected:
        assert expected["reason"] in feedback(graded), feedback(graded)
