"""`labtool tp` on a fresh cluster, and its report: no empty cell, every number from the log."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.integration.conftest import STATE_ROOT, labtool

LAB = "it-tp"
NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)?(?![\w.]|,\d)")
# Constants of formulas and of the lab itself, not measurements: 3 x advert_int, port 80, the
# 0.5 s slow threshold.
CONSTANTS = {"3", "80", "0.5"}


def numbers_from(value: Any, found: set[str]) -> None:
    """Every number of the results, as the report may print it."""
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int | float):
        found.add(str(value))
        for digits in (1, 2):
            found.add(f"{value:.{digits}f}")
        if isinstance(value, float) and value.is_integer():
            found.add(str(int(value)))
    elif isinstance(value, dict):
        for item in value.values():
            numbers_from(item, found)
    elif isinstance(value, list):
        for item in value:
            numbers_from(item, found)


def test_tp_runs_the_lab_and_writes_a_full_report(tmp_path: Path) -> None:
    report = tmp_path / "rapport.md"
    try:
        run = labtool("tp", "--name", LAB, "-o", str(report), timeout_s=300)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "labtool's own overhead" in run.stdout
        text = report.read_text()
        figure = tmp_path / "rapport-timeline.png"
        assert figure.read_bytes().startswith(b"\x89PNG")
        assert "![Chronologie](rapport-timeline.png)" in text

        table = [line for line in text.splitlines() if line.startswith("| Perte du premier")]
        assert len(table) == 2
        for row in table:
            cells = [c.strip() for c in row.strip("|").split("|")]
            assert len(cells) == 3 and all(cells), row
            assert "?" not in row and "non mesuré" not in row
        assert "La VIP 10.0.0.10 est passée sur haproxy2 en" in text
        assert "web1 déclaré DOWN par HAProxy en" in text

        results: dict[str, Any] = {}
        for path in (STATE_ROOT / LAB / "results").glob("*.json"):
            data = json.loads(path.read_text())
            results[data["scenario"]] = data
        assert set(results) == {"lose-web1", "lose-haproxy1"}
        allowed: set[str] = set(CONSTANTS)
        numbers_from(
            {k: {"metrics": v["metrics"], "theory": v["theory"]} for k, v in results.items()},
            allowed,
        )
        split: dict[str, int] = {}
        for data in results.values():
            for node, count in data["metrics"]["served_before"].items():
                split[node] = split.get(node, 0) + count
        numbers_from(split, allowed)
        numbers_from(sum(split.values()), allowed)
        numbers_from(sum(r["metrics"]["adverts"] for r in results.values()), allowed)
        prose = text.split("## Scénarios")[0]  # the table and the answers
        prose = re.sub(r"\d+\.\d+\.\d+\.\d+", "", prose)  # addresses are not measurements
        for found in NUMBER.findall(prose):
            assert found.replace(",", ".") in allowed, f"{found} is not from the log"

        english = labtool(
            "report",
            "--name",
            LAB,
            "--lang",
            "en",
            "--format",
            "html",
            "-o",
            str(tmp_path / "report.html"),
        )
        assert english.returncode == 0, english.stderr
        page = (tmp_path / "report.html").read_text()
        assert "Loss of the first HAPROXY node" in page and "data:image/png;base64," in page
        as_json = labtool("report", "--name", LAB, "--format", "json")
        data = json.loads(as_json.stdout)
        assert [row["event"] for row in data["table"]] == [
            "Perte du premier noeud WEB",
            "Perte du premier noeud HAPROXY",
        ]
        again = labtool("tp", "--name", LAB)
        assert again.returncode == 1 and "fresh cluster" in again.stderr
    finally:
        labtool("down", "--name", LAB)
