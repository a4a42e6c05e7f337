"""The lab's steps as data (steps/cluster-web.toml): what each checks, on which nodes, and the
hint a student gets while it is not done. Reading and validating only."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labtool.errors import LabFileError
from labtool.i18n import LANGS, Msg
from labtool.resources import data_dir
from labtool.spec.model import LabSpec, Node

KINDS = (
    "package",
    "enabled",
    "running",
    "line",
    "file",
    "vrrp",
    "vip",
    "log",
    "haproxy",
    "page",
    "balanced",
)
LISTS = ("package", "unit", "line")


@dataclass(frozen=True)
class Step:
    id: str
    title: dict[str, str]
    hint: dict[str, str]
    nodes: str  # a role, a node, first-lb or second-lb
    kind: str
    args: dict[str, Any] = field(default_factory=dict)

    def text(self, which: dict[str, str], lang: str) -> str:
        return which.get(lang) or which.get("en") or self.id

    def targets(self, spec: LabSpec) -> list[Node]:
        lbs = list(spec.by_role("lb"))
        if self.nodes == "first-lb":
            return lbs[:1]
        if self.nodes == "second-lb":
            return lbs[1:2]
        if self.nodes in ("lb", "web", "client"):
            return list(spec.by_role(self.nodes))  # type: ignore[arg-type]
        return [spec.node(self.nodes)]

    def words(self, key: str) -> list[str]:
        value = self.args.get(key, [])
        return [value] if isinstance(value, str) else list(value)


def default_steps() -> Path:
    return data_dir("steps") / "cluster-web.toml"


def load_steps(path: Path | None = None) -> list[Step]:
    where = path or default_steps()
    try:
        data = tomllib.loads(where.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise LabFileError(
            Msg("{where}: cannot read the steps ({exc})", where=where, exc=exc)
        ) from None
    steps = []
    for index, item in enumerate(data.get("step", []), 1):
        if not isinstance(item, dict):
            raise LabFileError(
                Msg("{where}: step {index} is not a table", where=where, index=index)
            )
        missing = [k for k in ("id", "title", "hint", "nodes", "kind") if k not in item]
        if missing:
            raise LabFileError(
                Msg(
                    "{where}: step {index} has no {join}",
                    where=where,
                    index=index,
                    join=", ".join(missing),
                )
            )
        if item["kind"] not in KINDS:
            raise LabFileError(
                Msg(
                    "{where}: step {id}: kind must be one of {join}",
                    where=where,
                    id=item["id"],
                    join=", ".join(KINDS),
                )
            )
        titles = {k: v for k, v in item.items() if k in ("title", "hint")}
        for key, value in titles.items():
            if isinstance(value, str):
                titles[key] = dict.fromkeys(LANGS, value)  # (one text for every language)
        args = {k: v for k, v in item.items() if k not in ("id", "title", "hint", "nodes", "kind")}
        steps.append(
            Step(item["id"], titles["title"], titles["hint"], item["nodes"], item["kind"], args)
        )
    if not steps:
        raise LabFileError(Msg("{where}: no [[step]]", where=where))
    return steps
