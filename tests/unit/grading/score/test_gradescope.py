"""Grades into Gradescope (issue 22): `--format gradescope` against the fields of Gradescope's
autograder specification, and `run_autograder` run end to end in a folder laid out as
Gradescope lays it out (/autograder/source, submission, results; here under a temporary
folder, through AUTOGRADER_ROOT, with this Python in place of the image's venv: setup.sh
installs system packages on Gradescope's image and is not run here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from labtool.cli import app
from tests.submissions import PITFALLS, correct, write

VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


def _valid(results: dict[str, Any]) -> None:
    """The specification's fields and types (score, execution_time, output, tests[])."""
    assert isinstance(results["score"], (int, float))
    assert isinstance(results["execution_time"], (int, float))
    assert isinstance(results["output"], str)
    assert results.get("visibility", "visible") in VISIBILITY
    assert isinstance(results["tests"], list)
    for test in results["tests"]:
        assert isinstance(test["name"], str) and test["name"]
        assert isinstance(test["score"], (int, float))
        assert isinstance(test["max_score"], (int, float))
        assert 0 <= test["score"] <= test["max_score"]
        assert isinstance(test["output"], str)
        assert test["visibility"] in VISIBILITY


def test_one_submission_as_gradescope_results(tmp_path: Path) -> None:
    """no-check: the instructor's grade, 19/20 (one point for the servers' checks)."""
    write(PITFALLS["no-check"][0](correct()), tmp_path / "bob")
    result = CliRunner().invoke(
        app, ["grade", str(tmp_path / "bob"), "--format", "gradescope", "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    results = json.loads(result.stdout)
    _valid(results)
    assert results["score"] == 19
    lost = [t for t in results["tests"] if t["score"] < t["max_score"]]
    assert len(lost) == 1 and "HA-NO-CHECK" in lost[0]["output"]
    assert sum(t["max_score"] for t in results["tests"]) == 20


def test_several_submissions_are_refused_with_the_reason(tmp_path: Path) -> None:
    write(correct(), tmp_path / "class" / "alice")
    write(correct(), tmp_path / "class" / "bob")
    result = CliRunner().invoke(app, ["grade", str(tmp_path / "class"), "--format", "gradescope"])
    assert result.exit_code != 0
    assert "grades one submission" in result.output and "Traceback" not in result.output


def test_run_autograder_in_a_gradescope_shaped_folder(tmp_path: Path) -> None:
    root = tmp_path / "autograder"
    made = CliRunner().invoke(app, ["gradescope-autograder", "-o", str(root / "source")])
    assert made.exit_code == 0, made.output
    assert (root / "source" / "setup.sh").stat().st_mode & 0o111
    write(correct(), root / "submission")
    env = {"AUTOGRADER_ROOT": str(root), "LABTOOL_PYTHON": sys.executable, "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    _valid(results)
    assert results["score"] == 20 and len(results["tests"]) == 13
    # labtool itself failing (here: no Python where the image's venv should be): a valid JSON
    (root / "submission" / "report.md").unlink()
    bad = subprocess.run(
        [str(root / "source" / "run_autograder")],
        env={**env, "LABTOOL_PYTHON": "/nonexistent/python"},
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 0, bad.stderr
    failed = json.loads((root / "results" / "results.json").read_text())
    _valid(failed)
    assert failed["score"] == 0
