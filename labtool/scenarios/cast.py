"""A scenario on a lab whose nodes have other names: scenario files name the lab's nodes
(haproxy1, haproxy2, web1, web2); a lab of its own (a student's plan, a submission's cluster)
runs them on its nodes of the same role, in the same order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from labtool.errors import LabFileError
from labtool.i18n import Msg
from labtool.scenarios.model import Action, Scenario
from labtool.spec.model import LabSpec, Role

# The lab's node names, as scenario files write them, by role and order.
LAB_NODES: dict[Role, tuple[str, ...]] = {"lb": ("haproxy1", "haproxy2"), "web": ("web1", "web2")}


def cast_names(spec: LabSpec) -> dict[str, str]:
    """The lab's node names onto a lab's own (by role, in order): {"haproxy1": "lb1", ...};
    a lab name the lab also has keeps its node."""
    names: dict[str, str] = {}
    mine = {n.name for n in spec.nodes}
    for role, lab_names in LAB_NODES.items():
        for lab_name, node in zip(lab_names, spec.by_role(role), strict=False):
            if lab_name not in mine or lab_name == node.name:
                names[lab_name] = node.name
    return names


def cast(scenario: Scenario, names: Mapping[str, str]) -> Scenario:
    """The scenario on a lab whose nodes have other names: every node it names (its
    preconditions, actions, conditions, expectations and variants), renamed."""
    if all(old == new for old, new in names.items()):
        return scenario

    def renamed(value: Any) -> Any:
        if isinstance(value, str):
            head, dot, tail = value.partition(".")
            return f"{head}.{names.get(tail, tail)}" if dot else names.get(value, value)
        if isinstance(value, list | tuple):
            return type(value)(renamed(v) for v in value)
        if isinstance(value, Mapping):
            return {k: renamed(v) for k, v in value.items()}
        return value

    def actions(items: tuple[Action, ...]) -> tuple[Action, ...]:
        return tuple(replace(a, nodes=renamed(a.nodes)) for a in items)

    return replace(
        scenario,
        preconditions=renamed(scenario.preconditions),
        fault=actions(scenario.fault),
        until=renamed(scenario.until),
        expect=tuple(
            replace(e, fact=renamed(e.fact), equals=renamed(e.equals)) for e in scenario.expect
        ),
        restore=actions(scenario.restore),
        restore_until=renamed(scenario.restore_until),
        variants={k: renamed(v) for k, v in scenario.variants.items()},
    )


def nodes_named(scenario: Scenario) -> set[str]:
    """Every node a scenario names (to check that a lab has them)."""
    found = {str(v) for v in scenario.preconditions.values()}
    found |= {n for a in (*scenario.fault, *scenario.restore) for n in a.nodes}
    for wanted in (scenario.until, scenario.restore_until):
        for key, value in wanted.items():
            if key in ("vip_holder", "vip_holders", "server_down", "node_ready"):
                found |= set([value] if isinstance(value, str) else value)
    return found


def on_lab(scenario: Scenario, spec: LabSpec) -> Scenario:
    """The scenario with the lab's node names cast onto this lab's; a node it needs that the
    lab lacks (one load balancer only) is refused before anything runs."""
    scenario = cast(scenario, cast_names(spec))
    missing = sorted(nodes_named(scenario) - {n.name for n in spec.nodes})
    if missing:
        raise LabFileError(
            Msg(
                "scenario {name} needs {join}: this lab has no such node ({join2})",
                name=scenario.name,
                join=", ".join(missing),
                join2=", ".join(n.name for n in spec.nodes),
            )
        )
    return scenario
