"""What an answer sheet is made of (its rows and answers) and the words that name the lab's events
and columns in the shapes students write them."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from labtool.grading.glossary import label_words

MAX_REPORT_CHARS = 200_000
QUESTIONS: dict[
    int, tuple[tuple[str, ...], ...]
] = {  # how each question is recognised (normalised text, one word of each group)
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
QUESTIONS = {n: tuple(label_words(g) for g in groups) for n, groups in QUESTIONS.items()}


# a lost node, in a row's label or a test log's action
LOSS: tuple[str, ...] = (
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
LOSS = label_words(LOSS)


EXPECTED = label_words(("attendu", "expected", "prevu", "prevision", "theorie", "hypothese"))
OBSERVED = label_words(
    ("obtenu", "observed", "constat", "result", "reel", "observ", "mesure", "got")
)
WEB_WORDS = ("web",)
LB_WORDS = ("haproxy", "load balancer", "loadbalancer", "load-balancer", "lb", "proxy")


def normalise(text: str) -> str:
    """Lower case, no accents, one space between words."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text.lower()).strip()


def has_words(text: str, words: tuple[str, ...]) -> bool:
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
