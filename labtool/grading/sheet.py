"""A student's answer sheet read back: the lab's two rows (loss of the first WEB node, of the
first HAPROXY node) and the answers to its three questions, in French or English, in the shapes
real reports come in.

Rows are found by their label ("Perte du premier noeud WEB", "Loss of the first web node", any
case, accents or not) in whichever table holds them, never in another table (an address plan
first is common). Without the lab's table, a test log (a table of actions with expected and
obtained results: "PV de tests") or prose that tells what happened when web1 or haproxy1 was
lost stands in, and says so (`Row.source`). Questions are found by their number (`q1)`, `Q1:`,
`1.`, `## 1. ...`) or their words (with or without the question mark), and failing that by the
paragraph that speaks of the thing asked about."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

MAX_REPORT_CHARS = 200_000

QUESTIONS = {  # how each question is recognised (normalised text, one word of each group)
    1: (
        (
            "loadbalanc",
            "load balanc",
            "load-balanc",
            "repartition de charge",
            "repartir la charge",
            "repartition",
        ),
    ),
    2: (("keepalived",), ("role", "sert", "purpose", "what does", "utilite", "a quoi")),
    3: (("haproxy",), ("role", "sert", "purpose", "what does", "utilite", "a quoi")),
}
# a lost node, in a row's label or a test log's action
LOSS = (
    "perte",
    "loss",
    "lose",
    "losing",
    "panne",
    "arret",
    "stop",
    "halt",
    "eteint",
    "poweroff",
    "power off",
    "shutdown",
    "coupure",
    "coupe",
    "kill",
    "down",
    "failure",
    "fail",
    "crash",
    "destroy",
    "tombe",
    "chute",
    "plant",
)
EXPECTED = ("attendu", "expected", "prevu", "prevision", "theorie", "hypothese")
OBSERVED = ("obtenu", "observed", "constat", "result", "reel", "observ", "mesure", "got")
WEB_WORDS = ("web",)
LB_WORDS = ("haproxy", "load balancer", "loadbalancer", "load-balancer", "lb", "proxy")


def normalise(text: str) -> str:
    """Lower case, no accents, one space between words."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text.lower()).strip()


def _has(text: str, words: tuple[str, ...]) -> bool:
    return any(re.search(r"(?<![a-z0-9])" + re.escape(w), text) for w in words)


@dataclass
class Row:
    expected: str
    observed: str
    line: int
    source: str = "table"  # "table" (the lab's), "log" (a test log), "prose"


@dataclass
class Sheet:
    rows: dict[str, Row] = field(default_factory=dict)  # "web", "haproxy"
    answers: dict[int, tuple[str, int]] = field(default_factory=dict)  # question -> text, line


def _cells(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") else inner
    return [c.strip() for c in inner.split("|")]


def _is_rule(cells: list[str]) -> bool:
    return all(set(c) <= set("-: ") for c in cells)


@dataclass
class _Table:
    start: int  # line index of its first line
    header: list[str]
    rows: list[tuple[int, list[str]]]  # line index, cells

    def column(self, words: tuple[str, ...], unless: tuple[str, ...] = ()) -> int | None:
        for index, cell in enumerate(self.header):
            text = normalise(cell)
            if _has(text, words) and not (unless and _has(text, unless)):
                return index
        return None


def _tables(lines: list[str]) -> list[_Table]:
    tables: list[_Table] = []
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
                _Table(
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
    if not _has(text, LOSS):
        return None
    if _has(text, LB_WORDS):
        return "haproxy"
    if _has(text, WEB_WORDS):
        return "web"
    return None


def _lab_rows(tables: list[_Table]) -> dict[str, Row]:
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
    if not _has(text, LOSS):
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


def _log_rows(tables: list[_Table], first_web: str, first_lb: str) -> dict[str, Row]:
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


def _paragraphs(lines: list[str]) -> list[tuple[int, str]]:
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


def _prose_rows(paragraphs: list[tuple[int, str]], first_web: str, first_lb: str) -> dict[str, Row]:
    found: dict[str, Row] = {}
    for index, text in paragraphs:
        kind = _action_kind(text, first_web, first_lb)
        if kind and kind not in found:
            found[kind] = Row("", text, index + 1, "prose")
    return found


def _is_question(text: str, number: int) -> bool:
    return all(_has(text, group) for group in QUESTIONS[number])


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
            if _has(head, words) and (question != 3 or not _has(head[:20], ("keepalived",))):
                found[question] = (text, index + 1)
                break
    return found


def read_sheet(markdown: str, first_web: str = "web1", first_lb: str = "haproxy1") -> Sheet:
    sheet = Sheet()
    lines = markdown[:MAX_REPORT_CHARS].splitlines()
    tables = _tables(lines)
    paragraphs = _paragraphs(lines)
    sheet.rows = _lab_rows(tables)
    for kind, row in {
        **_prose_rows(paragraphs, first_web, first_lb),
        **_log_rows(tables, first_web, first_lb),
    }.items():
        sheet.rows.setdefault(kind, row)
    starts = _question_starts(lines)
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
    headed = [
        i
        for i, line in enumerate(lines)
        if line.lstrip().startswith("#") and "question" in normalise(line)
    ]
    after = headed[0] if headed else tables[-1].start + len(tables[-1].rows) if tables else 0
    for question, found in _prose_answers(
        [p for p in paragraphs if p[0] > after], set(sheet.answers)
    ).items():
        sheet.answers[question] = found
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
    for value, unit in re.findall(
        r"(\d+(?:[.,]\d+)?)\s*(ms|s|sec|secs|secondes?|seconds?)"
        r"(?![a-z])",
        normalise(text),
    ):
        number = float(value.replace(",", "."))
        found.append(number / 1000 if unit == "ms" else number)
    return found
