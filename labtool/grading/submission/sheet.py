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
from labtool.grading.submission.sheet_blocks import Block, Item, Structure, read_structure
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


def _question_starts(lines: list[str], structure: Structure) -> list[tuple[int, int, str]]:
    """(line index, question, the rest of the line) for each question found (a list item's
    number as its list counts it)."""
    starts: dict[int, tuple[int, str]] = {}
    for index, line in enumerate(lines):
        if line.lstrip().startswith("|"):
            continue
        text = normalise(line)
        match = NUMBERED.match(line)
        if match:
            number = int(match.group(2) or match.group(3))
            explicit = match.group(1) is not None  # "q1)", "Question 2 :"
            item = structure.item_at(index)
            if not explicit and item is not None and item.number is not None:
                number = item.number  # (as its list counts it: "1." before each item)
            if (
                number in QUESTIONS
                and number not in starts
                and (explicit or _is_question(text, number))
            ):
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


def _about(text: str) -> int | None:
    """The question whose subject a short answer's first words name: Keepalived's role, HAProxy's
    (unless Keepalived comes first), load balancing; None: none of them."""
    head = normalise(text)[:80]
    if has_words(head, ("keepalived",)):
        return (
            2
            if not has_words(head, ("haproxy",)) or head.find("keepalived") < head.find("haproxy")
            else 3
        )
    if has_words(head, ("haproxy",)):
        return 3
    return 1 if has_words(head, QUESTIONS[1][0]) else None


def _answers_in(block: Block) -> dict[int, Item]:
    """The answers a list holds, or none: a numbered list of exactly three items, by number;
    a longer one whose items 1 to 3 mostly speak of their own question (a remark after them
    answers nothing); a bullet list whose items each name a different question's subject (an
    item about none of them, with two others named, answers the third; other items nothing)."""
    items = block.items
    if block.ordered:
        numbered = {i.number: i for i in items if i.number in (1, 2, 3)}
        if len(numbered) < 3:
            return {}
        own = sum(1 for n, item in numbered.items() if _about(item.text) == n)
        return numbered if len(items) == 3 or own >= 2 else {}  # (else: a procedure)
    about = [_about(i.text) for i in items]
    named = {q: i for q, i in zip(about, items, strict=True) if q is not None}
    if len(named) == 2 and len(items) == 3 and about.count(None) == 1:
        [question] = {1, 2, 3} - set(named)  # the item about nothing named answers the last
        named[question] = items[about.index(None)]
    twice = len(named) < len(items) - about.count(None)  # two items about one question
    return named if len(named) == 3 and not twice else {}


def _list_answers(structure: Structure, after: int) -> dict[int, Item]:
    """The answers written as a list after `after` (the table, or the questions' heading)."""
    for block in structure.lists:
        if block.line >= after and (found := _answers_in(block)):
            return found
    return {}


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
    text = markdown[:MAX_REPORT_CHARS]
    lines = text.splitlines()
    structure = read_structure(text)
    tables = _all_tables(find_tables(lines), structure.tables)
    paragraphs = find_paragraphs(lines)
    sheet.rows = lab_rows(tables)
    for kind, row in {
        **prose_rows(paragraphs, first_web, first_lb),
        **log_rows(tables, first_web, first_lb),
    }.items():
        sheet.rows.setdefault(kind, row)
    after = _answers_from(lines, tables)
    starts = _question_starts(lines, structure)
    taken = {question for _, question, _ in starts}
    if len(taken) < 3:  # the answers as a list: by number, by position or by their words
        listed = _list_answers(structure, after)
        lines_taken = {index for index, _, _ in starts}
        starts = sorted(
            starts
            + [
                (item.line, question, "")
                for question, item in listed.items()
                if question not in taken and item.line not in lines_taken
            ]
        )
    for position, (index, question, rest) in enumerate(starts):
        end = starts[position + 1][0] if position + 1 < len(starts) else len(lines)
        item = structure.item_at(index)
        if item is not None:  # the item, and nothing of the next one
            more = item.text.split("\n")[1:]  # (its first line: the question's, or `rest`)
            body = "\n".join([rest, *more]) if rest.strip() else item.text
            sheet.answers[question] = (body.strip(" *_>\n"), index + 1)
            continue
        sheet.answers[question] = (_section(lines, index, end, rest), index + 1)
    for question, found in _prose_answers(
        [p for p in paragraphs if p[0] > after], set(sheet.answers)
    ).items():
        sheet.answers[question] = found
    return sheet


def _section(lines: list[str], index: int, end: int, rest: str) -> str:
    """An answer below its question: up to the next question, section or table."""
    body = [rest]
    for line in lines[index + 1 : end]:
        if (line.startswith("#") or line.lstrip().startswith("|")) and any(
            b.strip(" *_>-") for b in body
        ):
            break  # the next section, or a table after the answer
        body.append(line)
    return "\n".join(body).strip(" *_>\n")


def _all_tables(by_lines: list[Table], parsed: list[Table]) -> list[Table]:
    """Tables of pipe-led lines (with or without a rule under their header), and those only
    the parser sees (no outer pipes), in order."""
    starts = {t.start for t in by_lines}
    return sorted(by_lines + [t for t in parsed if t.start not in starts], key=lambda t: t.start)


def _answers_from(lines: list[str], tables: list[Table]) -> int:
    """Where the answers may start: the questions' heading, else after the last table."""
    headed = [
        i
        for i, line in enumerate(lines)
        if line.lstrip().startswith("#") and "question" in normalise(line)
    ]
    return headed[0] if headed else tables[-1].start + len(tables[-1].rows) if tables else 0
