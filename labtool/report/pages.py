"""The answer sheet as Markdown (with its figure beside it and the event logs folded) or as one
HTML page from templates/report.html.j2."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from labtool.report.sheet import ROWS, Sheet
from labtool.scenarios.words import verdict


def markdown(sheet: Sheet, lab: str, figure_name: str | None) -> str:
    t = sheet.t
    lines = [
        f"# {t['title']}",
        "",
        t["lab"].format(lab=lab, vip=sheet.vip, count=len(sheet.results)),
        "",
        t["table"],
        "| --- | --- | --- |",
    ]
    for kind, scenario in ROWS:
        lines.append(
            "| " + " | ".join(cell.replace("|", "/") for cell in sheet.row(kind, scenario)) + " |"
        )
    lines += ["", f"## {t['questions']}", ""]
    for question, answer in sheet.answers():
        lines += [f"**{question}**", "", answer, ""]
    lines += [f"## {t['scenario']}s", ""]
    for result in sorted(sheet.results.values(), key=lambda r: r["scenario"]):
        said = verdict(result["verdict"], sheet.lang)
        lines += [
            f"### {result['title'][sheet.lang]} (`{result['scenario']}`) : {said}",
            "",
            result["summary"].get(sheet.lang, ""),
            "",
            f"| {t['fact']} | {t['expected']} | {t['observed']} |",
            "| --- | --- | --- |",
        ]
        lines += [
            "| " + " | ".join(cell.replace("|", "/") for cell in row) + " |"
            for row in sheet.checks(result)
        ]
        lines.append("")
    if figure_name:
        lines += [f"## {t['timeline']}", "", f"![{t['timeline']}]({figure_name})", ""]
    lines += [f"## {t['log']}", ""]
    for result in sorted(sheet.results.values(), key=lambda r: r["scenario"]):
        lines += [
            f"<details><summary>{result['scenario']} ({len(result['events'])})</summary>",
            "",
            "```",
        ]
        lines += [json.dumps(e, ensure_ascii=False) for e in result["events"]]
        lines += ["```", "", "</details>", ""]
    return "\n".join(lines)


def html_page(sheet: Sheet, lab: str, figure_png: bytes | None) -> str:
    """The report as one HTML page (templates/report.html.j2, autoescaped), the figure in it."""
    import jinja2

    t = sheet.t
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(Path(__file__).with_name("templates"))),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    scenarios = [
        {
            "title": r["title"][sheet.lang],
            "name": r["scenario"],
            "verdict": verdict(r["verdict"], sheet.lang),
            "summary": r["summary"].get(sheet.lang, ""),
            "checks": [
                {"fact": fact, "expected": expected, "observed": observed}
                for fact, expected, observed in sheet.checks(r)
            ],
            "log": "\n".join(json.dumps(e, ensure_ascii=False) for e in r["events"]),
        }
        for r in sorted(sheet.results.values(), key=lambda r: r["scenario"])
    ]
    return env.get_template("report.html.j2").render(
        lang=sheet.lang,
        t=t,
        intro=t["lab"].format(lab=lab, vip=sheet.vip, count=len(sheet.results)),
        head=[c.strip() for c in t["table"].strip("|").split("|")],
        rows=[sheet.row(k, s) for k, s in ROWS],
        answers=sheet.answers(),
        scenarios=scenarios,
        figure=base64.b64encode(figure_png).decode() if figure_png else "",
    )
