"""Lint: what goes wrong in this lab's configs, each finding with file:line, a severity, a rule
code, why it matters and how to fix it. Pure functions over a ConfigSet.

A rule is one small function registered with its code (labtool.grading.lint.registry), in the
module of its subject: `vrrp` (each keepalived.conf and its instances), `scripts` (its track
scripts), `vrrp_pair` (the two load balancers' instances together), `haproxy` (each
haproxy.cfg, and the load balancers together), `servers` (a backend's servers, the web nodes'
pages); `elsewhere` names the codes the parsers and the daemons' checks find. Importing this
package registers them all; `lint` walks the registry."""

from __future__ import annotations

from collections.abc import Iterator

from labtool.configs.common import Finding
from labtool.grading.lint.base import SEVERITY_ORDER, Target
from labtool.grading.lint.haproxy import HaproxyAt
from labtool.grading.lint.registry import RULES, of_subject
from labtool.grading.lint.vrrp import InstanceAt, matched
from labtool.grading.lint.vrrp_pair import Pair
from labtool.grading.submission.configset import ConfigSet
from labtool.spec.model import LabSpec

__all__ = ["RULES", "lint"]

# the modules of rules and codes, registered when imported (those above import the others)
from labtool.grading.lint import (  # noqa: F401  isort: skip
    elsewhere,
    haproxy_servers,
    servers,
    vrrp_auth,
    vrrp_roles,
)


def lint(configs: ConfigSet, spec: LabSpec, target: Target | None = None) -> list[Finding]:
    """Every finding: the parsers', the missing files', then the rules'."""
    aim = target or Target.of_spec(spec)
    found = configs.findings()
    found += list(_keepalived(configs, aim))
    found += list(_haproxy(configs, aim))
    found += [f for r in of_subject("webs") for f in r.findings("", configs)]
    unique = {(f.rule, f.file, f.line, f.message): f for f in found}
    return sorted(
        unique.values(),
        key=lambda f: (f.file, f.line or 0, SEVERITY_ORDER.get(f.severity, 3), f.rule),
    )


def _keepalived(configs: ConfigSet, target: Target) -> Iterator[Finding]:
    instances = {}
    for label, config in configs.keepalived.items():
        found = config.instances()
        for r in of_subject("keepalived_file"):
            yield from r.findings(config.file, config, found)
        if not found:
            continue
        instances[label] = found
        for position, instance in enumerate(found):
            at = InstanceAt(config.file, label, position == 0, target)
            for r in of_subject("instance"):
                yield from r.findings(config.file, instance, at)
        for r in of_subject("keepalived"):
            yield from r.findings(config.file, config, found)
    for group in matched(instances):
        if len(group) > 1:
            pair = Pair.of(group, configs, target)
            for r in of_subject("pair"):
                yield from r.findings("", pair)


def _haproxy(configs: ConfigSet, target: Target) -> Iterator[Finding]:
    served: dict[str, set[str]] = {}
    for label, config in configs.haproxy.items():
        at = HaproxyAt.of(config, target)
        for r in of_subject("haproxy_file"):
            yield from r.findings(config.file, config, at)
        if not at.checked:
            continue
        for backend in at.backends:
            for r in of_subject("backend"):
                yield from r.findings(config.file, config, backend, target)
        for r in of_subject("haproxy"):
            yield from r.findings(config.file, config, at)
        served[label] = at.addresses
    for r in of_subject("haproxies"):
        yield from r.findings("", configs, served)
