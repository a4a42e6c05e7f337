"""The lab's answer sheet (layer 8), from the measured scenario results only.

The lab's table "Evenement | Evenement attendu | Evenement obtenu" with its two rows, the
answers to its three questions each backed by its evidence, a timeline figure and the raw event
log, as Markdown, HTML or JSON, in French (the lab's language) or English. Every number comes
from a result's facts or from the theory computed from the configs in use.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from labtool.errors import LabtoolError
from labtool.i18n import Msg
from labtool.report.pages import html_page, markdown
from labtool.report.sheet import ROWS, Sheet


def load_results(folder: Path) -> dict[str, dict[str, Any]]:
    results = {}
    paths = sorted(folder.glob("*.json")) if folder.is_dir() else []
    for path in [p for p in paths if not p.name.endswith(".error.json")]:  # not measured
        data = json.loads(path.read_text())
        results[data["scenario"]] = data
    if not results:
        raise LabtoolError(
            Msg(
                "no scenario has been run on this lab yet. Fix: labtool scenario "
                "lose-web1 and labtool scenario lose-haproxy1 (or labtool tp)"
            )
        )
    return results


def build(
    results: dict[str, dict[str, Any]], lab: str, vip: str, fmt: str, lang: str, output: Path | None
) -> tuple[str, dict[str, bytes]]:
    """The report's text, and the extra files (figure) to write beside it."""
    sheet = Sheet(results, lang, vip)
    if fmt == "json":
        return json.dumps(
            {
                "lab": lab,
                "vip": vip,
                "lang": lang,
                "table": [
                    dict(zip(("event", "expected", "observed"), sheet.row(k, s), strict=True))
                    for k, s in ROWS
                ],
                "answers": [{"question": q, "answer": a} for q, a in sheet.answers()],
                "results": results,
            },
            indent=1,
            ensure_ascii=False,
        ), {}
    from labtool.report.figure import timeline_png

    ordered = [results[s] for _, s in ROWS if s in results] + sheet.others()
    png = timeline_png(ordered, lang)
    if fmt == "html":
        return html_page(sheet, lab, png), {}
    if fmt != "md":
        raise LabtoolError(Msg("unknown format '{fmt}'. Fix: use md, json or html", fmt=fmt))
    name = (output.stem if output else f"labtool-{lab}") + "-timeline.png"
    return markdown(sheet, lab, name), {name: png}
