"""Grading over submissions built in tests/submissions.py: the correct one scores full marks,
each planted pitfall loses points with a finding naming the offending directive or value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from labtool.cli import app
from labtool.grading.score.exports import feedback, summary, to_csv
from labtool.grading.score.grade import grade_all
from labtool.grading.score.model import Grade
from labtool.grading.score.rubric import load_rubric
from labtool.grading.submission.archives import discover
from labtool.spec.load import default_spec
from tests.shared import needs
from tests.submissions import HAPROXY, PITFALLS, build_class, correct, write


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Grade]:
    root = tmp_path_factory.mktemp("class")
    build_class(root / "class")
    spec = default_spec()
    paths = discover([root / "class"], {n.name for n in spec.nodes})
    work = root / "work"
    work.mkdir()
    grades = grade_all(paths, spec, load_rubric(), work, "en")
    return {g.submission: g for g in grades}


def test_the_correct_submission_scores_full_marks(graded: dict[str, Grade]) -> None:
    best = graded["correct"]
    assert best.findings == [] or all(f.points_lost == 0 for f in best.findings), [
        f.message for f in best.findings
    ]
    assert (best.score, best.max, best.grade) == (20, 20, 20)


# What the fair-grading issue made notes: what the lab itself prescribes (auth_type PASS, equal
# priorities, `killall -0 haproxy` without its path: a submission that follows the lab, and
# the lab built by labtool, get 20/20), and `state MASTER` on both with different priorities
# (the priority decides; `state` only sets how each starts). Each is named in the feedback,
# with what it means, at no cost by default; a rubric prices them with [lab_choices].
NOTES = ("pass-auth", "both-master", "equal-priorities", "script-no-path")


@pytest.mark.parametrize("pitfall", NOTES)
def test_what_the_lab_allows_is_a_note_that_names_it(
    graded: dict[str, Grade], pitfall: str
) -> None:
    grade = graded[pitfall]
    assert grade.score == 20
    _, named = PITFALLS[pitfall]
    assert any(named.lower() in f.message.lower() for f in grade.notes), [
        f.message for f in grade.notes
    ]


def test_a_rubric_prices_the_labs_choices(tmp_path: Path) -> None:
    import tomllib

    from labtool.grading.score.grade import grade_submission
    from labtool.grading.score.rubric import DEFAULT_RUBRIC, parse_rubric
    from labtool.grading.submission.archives import open_submission

    text = DEFAULT_RUBRIC.read_text().replace("KA-EQUAL-PRIORITY = 0 ", "KA-EQUAL-PRIORITY = 1 ")
    rubric = parse_rubric(tomllib.loads(text), "test")
    write(PITFALLS["equal-priorities"][0](correct()), tmp_path / "s")
    spec = default_spec()
    grade = grade_submission(
        open_submission(tmp_path / "s", tmp_path, {"haproxy1"}), spec, rubric, "en"
    )
    assert grade.score == 19
    assert any("KA-EQUAL-PRIORITY" in f.message and f.points_lost == 1 for f in grade.findings)


@pytest.mark.parametrize("pitfall", sorted(set(PITFALLS) - set(NOTES)))
def test_each_pitfall_loses_points_with_a_finding_that_names_it(
    graded: dict[str, Grade], pitfall: str
) -> None:
    grade = graded[pitfall]
    assert grade.score < 20, pitfall
    _, named = PITFALLS[pitfall]
    losing = [f for f in grade.findings if f.points_lost > 0]
    assert any(named.lower() in f.message.lower() for f in losing), (
        named,
        [f.message for f in losing],
    )
    assert round(sum(f.points_lost for f in losing), 2) == round(20 - grade.score, 2)


def test_findings_carry_file_and_line(graded: dict[str, Grade]) -> None:
    finding = next(f for f in graded["advert-differs"].findings if f.points_lost)
    assert finding.file and finding.file.endswith("keepalived.conf") and finding.line == 15
    assert finding.criterion == "vrrp-pair"
    note = next(f for f in graded["equal-priorities"].findings if "KA-EQUAL" in f.message)
    assert note.file.endswith("keepalived.conf") and note.line == 14  # type: ignore[union-attr]
    assert note.criterion == "vrrp-master"


def test_the_labs_own_configs_verbatim(tmp_path: Path) -> None:
    """The seed's two keepalived.conf and CentOS 7's haproxy.cfg with the seed's edits."""
    import re

    from labtool.grading.lint import lint
    from labtool.grading.submission.configset import from_files
    from tests.shared import SHARED as here

    if not (here / "seed").is_dir():
        pytest.skip("../shared is not here")
    seed = (here / "seed" / "tp-cluster-web.md").read_text()
    blocks = [b for b in re.findall(r"```sh\n(.*?)```", seed, re.S) if "vrrp_instance" in b]
    cfg = (here / "corpus" / "centos7-default-haproxy.cfg").read_text()
    cfg = cfg.replace("frontend  main *:5000", "frontend  main *:80")
    cfg = cfg.replace("    use_backend static", "#    use_backend static")
    cfg = re.sub(
        r"backend app\n(.*\n)*",
        "backend app\n    balance     roundrobin\n"
        "    server  app1 10.0.0.21:80 check\n    server  app2 10.0.0.22:80 check\n",
        cfg,
    )
    paths = []
    for name, text in (
        ("haproxy1-keepalived.conf", blocks[0]),
        ("haproxy2-keepalived.conf", blocks[1]),
        ("haproxy.cfg", cfg),
    ):
        (tmp_path / name).write_text(text)
        paths.append(tmp_path / name)
    rules = {(f.rule, Path(f.file).name, f.line) for f in lint(from_files(paths), default_spec())}
    assert ("KA-EQUAL-PRIORITY", "haproxy2-keepalived.conf", 9) in rules
    assert ("KA-LVS-SYNC", "haproxy1-keepalived.conf", 13) in rules
    assert ("KA-LVS-SYNC", "haproxy2-keepalived.conf", 13) in rules
    assert ("HA-FRONTEND-ADDRESS", "haproxy.cfg", 63) in rules
    assert not any(r[0] in ("HA-WEB-MISSING", "HA-NO-CHECK") for r in rules)


def test_feedback_csv_summary(graded: dict[str, Grade], tmp_path: Path) -> None:
    from labtool.grading.score.grade import grade_submission
    from labtool.grading.submission.archives import open_submission

    english = feedback(graded["no-check"], "en")
    assert english.startswith("# Grade: no-check: ")
    assert "server app2 10.0.0.22:80 has no 'check'" in english and "Fix: " in english
    write(PITFALLS["no-check"][0](correct()), tmp_path / "no-check")
    fr = grade_submission(
        open_submission(tmp_path / "no-check", tmp_path, {"haproxy1"}),
        default_spec(),
        load_rubric(),
        "fr",
    )
    text = feedback(fr, "fr")
    assert text.startswith("# Note : no-check : ")
    assert "le serveur app2 10.0.0.22:80 n'a pas de « check »" in text
    assert "Correction" in text
    rows = to_csv(graded.values()).splitlines()
    assert rows[0].startswith("submission,score,max,grade,total,vrrp-pair")
    assert len(rows) == len(graded) + 1
    assert any(r.startswith("correct,20.0,20.0,20.0") for r in rows)
    assert f"{len(graded)} étudiants" in summary(list(graded.values()), "fr")


def test_the_summary_counts_students_in_each_languages_plural(graded: dict[str, Grade]) -> None:
    """One student is '1 student' and '1 étudiant' (issue 22: it said '1 students')."""
    one = [graded["no-check"]]
    assert "1 student ;" in summary(one, "en") and "1 students" not in summary(one, "en")
    assert "1 étudiant ;" in summary(one, "fr")
    assert "- HA-NO-CHECK: 1 étudiant\n" in summary(one, "fr")
    two = [graded["no-check"], graded["correct"]]
    assert "2 students ;" in summary(two, "en") and "2 étudiants ;" in summary(two, "fr")


def test_cli_grade_json_shape(tmp_path: Path) -> None:
    write(correct(), tmp_path / "alice")
    broken = correct()
    broken["haproxy1/etc/haproxy/haproxy.cfg"] = "\x00\x01junk"
    write(broken, tmp_path / "bob")
    result = CliRunner().invoke(
        app,
        ["grade", str(tmp_path), "--format", "json", "--lang", "en", "-o", str(tmp_path / "out")],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert [p["submission"] for p in payload] == ["alice", "bob"]
    assert payload[0]["score"] == payload[0]["max"] == 20
    assert payload[1]["score"] < 20
    finding = next(f for f in payload[1]["findings"] if f["points_lost"])
    assert set(finding) >= {"criterion", "severity", "message", "points_lost", "file", "line"}
    assert any(
        "binary" in f["message"] and f["file"] == "haproxy1/etc/haproxy/haproxy.cfg"
        for f in payload[1]["findings"]
    )
    assert (tmp_path / "out" / "grades.csv").is_file()
    assert (tmp_path / "out" / "feedback" / "bob.md").read_text().startswith("# Grade: bob")


def test_cli_grade_refuses_a_broken_rubric(tmp_path: Path) -> None:
    write(correct(), tmp_path / "alice")
    rubric = tmp_path / "rubric.toml"
    rubric.write_text("total = 20\n[[criterion]]\nid = 'x'\nkind = 'lint'\npoints = -1\n")
    result = CliRunner().invoke(app, ["grade", str(tmp_path / "alice"), "--rubric", str(rubric)])
    assert result.exit_code == 2
    assert "'points' must be a positive number" in result.output
    assert not (tmp_path / "out").exists()


def test_cli_lint_exit_codes(tmp_path: Path) -> None:
    good = write(correct(), tmp_path / "good")
    result = CliRunner().invoke(app, ["lint", str(good), "--no-daemons"])
    assert result.exit_code == 0, result.output
    bad = write(PITFALLS["no-check"][0](correct()), tmp_path / "bad")
    result = CliRunner().invoke(app, ["lint", str(bad), "--no-daemons", "--format", "json"])
    assert result.exit_code == 1
    found = json.loads(result.stdout)[0]["findings"]
    assert any(f["rule"] == "HA-NO-CHECK" and f["line"] == 27 for f in found)


@pytest.mark.requires_root  # a network namespace to run them in (a user's needs userns)
@needs("haproxy", "keepalived")
def test_lint_folds_in_the_daemons_own_checks(tmp_path: Path) -> None:
    """The real `haproxy -c` and `keepalived -t`, each in a throwaway network namespace."""
    files = PITFALLS["frontend-address"][0](PITFALLS["track-undefined"][0](correct()))
    write(files, tmp_path / "s")
    result = CliRunner().invoke(app, ["lint", str(tmp_path / "s"), "--format", "json"])
    found = json.loads(result.stdout)[0]["findings"]
    daemons = {(f["rule"], f["file"], f["line"]) for f in found if "DAEMON" in f["rule"]}
    assert ("HA-DAEMON", "haproxy1/etc/haproxy/haproxy.cfg", 21) in daemons
    assert any(f["rule"] == "KA-DAEMON" and "reload_haproxy" in f["message"] for f in found)
    assert result.exit_code == 1


@pytest.mark.requires_root
@needs("haproxy")
def test_the_daemons_words_name_the_submissions_file(tmp_path: Path) -> None:
    """`haproxy -c` reads a throwaway copy; what it says names the submission's file."""
    files = correct()
    cfg = "haproxy1/etc/haproxy/haproxy.cfg"
    files[cfg] = files[cfg].replace("10.0.0.21:80", "web1.invalid:80")  # (no DNS in there)
    write(files, tmp_path / "s")
    result = CliRunner().invoke(app, ["lint", str(tmp_path / "s"), "--format", "json"])
    said = [f["message"] for f in json.loads(result.stdout)[0]["findings"]]
    daemon = [m for m in said if m.startswith("haproxy -c:")]
    assert daemon and not [m for m in daemon if "labtool-lint-" in m], daemon
    assert any(cfg in m for m in daemon), daemon


def test_a_frontend_without_backend() -> None:
    from labtool.configs.haproxy import parse_haproxy
    from labtool.grading.lint import lint
    from labtool.grading.submission.configset import ConfigSet

    configs = ConfigSet(haproxy={"lb": parse_haproxy("frontend main\n    bind *:80\n")})
    found = [(f.rule, f.line) for f in lint(configs, default_spec())]
    assert ("HA-BACKEND-UNDEFINED", 1) in found


def test_a_live_measure_widens_what_a_row_may_say(tmp_path: Path) -> None:
    """--live: a duration far from the theory but close to what was measured is accepted."""
    from labtool.grading.submission.archives import open_submission

    files = PITFALLS["row-wrong-time"][0](correct())  # "coupure de 45 s"
    write(files, tmp_path / "s")
    spec = default_spec()
    submission = open_submission(tmp_path / "s", tmp_path, {n.name for n in spec.nodes})
    from labtool.grading.score.grade import grade_submission

    rubric = load_rubric()
    offline = grade_submission(submission, spec, rubric, "en")
    live = {
        "lose-haproxy1": {"verdict": "pass", "metrics": {"outage_s": 40.0}},
        "lose-web1": {"verdict": "pass", "metrics": {"haproxy_detect_s": {"web1": 11.0}}},
    }
    measured = grade_submission(submission, spec, rubric, "en", live)
    row = {c.id: c for c in offline.criteria}["row-haproxy"]
    assert row.points < row.max and "45 s" in row.reasons[0].message
    assert {c.id: c for c in measured.criteria}["row-haproxy"].points == row.max
    assert measured.max == 24 and measured.score == 24


def test_grades_for_moodle_and_canvas_with_a_roster(tmp_path: Path) -> None:
    import csv
    import io

    write(correct(), tmp_path / "class" / "alice")
    write(PITFALLS["no-check"][0](correct()), tmp_path / "class" / "bob")
    roster = tmp_path / "roster.csv"
    roster.write_text("submission;email;name;section\nalice;alice@example.edu;Alice Martin;B2\n")
    result = CliRunner().invoke(
        app,
        [
            "grade",
            str(tmp_path / "class"),
            "--format",
            "moodle",
            "--roster",
            str(roster),
            "--lang",
            "en",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["Identifier", "Grade", "Feedback"]
    assert rows[1][:2] == ["alice@example.edu", "20"]
    assert rows[2][0] == "bob" and float(rows[2][1]) < 20 and "check" in rows[2][2]
    assert "1 submission(s) not in the roster" in result.stderr
    canvas = CliRunner().invoke(
        app, ["grade", str(tmp_path / "class"), "--format", "canvas", "--roster", str(roster)]
    )
    rows = list(csv.reader(io.StringIO(canvas.stdout)))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Cluster web"]
    assert rows[1][0] == "Points Possible" and rows[1][5] == "20"
    assert rows[2] == ["Alice Martin", "", "", "alice@example.edu", "B2", "20"]
    bad = tmp_path / "bad.csv"
    bad.write_text("who,what\nx,y\n")
    broken = CliRunner().invoke(
        app, ["grade", str(tmp_path / "class"), "--format", "moodle", "--roster", str(bad)]
    )
    assert broken.exit_code == 2 and "needs a header with 'submission'" in broken.output


def test_feedback_in_french_throughout(tmp_path: Path) -> None:
    """Every finding of every planted pitfall and of the corpus, its message and why, in
    French with --lang fr (a new lint text without its French fails here)."""
    from labtool.grading.lint import lint
    from labtool.grading.score.grade import plan_target
    from labtool.grading.submission.plan import read_submission

    spec = default_spec()
    folders = [write(plant(correct()), tmp_path / name) for name, (plant, _) in PITFALLS.items()]
    folders += sorted(
        p for p in (Path(__file__).parents[3] / "corpus" / "grading").iterdir() if p.is_dir()
    )
    config = (
        "server ",
        "script ",
        "frontend ",
        "balance ",
        "virtual_router_id",
        "interface ",
        "auth_type ",
        "bind ",
        "global_defs ",
    )  # a config line reads the same in both
    untranslated = set()
    for folder in folders:
        configs, plan = read_submission(folder, spec)
        for found in lint(configs, spec, plan_target(plan, spec)):
            french = found.in_lang("fr")
            for text, translated in (
                (found.message, french.message),
                (found.explanation, french.explanation),
                (found.fix, french.fix),
            ):
                if text and " " in text and translated == text and not text.startswith(config):
                    untranslated.add(text)
    assert not untranslated, sorted(untranslated)


@pytest.mark.requires_root  # a network namespace to run them in (a user's needs userns)
@needs("haproxy", "keepalived")
def test_grade_folds_in_the_daemons_verdict(tmp_path: Path) -> None:
    """What only the daemon refuses (a haproxy.cfg without its final newline) costs once;
    what a rule already explains (a shell command pasted in) is not charged twice; the lab's
    `frontend main *:80` on its platform (centos7) is checked as HAProxy 1.5 would take it."""
    from labtool.grading.score.grade import grade_submission
    from labtool.grading.submission.archives import open_submission

    spec, rubric = default_spec(), load_rubric()

    def graded(files: dict[str, str], name: str) -> Grade:
        write(files, tmp_path / name)
        submission = open_submission(tmp_path / name, tmp_path, {"haproxy1"})
        return grade_submission(submission, spec, rubric, "en", daemons=True)

    no_lf = correct()
    for node in ("haproxy1", "haproxy2"):
        no_lf[f"{node}/etc/haproxy/haproxy.cfg"] = HAPROXY.rstrip("\n")
    grade = graded(no_lf, "no-lf")
    lost = [f for f in grade.findings if f.points_lost]
    assert len(lost) == 1 and "Missing LF" in lost[0].message and lost[0].points_lost == 1
    assert grade.score == 19
    shell = graded(PITFALLS["shell-line"][0](correct()), "shell")
    assert [f.message.split(":")[0] for f in shell.findings if f.points_lost] == ["HA-SHELL"]
    lab = graded(PITFALLS["frontend-address"][0](correct()), "frontend")
    assert not any("DAEMON" in f.message for f in lab.findings if f.points_lost)
    assert graded(correct(), "correct").score == 20


def test_the_nic_a_pasted_ip_a_shows(tmp_path: Path) -> None:
    """Another NIC name is a note; it is a mistake only when the machine's own `ip a`, handed
    in, shows the lab's network on another NIC."""
    from labtool.grading.score.grade import grade_submission
    from labtool.grading.submission.archives import open_submission
    from tests.submissions import IP_A, KA1, KA2

    files = correct()
    files = {
        **files,
        "report.md": files["report.md"] + IP_A,
        KA1: files[KA1].replace("eth1", "enp0s8"),
        KA2: files[KA2].replace("eth1", "enp0s8"),
    }
    write(files, tmp_path / "s")
    grade = grade_submission(
        open_submission(tmp_path / "s", tmp_path, {"haproxy1"}), default_spec(), load_rubric(), "en"
    )
    assert grade.score == 20
    assert any("interface enp0s8, not the lab's" in n.message for n in grade.notes)


def test_the_class_table_in_the_chosen_language(tmp_path: Path) -> None:
    write(correct(), tmp_path / "alice")
    fr = CliRunner().invoke(app, ["grade", str(tmp_path), "--no-daemons", "--lang", "fr"])
    # (the plural form the count takes, in each language: "1 rendu", "1 submission")
    assert "1 rendu\n" in fr.stdout and "points perdus" in fr.stdout
    en = CliRunner().invoke(app, ["grade", str(tmp_path), "--no-daemons", "--lang", "en"])
    assert "1 submission\n" in en.stdout and "lost points" in en.stdout
    # a deduction outside the criteria (not the lab's plan) shows among the lost points too
    other = correct()
    other = {k: v.replace("10.0.0.", "192.168.56.") for k, v in other.items()}
    write(other, tmp_path / "bob")
    en = CliRunner().invoke(app, ["grade", str(tmp_path / "bob"), "--no-daemons", "--lang", "en"])
    assert "19/20" in en.stdout and "plan: your address plan" in en.stdout
    both = CliRunner().invoke(app, ["grade", str(tmp_path), "--no-daemons", "--lang", "fr"])
    assert "2 rendus\n" in both.stdout
