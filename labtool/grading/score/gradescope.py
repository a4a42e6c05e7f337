"""Grades into Gradescope: one submission's `results.json` as Gradescope's autograder
specification defines it (`score`, `execution_time`, `output`, `tests[]` with `name`,
`score`, `max_score`, `output`, `visibility`), a test per rubric criterion with its reasons;
and the autograder's own files (`setup.sh`, `run_autograder`, labtool beside them), which
install labtool on Gradescope's image and grade `/autograder/submission` statically."""

from __future__ import annotations

import importlib.metadata
import json
import shutil
from pathlib import Path
from typing import Any

import labtool
from labtool.errors import LabtoolError
from labtool.grading.score.exports import feedback_text
from labtool.grading.score.model import Grade
from labtool.i18n import Msg

VISIBILITY = ("hidden", "after_due_date", "after_published", "visible")


def results(grade: Grade, lang: str, seconds: float = 0.0) -> dict[str, Any]:
    """One submission's results.json: its grade on the rubric's total, a test per criterion."""
    tests = []
    for number, score in enumerate(grade.criteria, 1):
        lines = [
            f"{r.file + ': ' if r.file else ''}{r.message} (-{r.points_lost:g})"
            for r in score.reasons
        ]
        tests.append(
            {
                "name": score.title,
                "number": str(number),
                "score": score.points,
                "max_score": score.max,
                "output": "\n".join(lines),
                "visibility": "visible",
            }
        )
    return {
        "score": grade.grade,
        "execution_time": round(seconds, 2),
        "output": feedback_text(grade, lang),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def to_gradescope(grades: list[Grade], lang: str, seconds: float = 0.0) -> str:
    if len(grades) != 1:
        raise LabtoolError(
            Msg(
                "--format gradescope grades one submission (Gradescope runs its autograder "
                "once per submission); {count} were given",
                count=len(grades),
            )
        )
    return json.dumps(results(grades[0], lang, seconds), indent=1, ensure_ascii=False) + "\n"


SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (choose its
# Ubuntu 24.04 base: labtool needs Python 3.11 or later). Written by labtool {version}.
set -eu
apt-get update
apt-get install -y python3 python3-venv haproxy keepalived
python3 -m venv /autograder/labtool-venv
/autograder/labtool-venv/bin/pip install -r /autograder/source/requirements.txt
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for each submission: the student's files in /autograder/submission,
# the grade in /autograder/results/results.json. Written by labtool {version}.
root="${{AUTOGRADER_ROOT:-/autograder}}"
python="${{LABTOOL_PYTHON:-$root/labtool-venv/bin/python}}"
mkdir -p "$root/results"
started=$(date +%s)
if PYTHONPATH="$root/source" "$python" -m labtool grade "$root/submission" \\
        --format gradescope --lang {lang} > "$root/results/results.json.part" \\
        2> "$root/results/labtool-stderr.txt"; then
    mv "$root/results/results.json.part" "$root/results/results.json"
else
    said=$(tail -c 2000 "$root/results/labtool-stderr.txt" | python3 -c \\
        'import json, sys; print(json.dumps("labtool could not grade: " + sys.stdin.read()))')
    printf '{{"score": 0, "execution_time": %s, "output": %s, "tests": []}}\\n' \\
        "$(( $(date +%s) - started ))" "$said" > "$root/results/results.json"
fi
"""


def write_autograder(folder: Path, lang: str) -> list[Path]:
    """setup.sh, run_autograder, requirements.txt and labtool's own package in `folder`: zip
    its content as Gradescope's autograder."""
    if folder.exists() and any(folder.iterdir()):
        raise LabtoolError(Msg("{folder} is not empty: give a new folder", folder=folder))
    version = labtool.__version__
    setup, run = folder / "setup.sh", folder / "run_autograder"
    requires = importlib.metadata.requires("labtool") or []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        setup.write_text(SETUP.format(version=version))
        run.write_text(RUN.format(version=version, lang=lang))
        for script in (setup, run):
            script.chmod(0o755)
        (folder / "requirements.txt").write_text(
            "".join(f"{r}\n" for r in requires if "extra ==" not in r)
        )
        shutil.copytree(
            Path(labtool.__file__).parent,
            folder / "labtool",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
    except OSError as exc:
        raise LabtoolError(
            Msg("cannot write the autograder in {folder}: {why}", folder=folder, why=exc.strerror)
        ) from None
    return [setup, run, folder / "requirements.txt", folder / "labtool"]
