"""Key ideas in the languages students write. The rubric's `ideas` and the questions' words are
French and English; each file in `words/` (one per language: es, pt, de...) gives that
language's words for them, which they take on when they are read. An instructor extends a
language in its file, or adds a file for another (`[ideas]`: a word of the rubric -> the
language's words; `[labels]`: a word that recognises a question, a row of the lab's table or
one of its columns -> the language's)."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

WORDS = Path(__file__).with_name("words")

Glossary = dict[str, tuple[str, ...]]


@cache
def _glossaries() -> tuple[Glossary, Glossary]:
    ideas: Glossary = {}
    labels: Glossary = {}
    for path in sorted(WORDS.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for table, into in (("ideas", ideas), ("labels", labels)):
            for word, others in data.get(table, {}).items():
                into[word] = into.get(word, ()) + tuple(others)
    return ideas, labels


def _widened(group: tuple[str, ...], glossary: Glossary) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*group, *(w for word in group for w in glossary.get(word, ()))]))


def in_all_languages(group: tuple[str, ...]) -> tuple[str, ...]:
    """A group of a rubric's key ideas, with the words of every language file."""
    return _widened(group, _glossaries()[0])


def label_words(group: tuple[str, ...]) -> tuple[str, ...]:
    """Words that recognise a question, a row or a column, with every language file's."""
    return _widened(group, _glossaries()[1])
