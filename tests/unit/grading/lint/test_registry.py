"""The rule registry: every code a finding can carry is registered; a new rule is one function
in one file; a rubric names only codes lint has, and says which it leaves ungraded."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from labtool.cli import app
from labtool.configs.keepalived_model import Statement
from labtool.errors import LabFileError
from labtool.grading.lint import RULES, lint
from labtool.grading.lint.registry import Say, rule
from labtool.grading.lint.vrrp import InstanceAt
from labtool.grading.score.rubric import DEFAULT_RUBRIC, load_rubric
from labtool.grading.submission.configset import from_files
from labtool.spec.load import default_spec
from tests.unit.grading.score.test_grade import correct, write

PACKAGE = Path(__file__).parents[4] / "labtool"
CODE = re.compile(r"^(KA|HA|WEB|FILE|RUN)-[A-Z0-9-]+$")


def test_every_code_a_finding_can_carry_is_registered() -> None:
    """Any rule code written in the package (a parser's, a daemon check's, a rule's) is in
    the registry, with a severity and a title."""
    written = {
        node.value
        for path in PACKAGE.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.match(node.value)
    }
    assert written - set(RULES) == set()
    assert len(RULES) >= 50
    assert all(r.severity in ("error", "warning", "info") and r.title for r in RULES.values())


def test_a_new_rule_is_one_registered_function(tmp_path: Path) -> None:
    root = write(correct(), tmp_path / "s")
    configs = from_files(sorted(root.glob("haproxy*/etc/keepalived/keepalived.conf")))

    @rule("KA-TEST-ONLY", subject="instance", severity="warning", title="a test's own rule")
    def test_only(instance: Statement, at: InstanceAt) -> Iterator[Say]:
        yield Say(message=f"{instance.name} on {at.label}", where=instance, fix="none")

    try:
        found = [f for f in lint(configs, default_spec()) if f.rule == "KA-TEST-ONLY"]
    finally:
        del RULES["KA-TEST-ONLY"]
    assert len(found) == 2 and found[0].severity == "warning" and found[0].line
    assert len({f.file for f in found}) == 2 and all(
        f.message.startswith("VI_1 on ") for f in found
    )


def test_a_rubric_naming_a_rule_lint_does_not_have_is_refused(tmp_path: Path) -> None:
    text = DEFAULT_RUBRIC.read_text().replace('"KA-WEIGHT-GAP"', '"KA-WEIGHT-GAPS"', 1)
    broken = tmp_path / "rubric.toml"
    broken.write_text(text)
    with pytest.raises(LabFileError, match="names the rule 'KA-WEIGHT-GAPS', which lint does"):
        load_rubric(broken)


def test_a_rule_no_criterion_names_is_reported(tmp_path: Path) -> None:
    assert load_rubric().unnamed == []  # the default rubric names every rule
    text = DEFAULT_RUBRIC.read_text().replace('"KA-SCRIPT-SECURITY", ', "", 1)
    partial = tmp_path / "rubric.toml"
    partial.write_text(text)
    assert load_rubric(partial).unnamed == ["KA-SCRIPT-SECURITY"]
    write(correct(), tmp_path / "alice")
    result = CliRunner().invoke(
        app, ["grade", str(tmp_path / "alice"), "--rubric", str(partial), "--no-daemons"]
    )
    assert result.exit_code == 0, result.output
    assert "grades no criterion with the rule(s) KA-SCRIPT-SECURITY" in result.output


def test_lint_rules_lists_the_registry() -> None:
    listed = CliRunner().invoke(app, ["lint", "--rules", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    import json

    codes = [r["rule"] for r in json.loads(listed.stdout)]
    assert codes == sorted(RULES) and "KA-WEIGHT-GAP" in codes
    text = CliRunner().invoke(app, ["lint", "--rules"], terminal_width=200).stdout
    assert "KA-VIP-MISMATCH        error    two VIPs" in text
