"""A student's answer sheet read back: the lab's two rows (loss of the first WEB node, of the
first HAPROXY node) and the answers to its three questions, in French or English, in the shapes
real reports come in.

Rows are found by their label ("Perte du premier noeud WEB", "Loss of the first web node", any
case, accents or not) in whichever table holds them, never in another table (an address plan
first is common). Without the lab's table, a test log (a table of actions with expected and
obtained results: "PV de tests") or prose that tells what happened when web1 or haproxy1 was
lost stands in, and says so (`Row.source`). Questions are found by their number (`q1)`, `Q1:`,
`1.`, `## 1. ...`) or their words (with or without the question mark), then as a plain list
of exactly three numbered items after the table (by position), and failing that by the
paragraph that speaks of the thing asked about."""

from __future__ import annotations

import re

from labtool.grading.submission.sheet_base import (
    MAX_REPORT_CHARS,
    QUESTIONS,
    Sheet,
    has_words,
    normalise,
)
from labtool.grading.submission.sheet_rows import (
    Table,
    find_paragraphs,
    find_tables,
    lab_rows,
    log_rows,
    prose_rows,
)


def _is_question(text: str, number: int) -> bool:
    return all(has_words(text, group) for group in QUESTIONS[number])


NUMBERED = re.compile(
    r"^\s*(?:[-*>]\s*)?(?:#+\s*)?(?:\*\*|__)?\s*(?:(q(?:uestion)?)\s*"
    r"([123])|([123]))\s*(?:[).:\-\u2013]|\*\*|$)",
    re.I,
)


def _question_starts(lines: list[str]) -> list[tuple[int, int, str]]:
    """(line index, question, the rest of the line) for each question found."""
    starts: dict[int, tuple[int, str]] = {}
    for index, line in enumerate(lines):
        if line.lstrip().startswith("|"):
            continue
        text = normalise(line)
        match = NUMBERED.match(line)
        if match:
            number = int(match.group(2) or match.group(3))
            explicit = match.group(1) is not None  # "q1)", "Question 2 :"
            if number not in starts and (explicit or _is_question(text, number)):
                rest = line[match.end() :]
                starts[number] = (index, rest.split("?", 1)[1] if "?" in rest else rest)
                continue
        for question in (2, 3, 1):  # 2 and 3 first: "keepalived"/"haproxy" are specific
            if question in starts or not _is_question(text, question):
                continue
            if "?" in line or line.lstrip().startswith(("#", "**", "__")):
                rest = line.split("?", 1)[1] if "?" in line else ""
                starts[question] = (index, rest)
                break
    return sorted((index, question, rest) for question, (index, rest) in starts.items())


LIST_ITEM = re.compile(r"^\s{0,3}(?:[-*]\s+)?(?:\*\*|__)?([1-9])\s*[.)]\s*(?:\*\*|__)?\s*(.*)")


def _answer_list(lines: list[str], after: int) -> list[tuple[int, int, str]]:
    """The three answers written as a plain numbered list ("1. ...", "2. ...", "3. ..."),
    blank lines between the items or not: (line index, question, its text), by position.
    Only a list of exactly three items, after `after` (the table, or the questions' heading):
    a longer numbered list is a procedure, not the answers."""
    found: list[tuple[int, int, str]] = []
    for index in range(after, len(lines)):
        line = lines[index]
        if line.lstrip().startswith(("#", "|")) and found:
            if len(found) == 3:
                return found
            found = []
            continue
        match = LIST_ITEM.match(line)
        if match is None:
            continue
        number = int(match.group(1))
        if number == len(found) + 1:
            found.append((index, number, match.group(2)))
        else:  # a fourth item (a procedure), or a list that starts over
            found = [(index, 1, match.group(2))] if number == 1 else []
    return found if len(found) == 3 else []


def _prose_answers(
    paragraphs: list[tuple[int, str]], taken: set[int]
) -> dict[int, tuple[str, int]]:
    """Answers written as plain paragraphs: the one that speaks of the thing asked about."""
    found: dict[int, tuple[str, int]] = {}
    for question, words in ((2, ("keepalived",)), (3, ("haproxy",)), (1, QUESTIONS[1][0])):
        if question in taken:
            continue
        for index, text in paragraphs:
            head = normalise(text)[:80]
            if index in {line for _, line in found.values()}:
                continue
            if has_words(head, words) and (
                question != 3 or not has_words(head[:20], ("keepalived",))
            ):
                found[question] = (text, index + 1)
                break
    return found


def read_sheet(markdown: str, first_web: str = "web1", first_lb: str = "haproxy1") -> Sheet:
    sheet = Sheet()
    lines = markdown[:MAX_REPORT_CHARS].splitlines()
    tables = find_tables(lines)
    paragraphs = find_paragraphs(lines)
    sheet.rows = lab_rows(tables)
    for kind, row in {
        **prose_rows(paragraphs, first_web, first_lb),
        **log_rows(tables, first_web, first_lb),
    }.items():
        sheet.rows.setdefault(kind, row)
    starts = _question_starts(lines)
    taken = {question for _, question, _ in starts}
    if len(taken) < 3:  # the answers as a plain numbered list, by position
        listed = _answer_list(lines, _answers_from(lines, tables))
        starts = sorted(
            starts
            + [s for s in listed if s[1] not in taken and s[0] not in {i for i, _, _ in starts}]
        )
    for position, (index, question, rest) in enumerate(starts):
        end = starts[position + 1][0] if position + 1 < len(starts) else len(lines)
        body = [rest]
        for line in lines[index + 1 : end]:
            if (line.startswith("#") or line.lstrip().startswith("|")) and any(
                b.strip(" *_>-") for b in body
            ):
                break  # the next section, or a table after the answer
            body.append(line)
        sheet.answers[question] = ("\n".join(body).strip(" *_>\n"), index + 1)
    after = _answers_from(lines, tables)
    for question, found in _prose_answers(
        [p for p in paragraphs if p[0] > after], set(sheet.answers)
    ).items():
        sheet.answers[question] = found
    return sheet


def _answers_from(lines: list[str], tables: list[Table]) -> int:
    """Where the answers may start: the questions' heading, else after the last table."""
    headed = [
        i
        for i, line in enumerate(lines)
        if line.lstrip().startswith("#") and "question" in normalise(line)
    ]
    return headed[0] if headed else tables[-1].start + len(tables[-1].rows) if tables else 0
