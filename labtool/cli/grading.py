"""The instructor's commands: lint, collect, grade."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from labtool.cli.console import VIEWS, LazyModule, err, out, said
from labtool.cli.options import GradeFormat, Lang, LintFormat, NameOption
from labtool.errors import ExitCode
from labtool.grading import run_jobs
from labtool.i18n import Msg

if TYPE_CHECKING:
    from labtool.cli import views
    from labtool.grading.score.model import Grade
else:
    views = LazyModule(VIEWS)

LabFileOption = Annotated[
    Path | None,
    typer.Option("--lab", help="The lab file the configs are for (TOML; default: the lab's own)."),
]
PathsArgument = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Config files, submissions (folders, .tar.gz, .zip), or folders of them (a "
        "class). lint without any: the running lab's configs.",
        show_default=False,
    ),
]
DaemonsOption = Annotated[
    bool,
    typer.Option(
        "--daemons/--no-daemons",
        help="Also give each file to haproxy -c and keepalived -t, each in a throwaway "
        "network namespace (nothing from a submission is executed).",
    ),
]


def lint(
    paths: PathsArgument = None,
    lab: LabFileOption = None,
    name: NameOption = None,
    fmt: Annotated[
        LintFormat, typer.Option("--format", "-f", help="text or json.")
    ] = LintFormat.text,
    daemons: DaemonsOption = True,
    rules: Annotated[
        bool, typer.Option("--rules", help="List every rule lint has, and stop.")
    ] = False,
    lang: Annotated[
        Lang, typer.Option("--lang", help="The findings' language: en or fr.")
    ] = Lang.en,
) -> None:
    """Check keepalived and HAProxy configs: findings with file:line, rule, why and the fix.
    Exits 1 when a finding is an error."""
    from labtool.grading.commands import lint_all

    if rules:
        return views.rules(fmt is LintFormat.json)
    results = lint_all(paths or [], lab, name, daemons)
    views.findings(results, fmt is LintFormat.json, lang.value)
    if any(f.severity == "error" for _, found in results for f in found):
        raise typer.Exit(ExitCode.ERROR)


def collect(
    name: NameOption = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="A .tar.gz, a .zip or a folder (default: labtool-NAME-submission.tar.gz).",
        ),
    ] = None,
    lang: Annotated[
        Lang, typer.Option("--lang", help="The report's language: fr or en.")
    ] = Lang.fr,
) -> None:
    """Write the running lab as a submission: each node's lab files and the report."""
    from labtool.grading.commands import collect_lab
    from labtool.paths import output_file

    output_file(output, folder_ok=True)
    written, kind, count, has_report = collect_lab(name, output, lang.value)
    if not has_report:
        _warn(NO_REPORT)
    out.print(said(Msg("submission written to {p} ({k}, {n} files)", p=written, k=kind, n=count)))


NO_REPORT = Msg(
    "no scenario has run on this lab, so the submission has no report.md. For the answer "
    "sheet: labtool scenario lose-web1, labtool scenario lose-haproxy1, then collect again"
)


def grade(
    paths: PathsArgument = None,
    rubric: Annotated[
        Path | None,
        typer.Option("--rubric", help="Rubric file (TOML; default: labtool's, 20 points)."),
    ] = None,
    fmt: Annotated[
        GradeFormat,
        typer.Option(
            "--format",
            "-f",
            help="table, json, csv, md, moodle (Moodle's grade import), canvas (Canvas's "
            "gradebook import) or gradescope (one submission's results.json).",
        ),
    ] = GradeFormat.table,
    roster: Annotated[
        Path | None,
        typer.Option(
            "--roster",
            help="Class roster (CSV: submission, then email or student_id, "
            "optionally name and section): the identifiers of --format moodle/canvas.",
        ),
    ] = None,
    lang: Annotated[Lang, typer.Option("--lang", help="Feedback language: fr or en.")] = Lang.fr,
    live: Annotated[
        bool,
        typer.Option(
            "--live",
            help="Grade the running lab: its files, and its behaviour by running the scenarios.",
        ),
    ] = False,
    lab: LabFileOption = None,
    name: NameOption = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="Also write grades.csv, grades.json, summary.md and "
            "one feedback file per student in this folder.",
        ),
    ] = None,
    daemons: DaemonsOption = True,
    behave: Annotated[
        bool,
        typer.Option(
            "--run",
            help="Also build each submission's own cluster (confined), break it as the lab "
            "does, and grade what happens (root).",
        ),
    ] = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            max=32,
            help="With --run: labs at once (default: 15 per core, at most 32, within memory).",
        ),
    ] = None,
) -> None:
    """Grade submissions against a points rubric: per criterion, with reasons and feedback."""
    from labtool.grading import commands as run

    students, started = _before_grading(roster, output), time.monotonic()
    runs = (jobs or run_jobs(), _said) if behave else None
    grades = run.grade_paths(
        paths or [], rubric, lab, name, lang.value, live, daemons, _progress(), runs, _warn
    )
    _write_class(grades, output, lang.value)
    seconds = time.monotonic() - started  # (Gradescope's execution_time)
    text, missing = run.formatted(grades, fmt.value, students, lang.value, seconds)
    _roster_warning(missing, roster)
    if text is None:
        views.grades(grades, lang.value)
    else:
        sys.stdout.write(text)


def _warn(text: str) -> None:
    err.print(said(Msg("labtool: warning: {text}", text=text)))


def _before_grading(roster: Path | None, output: Path | None) -> dict[str, Any]:
    """The roster read and the output folder checked, before minutes of grading."""
    from labtool.grading import commands as run
    from labtool.paths import output_folder

    output_folder(output)
    return run.roster(roster)


def _write_class(grades: list[Grade], output: Path | None, lang: str) -> None:
    from labtool.grading import commands as run

    if output is not None:
        run.write_class(grades, output, lang)
        err.print(said(Msg("labtool: the class's files written to {path}", path=output)))


def _said(submission: str, text: str) -> None:
    """A line per step of each submission's run (grade --run), on stderr."""
    err.print(f"  {submission}: {said(text)}", highlight=False, markup=False)


def _progress() -> Callable[[int, int, str], None]:
    shown = err.is_terminal

    def progress(index: int, count: int, what: str) -> None:
        if shown and count > 3:
            line = Msg("grading {index}/{count}: {what}", index=index + 1, count=count, what=what)
            err.print(f"  {said(line)}", end="\n" if index + 1 == count else "\r")

    return progress


def _roster_warning(missing: list[str], roster: Path | None) -> None:
    if missing:
        names = ", ".join(missing[:5]) + ("..." if len(missing) > 5 else "")
        line = Msg(
            "labtool: {count} submission(s) not in the roster, identified by their name: "
            "{names}{hint}",
            count=len(missing),
            names=names,
            hint="" if roster else Msg(" (give --roster FILE)"),
        )
        err.print(said(line))


def gradescope_autograder(
    output: Annotated[
        Path,
        typer.Option("-o", "--output", help="A new folder: zip its content for Gradescope."),
    ],
    lang: Annotated[Lang, typer.Option("--lang", help="Feedback language: fr or en.")] = Lang.fr,
) -> None:
    """Write Gradescope's autograder: setup.sh and run_autograder (labtool installed on its
    image; each submission graded statically into /autograder/results/results.json)."""
    from labtool.grading.score.gradescope import write_autograder

    write_autograder(output, lang.value)
    out.print(said(Msg("autograder written in {p}: zip its content for Gradescope", p=output)))


def register(app: typer.Typer) -> None:
    for command in (lint, collect, grade):
        app.command()(command)
    app.command("gradescope-autograder")(gradescope_autograder)
