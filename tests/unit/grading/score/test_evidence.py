"""No evidence, no points (issue 22): a submission of junk scores 0-1/20, as an instructor
grades it (written here before the grader ran: 0/20), with the daemons' checks and without."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from labtool import runner
from labtool.cli import app
from tests.submissions import correct, write

CONFIGS = (
    "haproxy1/etc/keepalived/keepalived.conf",
    "haproxy2/etc/keepalived/keepalived.conf",
    "haproxy1/etc/haproxy/haproxy.cfg",
    "haproxy2/etc/haproxy/haproxy.cfg",
)


def _junk(folder: Path) -> Path:
    noise = random.Random(22)
    for relative in CONFIGS:
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(bytes(noise.randrange(256) for _ in range(600)))
    (folder / "report.md").write_text("J'ai fait le TP.\n")
    return folder


def _grade(folder: Path, *options: str) -> dict[str, object]:
    result = CliRunner().invoke(
        app, ["grade", str(folder), "--format", "json", "--lang", "en", *options]
    )
    assert result.exit_code == 0, result.output
    graded: dict[str, object] = json.loads(result.stdout)[0]
    return graded


@pytest.mark.parametrize("options", [(), ("--no-daemons",)], ids=["daemons", "no daemons"])
def test_junk_scores_nothing(tmp_path: Path, options: tuple[str, ...]) -> None:
    graded = _grade(_junk(tmp_path / "junk"), *options)
    assert graded["error"] is None  # graded, not refused by a crash
    assert float(str(graded["grade"])) <= 1
    reasons = [f["message"] for f in graded["findings"]]  # type: ignore[attr-defined]
    assert any("nothing to grade: no keepalived config" in r for r in reasons), reasons
    assert any("nothing to grade: no HAProxy config" in r for r in reasons), reasons


def test_only_the_daemon_without_evidence_loses_its_points(tmp_path: Path) -> None:
    """Right HAProxy configs, keepalived's missing: the keepalived criteria score 0, the
    HAProxy ones keep theirs."""
    files = {k: v for k, v in correct().items() if "keepalived" not in k}
    graded = _grade(write(files, tmp_path / "half"), "--no-daemons")
    points = {c["id"]: (c["points"], c["max"]) for c in graded["criteria"]}  # type: ignore[attr-defined]
    keepalived = [v for k, v in points.items() if k.startswith("vrrp")]
    haproxy = [v for k, v in points.items() if k.startswith("haproxy")]
    assert keepalived and all(p == 0 for p, _ in keepalived), points
    assert haproxy and all(p == m for p, m in haproxy), points


def test_a_command_printing_bytes_that_are_not_utf8_is_read_not_a_crash() -> None:
    done = runner.run(["printf", "\\377\\376 Unknown keyword"])
    assert done.succeeded and "Unknown keyword" in done.stdout
