"""The message catalog: every text labtool marks for a person (`_()`, `N_()`, `ngettext()`)
has its French in labtool/locale/fr/LC_MESSAGES/labtool.po, with the same values in it, and
the .mo labtool reads is that .po compiled. The code is read as Babel reads it to extract
a catalog."""

from __future__ import annotations

import gettext
import io
import string
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from labtool import i18n

PACKAGE = Path(i18n.__file__).parent
PO = i18n.LOCALE_DIR / "fr" / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
KEYWORDS = {
    "_": None,
    "N_": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "NP_": ((1, "c"), 2),
    "finding": None,  # what `labtool check` found missing (labtool/steps/check.py)
}
Key = tuple[str | None, str]  # (context, English)


def marked() -> list[tuple[str, int, str | tuple[str, ...], str | None]]:
    return [
        (filename, line, message, context)
        for filename, line, message, _comments, context in extract_from_dir(
            PACKAGE, method_map=[("**.py", "python")], keywords=KEYWORDS
        )
    ]


def catalog() -> dict[Key, str | tuple[str, ...]]:
    with PO.open("rb") as handle:
        return {
            (m.context, m.id if isinstance(m.id, str) else m.id[0]): m.string
            for m in read_po(handle)
            if m.id
        }


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_marked_text_has_its_french_with_the_same_values() -> None:
    french = catalog()
    found = marked()
    assert len(found) > 40  # (the extraction reads the package)
    missing, values = [], []
    for filename, line, message, context in found:
        key = message if isinstance(message, str) else message[0]
        text = french.get((context, key))
        forms = [text] if isinstance(text, str) else list(text or [])
        if not forms or not all(forms):
            missing.append(f"{filename}:{line}: {key!r}")
            continue
        originals = [message] if isinstance(message, str) else list(message)
        if any(fields(f) != fields(originals[-1]) for f in forms):
            values.append(f"{filename}:{line}: {key!r} -> {forms}")
    assert missing == [], "texts without French in labtool.po (see labtool/i18n.py)"
    assert values == [], "French whose {values} differ from the English's"


def test_the_mo_is_the_po_compiled() -> None:
    with PO.open("rb") as handle:
        compiled = io.BytesIO()
        write_mo(compiled, read_po(handle))
    compiled.seek(0)
    fresh = gettext.GNUTranslations(compiled)
    with PO.with_suffix(".mo").open("rb") as handle:
        shipped = gettext.GNUTranslations(handle)
    assert shipped._catalog == fresh._catalog, (  # type: ignore[attr-defined]
        "labtool.mo is older than labtool.po: pybabel compile -d labtool/locale -D labtool"
    )


def test_a_text_reads_in_french_or_as_written() -> None:
    assert i18n.translation("fr")("no failback") == "pas de retour de la VIP"
    assert i18n.in_context("fr")("a list of nodes", "none") == "aucun"
    assert i18n.in_context("en")("a list of nodes", "none") == "none"
    assert i18n.translation("en")("no failback") == "no failback"
    assert i18n.translation("fr")("a text no one marked") == "a text no one marked"


def test_french_counts_zero_and_one_as_one() -> None:
    """The .po's Plural-Forms is French's (CLDR's would add a third form for millions)."""
    french = gettext.translation(i18n.DOMAIN, i18n.LOCALE_DIR, ["fr"])
    assert [french.plural(n) for n in (0, 1, 2, 1000000)] == [0, 0, 1, 1]  # type: ignore[attr-defined]


def test_no_module_chooses_its_words_by_language_itself() -> None:
    """French comes from the catalog: no `lang == "fr"` (or "en") outside labtool/i18n.py, no
    table of words per language."""
    import ast

    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "i18n.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare) and any(
                isinstance(c, ast.Constant) and c.value in ("fr", "en")
                for c in [node.left, *node.comparators]
            ):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
            if isinstance(node, ast.Dict) and {"fr", "en"} <= {
                k.value for k in node.keys if isinstance(k, ast.Constant)
            }:
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} (a fr/en table)")
    assert found == []
