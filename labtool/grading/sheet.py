"""A student's report.md read back: the lab's table (its two rows) and the answers to its three
questions, in French or English, whatever the layout around them."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

MAX_REPORT_CHARS = 200_000

QUESTIONS = {  # how each question is recognised (normalised text, all words needed)
    1: (("loadbalancing", "load balancing", "repartition de charge", "repartir la charge"),),
    2: (("keepalived",), ("role", "sert", "purpose", "what does")),
    3: (("haproxy",), ("role", "sert", "purpose", "what does")),
}


def normalise(text: str) -> str:
    """Lower case, no accents, one space between words."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text.lower()).strip()


@dataclass
class Row:
    expected: str
    observed: str
    line: int


@dataclass
class Sheet:
    rows: dict[str, Row] = field(default_factory=dict)  # "web", "haproxy"
    answers: dict[int, tuple[str, int]] = field(default_factory=dict)  # question -> text, line


def _cells(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") else inner
    return [c.strip() for c in inner.split("|")]


def _is_question(text: str, number: int) -> bool:
    return all(any(word in text for word in group) for group in QUESTIONS[number])


def read_sheet(markdown: str) -> Sheet:
    sheet = Sheet()
    lines = markdown[:MAX_REPORT_CHARS].splitlines()
    for number, line in enumerate(lines, 1):
        if not line.lstrip().startswith("|"):
            continue
        cells = _cells(line)
        if len(cells) < 2:
            continue
        head = normalise(cells[0])
        kind = "haproxy" if "haproxy" in head else "web" if "web" in head else None
        if kind and kind not in sheet.rows and not set(cells[0]) <= set("-: "):
            sheet.rows[kind] = Row(cells[1] if len(cells) > 1 else "",
                                   cells[2] if len(cells) > 2 else "", number)
    starts: list[tuple[int, int, str]] = []  # line index, question, rest of the line
    for index, line in enumerate(lines):
        text = normalise(line)
        if line.lstrip().startswith("|"):
            continue
        for question in (2, 3, 1):  # 2 and 3 first: "keepalived"/"haproxy" are specific
            if question not in {q for _, q, _ in starts} and _is_question(text, question) \
                    and "?" in line:
                starts.append((index, question, line.split("?", 1)[1]))
                break
    starts.sort()
    for position, (index, question, rest) in enumerate(starts):
        end = starts[position + 1][0] if position + 1 < len(starts) else len(lines)
        body = [rest]
        for line in lines[index + 1:end]:
            if line.startswith("#") and body and any(b.strip() for b in body):
                break  # the next section
            body.append(line)
        sheet.answers[question] = ("\n".join(body).strip(" *\n"), index + 1)
    return sheet


def has_idea(text: str, words: tuple[str, ...]) -> bool:
    """One of the words (normalised) starts a word of the text (or is a phrase in it)."""
    text = normalise(text)
    for word in words:
        word = normalise(word)
        if " " in word or "." in word:
            if word in text:
                return True
        elif re.search(r"(?<![a-z0-9])" + re.escape(word), text):
            return True
    return False


def durations_s(text: str) -> list[float]:
    """Durations written in a cell: '3.2 s', '3,2 secondes', '850 ms', '12s'."""
    found = []
    for value, unit in re.findall(r"(\d+(?:[.,]\d+)?)\s*(ms|s|sec|secs|secondes?|seconds?)"
                                  r"(?![a-z])", normalise(text)):
        number = float(value.replace(",", "."))
        found.append(number / 1000 if unit == "ms" else number)
    return found
