"""lint, collect and grade --live on a running netns lab: the real daemons, the real scenarios."""

from __future__ import annotations

import json
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import lab_up_during, labtool

LAB = "it-grade"


@pytest.fixture(scope="module")
def lab() -> Iterator[str]:
    yield from lab_up_during(LAB)


def test_lint_reads_the_running_labs_configs(lab: str) -> None:
    run = labtool("lint", "--name", lab, "--format", "json")
    found = json.loads(run.stdout)[0]["findings"]
    rules = {(f["rule"], f["file"]) for f in found}
    # labtool builds the lab as written: its equal priorities and PASS authentication show.
    assert ("KA-EQUAL-PRIORITY", "haproxy2/etc/keepalived/keepalived.conf") in rules
    assert ("KA-AUTH-PASS", "haproxy1/etc/keepalived/keepalived.conf") in rules
    assert not [f for f in found if f["severity"] == "error"], found
    assert run.returncode == 0
    # keepalived -t ran (in a throwaway namespace) and its message is folded in
    assert any(f["rule"] == "KA-DAEMON" for f in found)


def test_collect_writes_a_submission(lab: str, tmp_path: Path) -> None:
    output = tmp_path / "sub.tar.gz"
    run = labtool("collect", "--name", lab, "-o", str(output))
    assert run.returncode == 0, run.stderr
    with tarfile.open(output) as tar:
        names = set(tar.getnames())
        page = tar.extractfile("web2/var/www/html/index.html")
        assert page is not None and page.read() == b"test web2\n"
    assert "no report.md" in run.stderr  # no scenario has run yet
    assert {
        "haproxy1/etc/keepalived/keepalived.conf",
        "haproxy2/etc/haproxy/haproxy.cfg",
        "web1/var/www/html/index.html",
    } <= names
    again = labtool("collect", "--name", lab, "-o", str(output))
    assert again.returncode != 0 and "never overwrites" in again.stderr
    graded = json.loads(labtool("grade", str(output), "--format", "json").stdout)[0]
    assert graded["submission"] == "sub" and graded["max"] == 20
    lost = {f["criterion"] for f in graded["findings"] if f["points_lost"]}
    # no scenario has run: no report.md, and its points are lost; the lab's own equal
    # priorities are a note, at no cost
    assert {"row-web", "row-haproxy"} <= lost and "vrrp-master" not in lost
    assert any(
        "KA-EQUAL-PRIORITY" in f["message"] and not f["points_lost"] for f in graded["findings"]
    )


def test_grade_live_runs_the_scenarios(lab: str) -> None:
    run = labtool("grade", "--live", "--name", lab, "--format", "json", timeout_s=300)
    assert run.returncode == 0, run.stderr
    graded = json.loads(run.stdout)[0]
    points = {c["id"]: (c["points"], c["max"]) for c in graded["criteria"]}
    assert graded["max"] == 24
    for criterion in (
        "live-lose-web1",
        "live-lose-haproxy1",
        "row-web",
        "row-haproxy",
        "question-1",
        "question-2",
        "question-3",
    ):
        assert points[criterion][0] == points[criterion][1], (criterion, graded["findings"])


def test_the_lab_done_with_labtool_itself_scores_20(lab: str, tmp_path: Path) -> None:
    """up, lose-web1 and lose-haproxy1 (run by the test above), collect, grade: labtool's own
    lab is the lab as written, adapted to this machine's daemons; its report is measured."""
    output = tmp_path / "labtool.tar.gz"
    run = labtool("collect", "--name", lab, "-o", str(output))
    assert run.returncode == 0, run.stderr
    graded = json.loads(labtool("grade", str(output), "--format", "json", "--lang", "en").stdout)[0]
    assert (graded["score"], graded["max"]) == (20, 20), graded["findings"]
    notes = " ".join(f["message"] for f in graded["findings"] if not f["points_lost"])
    assert "KA-EQUAL-PRIORITY" in notes and "KA-AUTH-PASS" in notes  # named, at no cost
