"""Scenarios as data (layer 5): one TOML file per scenario in scenarios/, read and checked here.

A scenario declares its preconditions, the fault, the observation window (wait until a
condition holds, within a deadline: never a blind sleep), its expectations, and the restore
step. Bounds may name a value the configs predict (see labtool.facts.theory.Theory), e.g.
`max = "vrrp_master_down_s + 0.4"`. Reading only; the engine runs them.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labtool.errors import LabFileError
from labtool.i18n import Msg
from labtool.resources import data_dir
from labtool.spec.load import FieldReader

if TYPE_CHECKING:
    from labtool.scenarios.actions import ActionKind

PRECONDITIONS = ("vip_holder", "node_down")
TOP_KEYS = (
    "name",
    "title",
    "summary",
    "row",
    "precondition",
    "fault",
    "observe",
    "expect",
    "restore",
    "variants",
)
VARIANTS = ("no_track_script",)
_EXPR = re.compile(r"^\s*([a-z_]+)\s*(?:([-+*])\s*([0-9.]+))?\s*$")


@dataclass(frozen=True)
class Action:
    kind: str
    nodes: tuple[str, ...]
    service: str | None = None


@dataclass(frozen=True)
class Expectation:
    fact: str
    equals: Any = None
    min: float | str | None = None
    max: float | str | None = None

    def bounds(self, theory: Mapping[str, float]) -> tuple[float | None, float | None]:
        return evaluate(self.min, theory), evaluate(self.max, theory)


@dataclass(frozen=True)
class Scenario:
    name: str
    title: dict[str, str]
    summary: dict[str, str]
    row: str | None  # the lab's table row this scenario answers: "web" or "haproxy"
    preconditions: dict[str, Any]
    fault: tuple[Action, ...]
    before_requests: int  # the baseline: this many requests answered well before the fault
    until: dict[str, Any]
    within_s: float | str
    for_s: float | str | None
    settle_requests: int  # after the condition holds: this many more requests answered
    expect: tuple[Expectation, ...]
    restore: tuple[Action, ...]
    restore_until: dict[str, Any]
    restore_within_s: float | str
    variants: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: str = ""


def evaluate(bound: float | str | None, theory: Mapping[str, float]) -> float | None:
    """A bound: a number, or 'name', 'name + 0.4', 'name * 1.5' over the theory's values."""
    if bound is None or isinstance(bound, int | float):
        return None if bound is None else float(bound)
    match = _EXPR.match(bound)
    if not match or match[1] not in theory:
        raise LabFileError(
            Msg(
                "bound '{bound}': expected a number or one of {join}, optionally '+ "
                "N', '- N' or '* N'",
                bound=bound,
                join=", ".join(sorted(theory)),
            )
        )
    value = theory[match[1]]
    if match[2]:
        operand = float(match[3])
        value = {"+": value + operand, "-": value - operand, "*": value * operand}[match[2]]
    return round(value, 4)


class _Reader(FieldReader):
    """A scenario file's fields (the lab file's reader, plus actions and conditions)."""

    def table(self, data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, Mapping):
            raise self.fail(
                where, Msg("'{key}' must be a table", key=key), Msg("write it as [{key}]", key=key)
            )
        return value

    def number_or_expr(self, value: Any, where: str) -> float | str:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self.fail(
                where,
                Msg("{value} is not a duration", value=repr(value)),
                Msg('write seconds or a theory value such as "vrrp_master_down_s + 1"'),
            )
        return float(value) if not isinstance(value, str) else value

    def actions(self, raw: Any, where: str) -> tuple[Action, ...]:
        items = raw if isinstance(raw, list) else [raw]
        found = []
        for item in items:
            if not isinstance(item, Mapping):
                raise self.fail(
                    where, Msg("an action must be a table"), Msg("write [fault] action = ...")
                )
            self.check_keys(item, ("action", "node", "nodes", "service"), where)
            kind = item.get("action")
            actions = _actions()
            if kind not in actions:
                raise self.fail(
                    where,
                    Msg("unknown action {kind}", kind=repr(kind)),
                    Msg("use one of {join}", join=", ".join(actions)),
                )
            nodes = item.get("nodes", [item["node"]] if "node" in item else [])
            if not nodes or not all(isinstance(n, str) for n in nodes):
                raise self.fail(where, Msg("no node given"), Msg('add node = "haproxy1"'))
            if actions[kind].needs_service and not item.get("service"):
                raise self.fail(
                    where, Msg("{kind} needs a service", kind=kind), Msg('add service = "haproxy"')
                )
            found.append(Action(kind, tuple(nodes), item.get("service")))
        return tuple(found)

    def conditions(self, raw: Mapping[str, Any], where: str) -> dict[str, Any]:
        from labtool.scenarios.conditions import CONDITIONS

        self.check_keys(raw, tuple(CONDITIONS), where)
        return dict(raw)


def _actions() -> dict[str, ActionKind]:
    from labtool.scenarios.actions import ACTIONS  # (the kinds, each where it is done)

    return ACTIONS


def _expectations(reader: _Reader, raw_list: list[Any]) -> list[Expectation]:
    expectations = []
    for i, raw in enumerate(raw_list):
        reader.check_keys(raw, ("fact", "equals", "min", "max"), f"[[expect]] #{i + 1}")
        if "fact" not in raw:
            raise reader.fail(
                f"[[expect]] #{i + 1}",
                Msg("no fact named"),
                Msg('add fact = "outage_s"'),
            )
        expectations.append(
            Expectation(raw["fact"], raw.get("equals"), raw.get("min"), raw.get("max"))
        )
    return expectations


def parse_scenario(data: Mapping[str, Any], source: str) -> Scenario:
    reader = _Reader(source)
    reader.check_keys(data, TOP_KEYS, "top level")
    name = data.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9-]+", name):
        raise reader.fail(
            "name",
            Msg("{name} is not a scenario name", name=repr(name)),
            Msg('write e.g. "lose-web1"'),
        )
    title = dict(reader.table(data, "title", "title"))
    if not {"fr", "en"} <= set(title):
        raise reader.fail(
            "title",
            Msg("a title in French and English is needed"),
            Msg('add [title] fr = "..." and en = "..."'),
        )
    preconditions = dict(reader.table(data, "precondition", "precondition"))
    reader.check_keys(preconditions, PRECONDITIONS, "[precondition]")
    observe = reader.table(data, "observe", "observe")
    reader.check_keys(
        observe, ("before_requests", "until", "within_s", "for_s", "settle_requests"), "[observe]"
    )
    if "until" not in observe and "for_s" not in observe:
        raise reader.fail(
            "[observe]",
            Msg("neither 'until' nor 'for_s'"),
            Msg('say what to wait for, e.g. until = {{ vip_holder = "haproxy2" }}'),
        )
    restore = reader.table(data, "restore", "restore")
    reader.check_keys(restore, ("actions", "until", "within_s"), "[restore]")
    expectations = _expectations(reader, data.get("expect", []))
    variants = dict(reader.table(data, "variants", "variants"))
    reader.check_keys(variants, VARIANTS, "[variants]")
    return Scenario(
        name=name,
        title=title,
        summary=dict(reader.table(data, "summary", "summary")),
        row=data.get("row"),
        preconditions=preconditions,
        fault=reader.actions(data.get("fault", []), "[fault]"),
        before_requests=int(observe.get("before_requests", 10)),
        until=reader.conditions(observe.get("until", {}), "[observe] until"),
        within_s=reader.number_or_expr(observe.get("within_s", 10.0), "[observe] within_s"),
        for_s=reader.number_or_expr(observe["for_s"], "[observe] for_s")
        if "for_s" in observe
        else None,
        settle_requests=int(observe.get("settle_requests", 10)),
        expect=tuple(expectations),
        restore=reader.actions(restore.get("actions", []), "[restore]")
        if restore.get("actions")
        else (),
        restore_until=reader.conditions(restore.get("until", {}), "[restore] until"),
        restore_within_s=reader.number_or_expr(restore.get("within_s", 15.0), "[restore] within_s"),
        variants={k: dict(v) for k, v in variants.items()},
        source=source,
    )


def apply_variant(scenario: Scenario, variant: str) -> Scenario:
    """The scenario as a lab variant changes it (e.g. no track_script: other expectations)."""
    raw = scenario.variants.get(variant)
    if not raw:
        return scenario
    changes = parse_scenario(
        {
            "name": scenario.name,
            "title": scenario.title,
            "observe": raw.get("observe", {"for_s": 1}),
            "expect": raw.get("expect", []),
        },
        scenario.source,
    )
    return replace(
        scenario,
        summary=raw.get("summary", scenario.summary),
        expect=changes.expect if "expect" in raw else scenario.expect,
        until=changes.until if "observe" in raw else scenario.until,
        for_s=changes.for_s if "observe" in raw else scenario.for_s,
        within_s=changes.within_s if "observe" in raw else scenario.within_s,
    )


def scenario_dir() -> Path:
    return data_dir("scenarios")


def list_scenarios() -> list[str]:
    return sorted(p.stem for p in scenario_dir().glob("*.toml"))


def load_scenario(name: str) -> Scenario:
    path = scenario_dir() / f"{name}.toml"
    if not path.is_file():
        raise LabFileError(
            Msg(
                "no scenario named '{name}'. Fix: use one of {join} (labtool scenario list)",
                name=name,
                join=", ".join(list_scenarios()),
            )
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise LabFileError(Msg("{path}: not valid TOML ({exc})", path=path, exc=exc)) from None
    return parse_scenario(data, str(path))
