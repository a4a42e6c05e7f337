"""Lint's findings in French, for feedback handed back in French (`labtool grade --lang fr`).

Lint writes its messages, explanations and fixes in English, with the values it found (names,
numbers, addresses) inside. Each phrase lint writes has its French in french.toml, as a
pattern that keeps those values; a text no pattern matches is left as it is (and a test lists
every rule's texts, so that a new one is not forgotten). Configuration keywords stay as they
are."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from labtool.configs.common import Finding

V = r"(.+?)"  # a value lint put in a message


def _table(kind: str) -> list[tuple[str, str]]:
    """(English pattern, French) pairs from french.toml, tried in order; each whole text is
    matched (re.fullmatch)."""
    data = tomllib.loads(Path(__file__).with_name("french.toml").read_text(encoding="utf-8"))
    return [(entry["en"].replace("{V}", V), entry["fr"]) for entry in data[kind]]


MESSAGES = _table("message")
PHRASES = _table("phrase")  # explanations and fixes: whole texts
_MESSAGES = [(re.compile(p, re.S), r) for p, r in MESSAGES]
# a phrase with a value in it is a pattern; the others are plain text
_PHRASES = [
    (re.compile(p if V in p else re.escape(p), re.S), r if V in p else r.replace("\\", "\\\\"))
    for p, r in PHRASES
]


def _translate(text: str, table: list[tuple[re.Pattern[str], str]]) -> str:
    for pattern, french in table:
        found = pattern.fullmatch(text)
        if found:  # the values lint listed ("haproxy1 and haproxy2") read in French too
            return found.expand(french).replace(" and ", " et ")
    return text


def message(text: str) -> str:
    return _translate(text, _MESSAGES)


def phrase(text: str) -> str:
    return _translate(text, _PHRASES)


def finding(found: Finding) -> Finding:
    """The same finding, its message, explanation and fix in French."""
    return Finding(
        found.rule,
        found.severity,
        message(found.message),
        found.file,
        found.line,
        phrase(found.explanation),
        phrase(found.fix),
    )
