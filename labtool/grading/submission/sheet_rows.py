"""The lab's table in a report, wherever it is: a Markdown table (the lab's, or one of the
student's own), a log of actions, or prose about each loss."""

from __future__ import annotations

import re
from dataclasses import dataclass

from labtool.grading.submission.sheet_base import (
    EXPECTED,
    LB_WORDS,
    LOSS,
    OBSERVED,
    WEB_WORDS,
    Row,
    has_words,
    normalise,
)


def _cells(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") else inner
    return [c.strip() for c in inner.split("|")]


def _is_rule(cells: list[str]) -> bool:
    return all(set(c) <= set("-: ") for c in cells)


@dataclass
class Table:
    start: int  # line index of its first line
    header: list[str]
    rows: list[tuple[int, list[str]]]  # line index, cells

    def column(self, words: tuple[str, ...], unless: tuple[str, ...] = ()) -> int | None:
        for index, cell in enumerate(self.header):
            text = normalise(cell)
            if has_words(text, words) and not (unless and has_words(text, unless)):
                return index
        return None


def find_tables(lines: list[str]) -> list[Table]:
    tables: list[Table] = []
    current: list[tuple[int, list[str]]] = []
    for index, line in enumerate([*lines, ""]):
        if line.lstrip().startswith("|"):
            cells = _cells(line)
            if not _is_rule(cells):
                current.append((index, cells))
            continue
        if current:
            header_is_rule = len(current) > 1
            tables.append(
                Table(
                    current[0][0],
                    current[0][1] if header_is_rule else [],
                    current[1:] if header_is_rule else current,
                )
            )
            current = []
    return tables


def _row_kind(label: str) -> str | None:
    """Which of the lab's rows a label names: 'Perte du premier noeud HAPROXY' -> haproxy."""
    text = normalise(label)
    if not has_words(text, LOSS):
        return None
    if has_words(text, LB_WORDS):
        return "haproxy"
    if has_words(text, WEB_WORDS):
        return "web"
    return None


def lab_rows(tables: list[Table]) -> dict[str, Row]:
    found: dict[str, Row] = {}
    for table in tables:
        expected = table.column(EXPECTED)
        observed = table.column(OBSERVED, EXPECTED)
        for index, cells in table.rows:
            kind = _row_kind(cells[0]) if cells else None
            if kind is None or kind in found or len(cells) < 2:
                continue
            e = expected if expected not in (None, 0) else 1
            o = observed if observed not in (None, 0) else 2
            found[kind] = Row(
                cells[e] if e < len(cells) else "", cells[o] if o < len(cells) else "", index + 1
            )
    return found


def _action_kind(text: str, first_web: str, first_lb: str) -> str | None:
    """A test log's action that loses the first LB or web node ('poweroff sur haproxy1')."""
    text = normalise(text)
    if not has_words(text, LOSS):
        return None
    if re.search(rf"(?<![a-z0-9]){re.escape(first_lb)}(?![0-9])", text) or re.search(
        r"(?<![a-z0-9])(haproxy|lb|proxy|loadbalancer)[ -]?0?1(?![0-9])", text
    ):
        return "haproxy"
    if re.search(rf"(?<![a-z0-9]){re.escape(first_web)}(?![0-9])", text) or re.search(
        r"(?<![a-z0-9])(web|srv-web|apache|httpd)[ -]?0?1(?![0-9])", text
    ):
        return "web"
    return None


def log_rows(tables: list[Table], first_web: str, first_lb: str) -> dict[str, Row]:
    found: dict[str, Row] = {}
    for table in tables:
        expected, observed = table.column(EXPECTED), table.column(OBSERVED, EXPECTED)
        if expected is None and observed is None:
            continue
        for index, cells in table.rows:
            others = [c for i, c in enumerate(cells) if i not in (expected, observed)]
            kind = _action_kind(" ".join(others), first_web, first_lb)
            if kind is None or kind in found:
                continue
            found[kind] = Row(
                cells[expected] if expected is not None and expected < len(cells) else "",
                cells[observed]
                if observed is not None and observed < len(cells)
                else " ".join(others),
                index + 1,
                "log",
            )
    return found


def find_paragraphs(lines: list[str]) -> list[tuple[int, str]]:
    """Runs of text lines (not tables, headings or code), with the index of their first."""
    found: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0
    fenced = False
    for index, line in enumerate([*lines, ""]):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            line = ""
        stripped = line.strip()
        if fenced or not stripped or stripped.startswith(("|", "#")):
            if current:
                found.append((start, " ".join(current)))
                current = []
            continue
        if not current:
            start = index
        current.append(stripped)
    return found


def prose_rows(paragraphs: list[tuple[int, str]], first_web: str, first_lb: str) -> dict[str, Row]:
    found: dict[str, Row] = {}
    for index, text in paragraphs:
        kind = _action_kind(text, first_web, first_lb)
        if kind and kind not in found:
            found[kind] = Row("", text, index + 1, "prose")
    return found
