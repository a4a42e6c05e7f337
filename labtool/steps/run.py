"""`labtool check`: every step of the lab, looked at once on the running lab."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labtool.provision import lab as labmod
from labtool.provision.node import local_versions, versions_on
from labtool.steps.check import Checker, StepResult
from labtool.steps.model import load_steps


@dataclass
class CheckReport:
    lab: str
    steps: list[StepResult]

    @property
    def done(self) -> int:
        return sum(1 for s in self.steps if s.ok)

    def as_json(self) -> dict[str, Any]:
        return {
            "lab": self.lab,
            "steps": [s.as_json() for s in self.steps],
            "done": self.done,
            "total": len(self.steps),
        }


def check_lab(name: str | None, lang: str, steps_file: Path | None = None) -> CheckReport:
    steps = load_steps(steps_file)
    lab_name = labmod.resolve_name(name)
    spec, _, backend = labmod.open_lab(lab_name)
    if backend.installs_packages:  # machines of their own: their daemons' versions
        versions = versions_on(backend.transport(spec.by_role("lb")[0].name))
    else:
        versions = local_versions()
    return CheckReport(lab_name, Checker(spec, backend, versions, lang).check_all(steps))
