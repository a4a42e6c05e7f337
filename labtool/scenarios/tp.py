"""What the scenario commands do, as library calls: run scenarios, write the report, and `tp`,
the whole lab in order (up, lose web1, lose haproxy1, the report). The CLI only shows them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from labtool.backends import DEFAULT_BACKEND, backend_class
from labtool.backends.base import Backend
from labtool.errors import LabtoolError
from labtool.i18n import Msg
from labtool.provision import lab as labmod
from labtool.scenarios.engine import ScenarioError, ScenarioResult, results_dir
from labtool.scenarios.model import Scenario, list_scenarios, load_scenario
from labtool.spec.load import load_lab
from labtool.spec.model import LabSpec
from labtool.state import LabState

TP_SCENARIOS = ("lose-web1", "lose-haproxy1")  # the lab's table, in its order

RunOne = Callable[[LabSpec, Backend, Scenario], ScenarioResult]


def scenario_names(name: str) -> list[str]:
    """A scenario's name, or every scenario for 'all'."""
    return list_scenarios() if name == "all" else [name]


def run_scenarios(
    lab_name: str | None,
    names: Sequence[str],
    run_one: RunOne,
    on_error: Callable[[str, ScenarioError], None],
) -> list[ScenarioResult]:
    """Each scenario in turn on the running lab; one that fails is reported (the cluster is
    restored) and the next one runs."""
    scenarios = [load_scenario(n) for n in names]
    spec, _, backend = labmod.open_lab(labmod.resolve_name(lab_name))
    results = []
    for loaded in scenarios:
        try:
            results.append(run_one(spec, backend, loaded))
        except ScenarioError as exc:
            on_error(loaded.name, exc)
            results.append(exc.result)
    return results


def write_report(
    lab_name: str | None, fmt: str, lang: str, output: Path | None
) -> tuple[str, list[Path]]:
    """The report's text, and the figures written beside it (or in the current folder). The
    text is also written to `output` if given."""
    from labtool import report as reportmod

    name = labmod.resolve_name(lab_name)
    spec, _, _ = labmod.open_lab(name)
    results = reportmod.load_results(results_dir(name))
    text, extras = reportmod.build(results, name, str(spec.vip), fmt, lang, output)
    folder = output.parent if output else Path.cwd()
    written = []
    for extra, content in extras.items():
        (folder / extra).write_bytes(content)
        written.append(folder / extra)
    if output:
        output.write_text(text)
    return text, written


@dataclass
class TpRun:
    spec: LabSpec
    up: labmod.UpReport
    results: list[ScenarioResult]
    report: Path
    figures: list[Path]
    total_s: float
    waits_s: float  # what the protocols impose: VRRP's start-up wait, the scenarios' waits

    @property
    def overhead_s(self) -> float:
        return self.total_s - self.waits_s


def _preload_matplotlib() -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot  # noqa: F401


def run_tp(
    lab: Path | None,
    name: str | None,
    fmt: str,
    lang: str,
    output: Path | None,
    progress: labmod.Progress,
    run_one: RunOne,
) -> TpRun:
    """Everything the lab asks, in order, on a fresh cluster."""
    spec = load_lab(lab, name)
    backend_class(DEFAULT_BACKEND).check_machine()
    if LabState.load(spec.name) is not None:
        raise LabtoolError(
            Msg(
                "lab '{name}' is already up; labtool tp runs on a fresh cluster. Fix: "
                "labtool down --name {name}, or labtool tp --name OTHER",
                name=spec.name,
            )
        )
    scenarios = [load_scenario(n) for n in TP_SCENARIOS]
    started = time.monotonic()
    # The report's figure needs matplotlib: import it while the protocols make us wait.
    threading.Thread(target=_preload_matplotlib, daemon=True).start()
    built = labmod.up(spec, progress)
    progress.step(
        Msg(
            "lab '{name}' up; the VIP answers after {vip_s:.2f} s",
            name=spec.name,
            vip_s=built.vip_s or 0,
        )
    )
    spec, _, backend = labmod.open_lab(spec.name)
    results = [run_one(spec, backend, s) for s in scenarios]
    output = output or Path(f"labtool-{spec.name}-report.{fmt}")
    _, figures = write_report(spec.name, fmt, lang, output)
    return TpRun(
        spec,
        built,
        results,
        output,
        figures,
        time.monotonic() - started,
        built.vrrp_wait_s + sum(r.waits_s for r in results),
    )
