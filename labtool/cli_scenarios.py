"""The CLI's scenario commands: scenario, report, tp (registered on the app by labtool.cli)."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from labtool import lab as labmod
from labtool.backends import backend_class
from labtool.backends.base import Backend
from labtool.console import ConsoleProgress, NameOption, err, fail, out
from labtool.errors import ExitCode
from labtool.scenarios.engine import ScenarioError, ScenarioResult
from labtool.scenarios.model import Scenario
from labtool.spec import LabSpec, load_lab


def scenario(
    name: Annotated[
        str, typer.Argument(help="A scenario (see 'labtool scenario list'), 'all', or 'list'.")
    ],
    lab_name: NameOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable result.")] = False,
) -> None:
    """Run a scenario (or all of them, or list them): expected vs observed."""
    from labtool.scenarios.model import list_scenarios, load_scenario

    if name == "list":
        for scenario_name in list_scenarios():
            loaded = load_scenario(scenario_name)
            out.print(f"{scenario_name:<26} {loaded.title['en']}")
        return
    names = list_scenarios() if name == "all" else [name]
    scenarios = [load_scenario(n) for n in names]
    spec, _, backend = labmod.open_lab(labmod.resolve_name(lab_name))
    results = []
    for loaded in scenarios:
        try:
            results.append(run_one(spec, backend, loaded, quiet=as_json))
        except ScenarioError as exc:  # the cluster is restored: say why, go on with the next
            err.print(
                f"[bold red]labtool: error:[/] {escape(loaded.name)}: {escape(str(exc))}",
                markup=True,
            )
            results.append(exc.result)
    if as_json:
        payload = [r.as_json() for r in results]
        out.print_json(json.dumps(payload[0] if len(payload) == 1 else payload, ensure_ascii=False))
    if any(r.verdict != "pass" for r in results):
        raise typer.Exit(ExitCode.ERROR)


def run_one(spec: LabSpec, backend: Backend, loaded: Scenario, *, quiet: bool) -> ScenarioResult:
    """One scenario with its live view on stderr, then its result table on stdout."""
    from rich.live import Live

    from labtool.live import render
    from labtool.scenarios import engine

    if quiet or not err.is_terminal:
        err.print(f"labtool: running {loaded.name}: {loaded.title['en']}")
        result = engine.run(spec, backend, loaded)
    else:
        with Live(console=err, refresh_per_second=10, transient=True) as live:
            result = engine.run(spec, backend, loaded, view=lambda f: live.update(render(f)))
    if not quiet:
        print_result(result)
    return result


def print_result(result: ScenarioResult) -> None:
    table = Table(title=f"{result.scenario}: {result.title['en']} - {result.verdict.upper()}")
    for column in ("fact", "expected", "observed", ""):
        table.add_column(column)
    for check in result.checks:
        observed = json.dumps(check.observed) + (f" ({check.why})" if check.why else "")
        table.add_row(
            check.fact,
            check.expected,
            observed,
            Text("ok", style="green") if check.ok else Text("NO", style="red"),
        )
    out.print(table)
    facts = result.facts
    out.print(
        f"  outage {facts.outage_s:.2f} s; VIP {facts.vip_holder_before} -> "
        f"{facts.vip_holder_after}; takeover {facts.takeover_s} s (address "
        f"{facts.vip_takeover_s} s, advert {facts.advert_takeover_s} s, gratuitous ARP "
        f"{facts.arp_takeover_s} s); requests {facts.requests}, failed "
        f"{facts.failed_requests}, slow {facts.slow_requests}; served after the fault "
        f"{facts.served_after}"
    )
    for note in result.notes:
        out.print(f"  [yellow]note:[/] {escape(note)}", markup=True)


def report(
    lab_name: NameOption = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="md, json or html.")] = "md",
    lang: Annotated[str, typer.Option("--lang", help="fr (the lab's) or en.")] = "fr",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """The lab's table and answers, from the measured scenarios, with a timeline figure."""
    from labtool import report as reportmod
    from labtool.scenarios.engine import results_dir

    if fmt not in ("md", "json", "html"):
        fail(f"unknown format '{fmt}'. Fix: use md, json or html", ExitCode.USAGE)
    if lang not in ("fr", "en"):
        fail(f"unknown language '{lang}'. Fix: use fr or en", ExitCode.USAGE)
    name = labmod.resolve_name(lab_name)
    spec, _, _ = labmod.open_lab(name)
    results = reportmod.load_results(results_dir(name))
    text, extras = reportmod.build(results, name, str(spec.vip), fmt, lang, output)
    folder = output.parent if output else Path.cwd()
    for extra, content in extras.items():
        (folder / extra).write_bytes(content)
        err.print(f"labtool: figure written to {folder / extra}")
    if output:
        output.write_text(text)
        err.print(f"labtool: report written to {output}")
    else:
        sys.stdout.write(text)


TP_SCENARIOS = ("lose-web1", "lose-haproxy1")  # the lab's table, in its order


def _preload_matplotlib() -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot  # noqa: F401


def tp(
    lab: Annotated[Path | None, typer.Option("--lab", help="Lab file (TOML).")] = None,
    name: NameOption = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="md, json or html.")] = "md",
    lang: Annotated[str, typer.Option("--lang", help="fr (the lab's) or en.")] = "fr",
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Report file (default: labtool-NAME-report.md)."),
    ] = None,
) -> None:
    """Everything the lab asks, in order, on a fresh cluster: up, lose web1, lose haproxy1,
    then the report."""
    from labtool import report as reportmod
    from labtool.scenarios.engine import results_dir
    from labtool.scenarios.model import load_scenario
    from labtool.state import LabState

    spec = load_lab(lab, name)
    backend_class("netns").check_machine()
    if LabState.load(spec.name) is not None:
        fail(
            f"lab '{spec.name}' is already up; labtool tp runs on a fresh cluster. Fix: "
            f"labtool down --name {spec.name}, or labtool tp --name OTHER",
            ExitCode.ERROR,
        )
    scenarios = [load_scenario(n) for n in TP_SCENARIOS]
    started = time.monotonic()
    # The report's figure needs matplotlib: import it while the protocols make us wait.
    threading.Thread(target=_preload_matplotlib, daemon=True).start()
    progress = ConsoleProgress()
    try:
        built = labmod.up(spec, progress)
    finally:
        progress.close()
    waits = built.vrrp_wait_s  # VRRP's own wait, from the first keepalived's start
    out.print(f"lab '{spec.name}' up; VIP answers after {built.vip_s or 0:.2f} s")
    spec, _, backend = labmod.open_lab(spec.name)
    results = [run_one(spec, backend, s, quiet=False) for s in scenarios]
    waits += sum(r.waits_s for r in results)
    output = output or Path(f"labtool-{spec.name}-report.{fmt}")
    text, extras = reportmod.build(
        reportmod.load_results(results_dir(spec.name)), spec.name, str(spec.vip), fmt, lang, output
    )
    for extra, content in extras.items():
        (output.parent / extra).write_bytes(content)
    output.write_text(text)
    total = time.monotonic() - started
    overhead = total - waits
    out.print(f"report: {output}" + "".join(f" (figure: {output.parent / e})" for e in extras))
    out.print(
        f"tp: {total:.1f} s in all, {waits:.1f} s of waits the protocols impose; "
        f"labtool's own overhead {overhead:.1f} s ({100 * overhead / total:.0f} %). "
        f"The lab stays up: labtool down --name {spec.name} when done."
    )
    if any(r.verdict != "pass" for r in results):
        raise typer.Exit(ExitCode.ERROR)


def register(app: typer.Typer) -> None:
    app.command()(scenario)
    app.command()(report)
    app.command()(tp)
