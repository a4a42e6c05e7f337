"""The CLI's instructor commands: lint, collect, grade (registered on the app by labtool.cli)."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from labtool import lab as labmod
from labtool.configs.common import Finding
from labtool.console import NameOption, err, fail, out
from labtool.errors import ExitCode, LabtoolError
from labtool.spec import LabSpec, default_spec, load_lab

LabFileOption = Annotated[
    Path | None,
    typer.Option("--lab", help="The lab file the configs are for (TOML; default: the lab's own)."),
]
STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def _spec(lab: Path | None) -> LabSpec:
    return load_lab(lab) if lab is not None else default_spec()


def lint(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Config files, or submission folders/archives. None: the running lab's configs.",
            show_default=False,
        ),
    ] = None,
    lab: LabFileOption = None,
    name: NameOption = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    daemons: Annotated[
        bool,
        typer.Option(
            "--daemons/--no-daemons",
            help="Also run haproxy -c and keepalived -t, in a throwaway "
            "network namespace, where installed.",
        ),
    ] = True,
) -> None:
    """Check keepalived and HAProxy configs: findings with file:line, rule, why and the fix.
    Exits 1 when a finding is an error."""
    from labtool.grading.configset import ConfigSet, from_files, from_nodes
    from labtool.grading.daemons import daemon_checks
    from labtool.grading.grade import plan_target
    from labtool.grading.lint import Target
    from labtool.grading.lint import lint as run_lint
    from labtool.grading.plan import read_submission
    from labtool.grading.submission import is_archive, open_submission

    if fmt not in ("text", "json"):
        fail(f"unknown format '{fmt}'. Fix: use text or json", ExitCode.USAGE)
    paths = paths or []
    sets: list[tuple[str, ConfigSet, LabSpec, Target | None]] = []
    with tempfile.TemporaryDirectory(prefix="labtool-lint-") as tmp:
        if not paths:
            lab_name = labmod.resolve_name(name)
            spec, _, backend = labmod.open_lab(lab_name)
            from labtool.grading.collect import read_node_file

            spec = _spec(lab) if lab else spec
            sets.append(
                (
                    f"lab {lab_name}",
                    from_nodes(spec, lambda node, path: read_node_file(backend, node, path)),
                    spec,
                    None,
                )
            )
        else:
            spec = _spec(lab)
            missing = [p for p in paths if not p.exists()]
            if missing:
                fail(f"{missing[0]}: no such file or folder", ExitCode.USAGE)
            files = [p for p in paths if p.is_file() and not is_archive(p)]
            if files:
                sets.append(("files", from_files(files), spec, None))
            nodes = {n.name for n in spec.nodes}
            for path in paths:
                if path.is_dir() or is_archive(path):
                    submission = open_submission(path, Path(tmp), nodes)
                    if submission.root is None:
                        fail(submission.error or f"{path}: cannot be read", ExitCode.USAGE)
                    # a submission: its own node names and plan, as grade reads it
                    configs, plan = read_submission(submission.root, spec)
                    sets.append((str(path), configs, spec, plan_target(plan, spec)))
        results: list[tuple[str, list[Finding]]] = []
        for title, configs, used, target in sets:
            found = run_lint(configs, used, target)
            if daemons:
                found = sorted(
                    found + daemon_checks(configs, used.nic), key=lambda f: (f.file, f.line or 0)
                )
            results.append((title, found))
    if fmt == "json":
        out.print_json(
            json.dumps(
                [
                    {"source": title, "findings": [f.as_dict() for f in found]}
                    for title, found in results
                ],
                ensure_ascii=False,
            )
        )
    else:
        for title, found in results:
            _print_findings(title, found)
    if any(f.severity == "error" for _, found in results for f in found):
        raise typer.Exit(ExitCode.ERROR)


def _print_findings(title: str, found: list[Finding]) -> None:
    counts = {s: sum(1 for f in found if f.severity == s) for s in STYLE}
    out.print(
        f"[bold]{escape(title)}[/]: {counts['error']} error(s), {counts['warning']} "
        f"warning(s), {counts['info']} note(s)",
        markup=True,
    )
    for finding in found:
        style = STYLE.get(finding.severity, "")
        out.print(
            f"{escape(finding.where())}: [{style}]{finding.severity}[/] "
            f"[dim]{finding.rule}[/] {escape(finding.message)}",
            markup=True,
        )
        if finding.explanation:
            out.print(f"    why: {escape(finding.explanation)}", markup=True)
        if finding.fix:
            fix = finding.fix.replace("\n", "\n         ")
            out.print(f"    fix: {escape(fix)}", markup=True)


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
    lang: Annotated[str, typer.Option("--lang", help="The report's language: fr or en.")] = "fr",
) -> None:
    """Write the running lab as a submission: each node's lab files and the report."""
    from labtool import report as reportmod
    from labtool.grading.collect import gather, write
    from labtool.scenarios.engine import results_dir

    if lang not in ("fr", "en"):
        fail(f"unknown language '{lang}'. Fix: use fr or en", ExitCode.USAGE)
    lab_name = labmod.resolve_name(name)
    spec, _, backend = labmod.open_lab(lab_name)
    output = output or Path(f"labtool-{lab_name}-submission.tar.gz")
    if output.exists():
        fail(
            f"{output} already exists; collect never overwrites. Fix: remove it or choose "
            "another -o",
            ExitCode.USAGE,
        )
    try:
        results = reportmod.load_results(results_dir(lab_name))
    except LabtoolError:  # no scenario has run yet
        results = {}
    text: str | None = None
    extras: dict[str, bytes] = {}
    if results:
        text, extras = reportmod.build(
            results, lab_name, str(spec.vip), "md", lang, Path("report.md")
        )
    else:
        err.print(
            "labtool: warning: no scenario has run on this lab, so the submission has "
            "no report.md. For the answer sheet: labtool scenario lose-web1, labtool "
            "scenario lose-haproxy1, then collect again"
        )
    files = gather(spec, backend, text, extras)
    kind = write(files, output)
    out.print(f"submission written to {output} ({kind}, {len(files)} files)")


def grade(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Submissions (folders, .tar.gz, .zip), or folders of them (a class).",
            show_default=False,
        ),
    ] = None,
    rubric: Annotated[
        Path | None,
        typer.Option("--rubric", help="Rubric file (TOML; default: labtool's, 20 points)."),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="table, json, csv, md, moodle "
            "(Moodle's grade import) or canvas (Canvas's "
            "gradebook import).",
        ),
    ] = "table",
    roster: Annotated[
        Path | None,
        typer.Option(
            "--roster",
            help="Class roster (CSV: submission, then email or student_id, "
            "optionally name and section): the identifiers of --format moodle/canvas.",
        ),
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="Feedback language: fr or en.")] = "fr",
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
            help="Also write grades.csv, grades.json, summary.md and one "
            "feedback file per student in this folder.",
        ),
    ] = None,
    daemons: Annotated[
        bool,
        typer.Option(
            "--daemons/--no-daemons",
            help="Also give each file to haproxy -c and keepalived -t, "
            "each in a throwaway network namespace (nothing from a submission is executed).",
        ),
    ] = True,
) -> None:
    """Grade submissions against a points rubric: per criterion, with reasons and feedback."""
    from labtool.grading import grade as gradermod
    from labtool.grading.rubric import load_rubric
    from labtool.grading.submission import discover

    if fmt not in ("table", "json", "csv", "md", "moodle", "canvas"):
        fail(
            f"unknown format '{fmt}'. Fix: use table, json, csv, md, moodle or canvas",
            ExitCode.USAGE,
        )
    students = gradermod.read_roster(roster) if roster is not None else {}
    if lang not in ("fr", "en"):
        fail(f"unknown language '{lang}'. Fix: use fr or en", ExitCode.USAGE)
    paths = paths or []
    if not paths and not live:
        fail(
            "nothing to grade. Fix: labtool grade SUBMISSION... (or --live for the running lab)",
            ExitCode.USAGE,
        )
    if live and len(paths) > 1:
        fail("--live grades one lab: give at most one submission with it", ExitCode.USAGE)
    loaded = load_rubric(rubric)
    spec = _spec(lab)
    results: gradermod.LiveResults | None = None
    with tempfile.TemporaryDirectory(prefix="labtool-grade-") as tmp:
        if live:
            paths, results, spec = _live(name, lang, Path(tmp), paths)
        found = discover(paths, {n.name for n in spec.nodes})
        work = Path(tmp) / "unpacked"
        work.mkdir()
        shown = err.is_terminal and len(found) > 3

        def progress(index: int, count: int, what: str) -> None:
            if shown:
                err.print(f"  grading {index + 1}/{count}: {what}", end="\r")

        grades = gradermod.grade_all(found, spec, loaded, work, lang, results, progress, daemons)
    if shown:
        err.print()
    if output is not None:
        _write_class(grades, output, lang)
    if fmt == "json":
        sys.stdout.write(gradermod.to_json(grades) + "\n")
    elif fmt == "csv":
        sys.stdout.write(gradermod.to_csv(grades))
    elif fmt in ("moodle", "canvas"):
        missing = gradermod.unmatched(grades, students)
        if missing:
            err.print(
                f"labtool: {len(missing)} submission(s) not in the roster, identified by "
                f"their name: {', '.join(missing[:5])}{'...' if len(missing) > 5 else ''}"
                + ("" if roster else " (give --roster FILE)")
            )
        sys.stdout.write(
            gradermod.to_moodle(grades, students, lang)
            if fmt == "moodle"
            else gradermod.to_canvas(grades, students)
        )
    elif fmt == "md":
        if len(grades) == 1:
            sys.stdout.write(gradermod.feedback(grades[0], lang))
        else:
            sys.stdout.write(gradermod.summary(grades, lang))
    else:
        _print_grades(grades, lang)


def _live(
    name: str | None, lang: str, tmp: Path, paths: list[Path]
) -> tuple[list[Path], dict[str, dict[str, Any]], LabSpec]:
    """Run the lab's scenarios on the running lab; its files are the submission unless one
    is given."""
    from labtool import report as reportmod
    from labtool.cli_scenarios import TP_SCENARIOS, run_one
    from labtool.grading.collect import gather, write
    from labtool.scenarios.engine import results_dir
    from labtool.scenarios.model import load_scenario

    lab_name = labmod.resolve_name(name)
    spec, _, backend = labmod.open_lab(lab_name)
    results = {
        s: run_one(spec, backend, load_scenario(s), quiet=True).as_json() for s in TP_SCENARIOS
    }
    if not paths:
        text, extras = reportmod.build(
            reportmod.load_results(results_dir(lab_name)),
            lab_name,
            str(spec.vip),
            "md",
            lang,
            Path("report.md"),
        )
        folder = tmp / lab_name
        write(gather(spec, backend, text, extras), folder)
        paths = [folder]
    return paths, results, spec


def _write_class(grades: list[Any], folder: Path, lang: str) -> None:
    from labtool.grading import grade as gradermod

    folder.mkdir(parents=True, exist_ok=True)
    feedback = folder / "feedback"
    feedback.mkdir(exist_ok=True)
    (folder / "grades.csv").write_text(gradermod.to_csv(grades))
    (folder / "grades.json").write_text(gradermod.to_json(grades) + "\n")
    (folder / "summary.md").write_text(gradermod.summary(grades, lang))
    used: set[str] = set()
    for one in grades:
        stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in one.submission)
        stem = stem.lstrip(".") or "submission"
        while stem in used:
            stem += "_"
        used.add(stem)
        (feedback / f"{stem}.md").write_text(gradermod.feedback(one, lang))
    err.print(
        f"labtool: grades.csv, grades.json, summary.md and {len(grades)} feedback "
        f"file(s) written to {folder}"
    )


TABLE = {
    "fr": ("{n} rendu(s)", "rendu", "score", "note", "points perdus (premières raisons)"),
    "en": ("{n} submission(s)", "submission", "score", "grade", "lost points (first reasons)"),
}


def _print_grades(grades: list[Any], lang: str) -> None:
    title, submission, score, grade, lost = TABLE[lang]
    table = Table(title=title.format(n=len(grades)))
    for column in (submission, score, f"/{grades[0].total:g}" if grades else grade, lost):
        table.add_column(column)
    for one in grades:
        reasons = [f"{r.criterion}: {r.message}" for r in one.findings if r.points_lost]
        table.add_row(
            one.submission,
            f"{one.score:g}/{one.max:g}",
            f"{one.grade:g}",
            one.error or "; ".join(reasons[:3]) + (" ..." if len(reasons) > 3 else ""),
        )
    out.print(table)


def register(app: typer.Typer) -> None:
    app.command()(lint)
    app.command()(collect)
    app.command()(grade)
