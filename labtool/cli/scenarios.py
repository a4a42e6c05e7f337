"""The scenario commands: scenario, report, tp."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from labtool.cli.console import VIEWS, ConsoleProgress, LazyModule, err, error, out, said
from labtool.cli.options import (
    JsonOption,
    LabOption,
    Lang,
    LangOption,
    NameOption,
    OutputOption,
    ReportFormat,
)
from labtool.errors import ExitCode
from labtool.i18n import Msg, Worded

if TYPE_CHECKING:
    from labtool.backends.base import Backend
    from labtool.cli import views
    from labtool.scenarios.engine import ScenarioError, ScenarioResult
    from labtool.scenarios.model import Scenario
    from labtool.spec.model import LabSpec
else:
    views = LazyModule(VIEWS)

FormatOption = Annotated[ReportFormat, typer.Option("--format", "-f", help="md, json or html.")]


def run_one(
    spec: LabSpec, backend: Backend, loaded: Scenario, quiet: bool = False, lang: str = "fr"
) -> ScenarioResult:
    """One scenario with its live view on stderr, then its result table on stdout."""
    from rich.live import Live

    from labtool.cli.live import render
    from labtool.scenarios import engine

    if quiet or not err.is_terminal:
        line = Msg("labtool: running {name}: {title}", name=loaded.name, title=Worded(loaded.title))
        err.print(said(line))
        result = engine.run(spec, backend, loaded)
    else:
        with Live(console=err, refresh_per_second=10, transient=True) as live:
            result = engine.run(spec, backend, loaded, view=lambda f: live.update(render(f, lang)))
    if not quiet:
        views.scenario_result(result, lang)
    return result


def _runner(quiet: bool, lang: Lang) -> Callable[[LabSpec, Backend, Scenario], ScenarioResult]:
    return lambda spec, backend, loaded: run_one(spec, backend, loaded, quiet, lang.value)


def _failed(name: str, exc: ScenarioError) -> None:
    error(f"{name}: {said(exc.message)}")


def scenario(
    name: Annotated[
        str, typer.Argument(help="A scenario (see 'labtool scenario list'), 'all', or 'list'.")
    ],
    lab_name: NameOption = None,
    as_json: JsonOption = False,
    lang: LangOption = Lang.fr,
) -> None:
    """Run a scenario (or all of them, or list them): expected vs observed, in fr or en."""
    from labtool.scenarios import tp
    from labtool.scenarios.model import list_scenarios, load_scenario

    if name == "list":
        for known in list_scenarios():
            out.print(f"{known:<26} {said(Worded(load_scenario(known).title))}")
        return
    results = tp.run_scenarios(lab_name, tp.scenario_names(name), _runner(as_json, lang), _failed)
    if as_json:
        views.scenario_json(results)
    if any(r.verdict != "pass" for r in results):
        raise typer.Exit(ExitCode.ERROR)


def report(
    lab_name: NameOption = None,
    fmt: FormatOption = ReportFormat.md,
    lang: LangOption = Lang.fr,
    output: OutputOption = None,
) -> None:
    """The lab's table and answers, from the measured scenarios, with a timeline figure."""
    from labtool.paths import output_file
    from labtool.scenarios.tp import write_report

    output_file(output)
    text, figures = write_report(lab_name, fmt.value, lang.value, output)
    for figure in figures:
        err.print(said(Msg("labtool: figure written to {path}", path=figure)))
    if output:
        err.print(said(Msg("labtool: report written to {path}", path=output)))
    else:
        sys.stdout.write(text)


def tp(
    lab: LabOption = None,
    name: NameOption = None,
    fmt: FormatOption = ReportFormat.md,
    lang: LangOption = Lang.fr,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Report file (default: labtool-NAME-report.md)."),
    ] = None,
) -> None:
    """Everything the lab asks, in order, on a fresh cluster: up, lose web1, lose haproxy1,
    then the report."""
    from labtool.paths import output_file
    from labtool.scenarios.tp import run_tp

    output_file(output)  # (before the lab is built)
    with ConsoleProgress() as progress:
        run = run_tp(lab, name, fmt.value, lang.value, output, progress, run_one)
    views.tp(run)
    if any(r.verdict != "pass" for r in run.results):
        raise typer.Exit(ExitCode.ERROR)


def register(app: typer.Typer) -> None:
    for command in (scenario, report, tp):
        app.command()(command)
