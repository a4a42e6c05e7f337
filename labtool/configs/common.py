"""What the config parsers share: a Finding, decoding bytes of any encoding, and the resolver
through which an `include` reads another file (and never leaves the files it was given)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from labtool.i18n import in_lang

SEVERITIES = ("error", "warning", "info")

# path as written in an include, the including file's path -> [(path, text)] (a glob may match
# several files); None when the path is not one the parser may read.
Resolver = Callable[[str, str], "list[tuple[str, str]] | None"]


@dataclass(frozen=True)
class Finding:
    """One problem in a config: where it is, how bad, which rule, why it matters, how to fix."""

    rule: str
    severity: str  # error | warning | info
    message: str  # names the offending directive or value
    file: str
    line: int | None = None
    explanation: str = ""
    fix: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def in_lang(self, lang: str) -> Finding:
        """The same finding, its message, explanation and fix in `lang` (labtool/i18n.py)."""
        return replace(
            self,
            message=str(in_lang(self.message, lang)),
            explanation=str(in_lang(self.explanation, lang)),
            fix=str(in_lang(self.fix, lang)),
        )


def decode(data: bytes) -> str:
    """Text from a config's bytes: UTF-8 (with or without a BOM), else Latin-1, which maps every
    byte to a character, so a GBK or binary file still reads (as junk the rules will report)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def is_binary(data: bytes) -> bool:
    """A NUL byte in the first 8 KiB: not a text file."""
    return b"\x00" in data[:8192]
