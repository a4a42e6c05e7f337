r"""The words labtool writes for a person, in the reader's language.

English is written in the code, each text marked where it is written: `_("...")` with
`_ = translation(lang)`, `pgettext(context, "...")` with `pgettext = in_context(lang)`, or
`N_("...")` (`NP_(context, "...")`) for a text kept in a table and translated where it is
shown, or `Msg("...", name=value)` for a text made now and written in a reader's language
later (a lint finding). French is in the
gettext catalog `labtool/locale/fr/LC_MESSAGES/labtool.po`, compiled to `labtool.mo` beside
it. After a change of texts, with Babel (the test extra), from the
repository's top:

    pybabel extract -F babel.cfg -k N_ -k NP_:1c,2 -k pgettext:1c,2 -k Msg -k finding --no-wrap \
        -o /tmp/labtool.pot .
    pybabel update -i /tmp/labtool.pot -d labtool/locale -D labtool --no-wrap
    (write the French of each new or fuzzy entry in labtool.po)
    pybabel compile -d labtool/locale -D labtool

tests/unit/test_i18n.py reads the code as Babel does and fails on a text the catalog has no
French for (or French whose {values} differ), and on a .mo that is not its .po compiled.

A text is looked up whole, its values put in after, by name: `_("no answer to question
{q}").format(q=2)`; the French may put them elsewhere."""

from __future__ import annotations

import functools
import gettext
from collections.abc import Callable
from pathlib import Path
from typing import Self

DOMAIN = "labtool"
LOCALE_DIR = Path(__file__).with_name("locale")
LANGS = ("fr", "en")  # English: the code's own words


@functools.cache
def _catalog(lang: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, [lang])


def translation(lang: str) -> Callable[[str], str]:
    """The text in `lang` (`fr` or `en`)."""
    return _catalog(lang).gettext


def in_context(lang: str) -> Callable[[str, str], str]:
    """`in_context(lang)("a list of nodes", "none")`: a short text whose French depends on
    what it stands for (aucun, aucune)."""
    return _catalog(lang).pgettext


def plural(lang: str) -> Callable[[str, str, int], str]:
    """`plural(lang)("{n} student", "{n} students", n)`, the form `n` takes in `lang`."""
    return _catalog(lang).ngettext


class Msg(str):
    """A text for a person kept with its English template and values: it reads as English
    wherever a str goes (JSON, the terminal), and `in_lang` writes it in another language.
    A value that is a Msg is written in that language too. The template is a format string
    (a literal brace doubled: "global_defs {{ ... }}")."""

    template: str
    values: dict[str, object]

    def __new__(cls, template: str, **values: object) -> Self:
        made = super().__new__(cls, template.format(**values))
        made.template, made.values = template, values
        return made

    def __deepcopy__(self, memo: dict[int, object]) -> Msg:
        return self  # (it never changes)

    def __copy__(self) -> Msg:
        return self

    def __reduce__(self) -> tuple[object, ...]:
        return _msg, (self.template, self.values)

    def in_lang(self, lang: str) -> str:
        values = {k: in_lang(v, lang) for k, v in self.values.items()}
        text = translation(lang)(self.template)
        return text.format(**values)


class Worded(Msg):
    """A text given in each language as data (a TOML file's `{ fr = "...", en = "..." }`,
    which an instructor edits and the catalog does not hold), with its values; English where
    a str goes, like a Msg."""

    words: dict[str, str]

    def __new__(cls, words: dict[str, str], **values: object) -> Self:
        made = super().__new__(cls, words["en"], **values)
        made.words = dict(words)
        return made

    def __reduce__(self) -> tuple[object, ...]:
        return _worded, (self.words, self.values)

    def in_lang(self, lang: str) -> str:
        values = {k: in_lang(v, lang) for k, v in self.values.items()}
        return self.words.get(lang, self.template).format(**values)


def _worded(words: dict[str, str], values: dict[str, object]) -> Worded:
    return Worded(words, **values)


DECIMAL_COMMA = ("fr",)  # the languages that write 2,51 for 2.51


def decimal(text: str, lang: str) -> str:
    """A number as `lang` writes it (its decimal comma)."""
    return text.replace(".", ",") if lang in DECIMAL_COMMA else text


def _msg(template: str, values: dict[str, object]) -> Msg:
    return Msg(template, **values)


def listed(items: list[str]) -> str:
    """Items as a sentence lists them: "a", "a and b", "a, b and c" (in a reader's language
    once it is a Msg value)."""
    if len(items) < 2:
        return "".join(items)
    return Msg("{a} and {b}", a=", ".join(items[:-1]), b=items[-1])


def in_lang(value: object, lang: str) -> object:
    """A Msg in `lang`; anything else as it is."""
    return value.in_lang(lang) if isinstance(value, Msg) else value


def NP_(context: str, text: str) -> tuple[str, str]:
    """A text to translate where it is shown, in its context (for `in_context`)."""
    return context, text


def N_(text: str) -> str:
    """A text to translate where it is shown (it is kept here in English)."""
    return text
