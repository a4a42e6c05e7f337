"""What the instructor's commands do, as library calls: lint configs or submissions, collect
the running lab as a submission, grade submissions (or the running lab, --live), and write a
class's files. The CLI only shows the results."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from labtool.configs.common import Finding
from labtool.errors import LabtoolError, UsageError
from labtool.grading.score import exports
from labtool.grading.score import grade as gradermod
from labtool.grading.score.model import Grade, LiveResults
from labtool.grading.work import work_folder
from labtool.i18n import Msg
from labtool.provision import lab as labmod
from labtool.spec.load import default_spec, load_lab
from labtool.spec.model import LabSpec

Progress = Callable[[int, int, str], None]


def lab_spec(lab: Path | None) -> LabSpec:
    return load_lab(lab) if lab is not None else default_spec()


def lint_all(
    paths: Sequence[Path], lab: Path | None, name: str | None, daemons: bool
) -> list[tuple[str, list[Finding]]]:
    """(title, findings) per config set: loose files together, each submission on its own
    plan, or the running lab's files when no path is given."""
    from labtool.grading.lint import lint
    from labtool.grading.lint.base import Target
    from labtool.grading.lint.daemons import daemon_checks
    from labtool.grading.submission.archives import is_archive, open_submission
    from labtool.grading.submission.configset import ConfigSet, from_files, from_nodes
    from labtool.grading.submission.plan import read_submission

    sets: list[tuple[str, ConfigSet, LabSpec, Target | None]] = []
    with tempfile.TemporaryDirectory(prefix="labtool-lint-") as tmp:
        if not paths:
            from labtool.grading.submission.collect import read_node_file

            lab_name = labmod.resolve_name(name)
            spec, _, backend = labmod.open_lab(lab_name)
            spec = lab_spec(lab) if lab else spec
            configs = from_nodes(spec, lambda node, path: read_node_file(backend, node, path))
            sets.append((f"lab {lab_name}", configs, spec, None))
        else:
            spec = lab_spec(lab)
            missing = [p for p in paths if not p.exists()]
            if missing:
                raise UsageError(Msg("{value}: no such file or folder", value=missing[0]))
            files = [p for p in paths if p.is_file() and not is_archive(p)]
            if files:
                sets.append((Msg("files"), from_files(files), spec, None))
            nodes = {n.name for n in spec.nodes}
            for path in paths:
                if path.is_dir() or is_archive(path):
                    submission = open_submission(path, Path(tmp), nodes)
                    if submission.root is None:
                        raise UsageError(submission.error or f"{path}: cannot be read")
                    # a submission: its own node names and plan, as grade reads it
                    configs, plan = read_submission(submission.root, spec)
                    sets.append((str(path), configs, spec, gradermod.plan_target(plan, spec)))
        results: list[tuple[str, list[Finding]]] = []
        for title, configs, used, target in sets:
            found = lint(configs, used, target)
            if daemons:
                found = sorted(
                    found + daemon_checks(configs, used.nic), key=lambda f: (f.file, f.line or 0)
                )
            results.append((title, found))
    return results


def collect_lab(name: str | None, output: Path | None, lang: str) -> tuple[Path, str, int, bool]:
    """Write the running lab as a submission: (where, its kind, how many files, whether it
    has a report.md)."""
    from labtool import report as reportmod
    from labtool.grading.submission.collect import gather, write
    from labtool.scenarios.engine import results_dir

    lab_name = labmod.resolve_name(name)
    spec, _, backend = labmod.open_lab(lab_name)
    output = output or Path(f"labtool-{lab_name}-submission.tar.gz")
    if output.exists():
        raise UsageError(
            Msg(
                "{output} already exists; collect never overwrites. Fix: remove it or "
                "choose another -o",
                output=output,
            )
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
    files = gather(spec, backend, text, extras)
    return output, write(files, output), len(files), bool(results)


def _live(
    name: str | None, lang: str, tmp: Path, paths: list[Path]
) -> tuple[list[Path], dict[str, dict[str, Any]], LabSpec]:
    """Run the lab's scenarios on the running lab; its files are the submission unless one
    is given."""
    from labtool import report as reportmod
    from labtool.grading.submission.collect import gather, write
    from labtool.scenarios import engine
    from labtool.scenarios.model import load_scenario
    from labtool.scenarios.tp import TP_SCENARIOS

    lab_name = labmod.resolve_name(name)
    spec, _, backend = labmod.open_lab(lab_name)
    results = {s: engine.run(spec, backend, load_scenario(s)).as_json() for s in TP_SCENARIOS}
    if not paths:
        text, extras = reportmod.build(
            reportmod.load_results(engine.results_dir(lab_name)),
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


def roster(path: Path | None) -> dict[str, Any]:
    return exports.read_roster(path) if path is not None else {}


def grade_paths(
    paths: list[Path],
    rubric: Path | None,
    lab: Path | None,
    name: str | None,
    lang: str,
    live: bool,
    daemons: bool,
    progress: Progress,
    runs: tuple[int, Callable[[str, str], None]] | None = None,
    warn: Callable[[str], None] | None = None,
) -> list[Grade]:
    """Grade each submission found under the paths (or the running lab, with live); with
    `runs` (jobs, what to say), each one's own cluster is run too (grade --run). `warn` hears
    what the rubric leaves unsaid (rules neither graded nor named as notes)."""
    from labtool.grading.score.rubric import load_rubric
    from labtool.grading.submission.archives import discover

    if not paths and not live:
        raise UsageError(
            Msg(
                "nothing to grade. Fix: labtool grade SUBMISSION... (or --live for the running lab)"
            )
        )
    if live and len(paths) > 1:
        raise UsageError(Msg("--live grades one lab: give at most one submission with it"))
    if runs is not None:
        if live:
            raise UsageError(Msg("--run builds each submission's own cluster: not with --live"))
        from labtool import doctor

        doctor.require_root()  # (the cgroups that bound each lab)
        doctor.require()  # the daemons the labs run
    loaded = load_rubric(rubric)
    if loaded.unnamed and warn is not None:
        warn(
            f"the rubric {loaded.source} grades no criterion with the rule(s) "
            f"{', '.join(loaded.unnamed)} and does not name them as notes: their findings "
            "are notes in the feedback, worth no points. Fix: add them to a criterion's "
            "'rules', or to 'notes'"
        )
    spec = lab_spec(lab)
    results: LiveResults | None = None
    with work_folder() as tmp:
        if live:
            paths, results, spec = _live(name, lang, Path(tmp), paths)
        found = discover(paths, {n.name for n in spec.nodes})
        work = Path(tmp) / "unpacked"
        work.mkdir()
        return gradermod.grade_all(
            found,
            spec,
            loaded,
            work,
            lang,
            results,
            progress,
            daemons,
            run_jobs=runs[0] if runs else None,
            say=runs[1] if runs else None,
        )


def write_class(grades: list[Grade], folder: Path, lang: str) -> None:
    """grades.csv, grades.json, summary.md and one feedback file per student."""
    folder.mkdir(parents=True, exist_ok=True)
    feedback = folder / "feedback"
    feedback.mkdir(exist_ok=True)
    (folder / "grades.csv").write_text(exports.to_csv(grades))
    (folder / "grades.json").write_text(exports.to_json(grades) + "\n")
    (folder / "summary.md").write_text(exports.summary(grades, lang))
    used: set[str] = set()
    for one in grades:
        stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in one.submission)
        stem = stem.lstrip(".") or "submission"
        while stem in used:
            stem += "_"
        used.add(stem)
        (feedback / f"{stem}.md").write_text(exports.feedback(one, lang))


def formatted(
    grades: list[Grade], fmt: str, students: dict[str, Any], lang: str, seconds: float = 0.0
) -> tuple[str | None, list[str]]:
    """The grades in a file format (None for the table, which the CLI draws), and, for the
    gradebook imports, the submissions the roster does not name."""
    missing = exports.unmatched(grades, students) if fmt in ("moodle", "canvas") else []
    if fmt == "json":
        return exports.to_json(grades) + "\n", missing
    if fmt == "csv":
        return exports.to_csv(grades), missing
    if fmt == "moodle":
        return exports.to_moodle(grades, students, lang), missing
    if fmt == "canvas":
        return exports.to_canvas(grades, students), missing
    if fmt == "gradescope":
        from labtool.grading.score.gradescope import to_gradescope

        return to_gradescope(grades, lang, seconds), missing
    if fmt == "md" and len(grades) == 1:
        return exports.feedback(grades[0], lang), missing
    if fmt == "md":
        return exports.summary(grades, lang), missing
    return None, missing
