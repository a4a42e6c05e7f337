"""The lint rules: what goes wrong in this lab's configs, each finding with file:line, a
severity, a rule id, why it matters and how to fix it. Pure functions over a ConfigSet."""

from __future__ import annotations

from labtool.configs.common import Finding
from labtool.grading.lint.base import SEVERITY_ORDER, Target
from labtool.grading.lint.haproxy import haproxy_rules
from labtool.grading.lint.servers import web_rules
from labtool.grading.lint.vrrp import keepalived_rules
from labtool.grading.submission.configset import ConfigSet
from labtool.spec.model import LabSpec


def lint(configs: ConfigSet, spec: LabSpec, target: Target | None = None) -> list[Finding]:
    """Every finding: the parsers', the missing files', then the rules'."""
    aim = target or Target.of_spec(spec)
    found = configs.findings()
    found += list(keepalived_rules(configs, aim))
    found += list(haproxy_rules(configs, aim))
    found += list(web_rules(configs))
    unique = {(f.rule, f.file, f.line, f.message): f for f in found}
    return sorted(
        unique.values(),
        key=lambda f: (f.file, f.line or 0, SEVERITY_ORDER.get(f.severity, 3), f.rule),
    )


# --- keepalived ---------------------------------------------------------------------------


# --- HAProxy -----------------------------------------------------------------------------


# --- web nodes ---------------------------------------------------------------------------
