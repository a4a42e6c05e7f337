"""haproxy.cfg read line by line as HAProxy reads it (sections, their lines, the `.if` blocks),
with what HAProxy would refuse found on the way; the model is in labtool.configs.haproxy."""

from __future__ import annotations

from labtool.configs.common import Finding, decode, is_binary
from labtool.configs.haproxy import (
    PLACEHOLDER,
    REMOVED,
    SECTIONS,
    HaproxyConfig,
    Line,
    Section,
    words_of,
)
from labtool.i18n import Msg


def read(data: bytes | str, path: str) -> HaproxyConfig:
    reader = HaproxyReader(path)
    if isinstance(data, bytes):
        if is_binary(data):
            reader.find(
                "HA-SYNTAX",
                "error",
                Msg("not a text file (binary content)"),
                None,
                fix=Msg("hand in the haproxy.cfg text file"),
            )
            return reader.config
        data = decode(data)
    for number, raw in enumerate(data.splitlines(), 1):
        reader.line(number, raw)
    reader.end()
    return reader.config


class HaproxyReader:
    """One haproxy.cfg, a line at a time."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.config = HaproxyConfig(path)
        self.current: Section | None = None
        self.depth: list[int] = []  # lines of the open .if blocks

    def find(
        self,
        rule: str,
        severity: str,
        message: str,
        line: int | None,
        explanation: str = "",
        fix: str = "",
    ) -> None:
        self.config.findings.append(
            Finding(rule, severity, message, self.path, line, explanation, fix)
        )

    def line(self, number: int, raw: str) -> None:
        words, problem = words_of(raw)
        if problem:
            self.find(
                "HA-SYNTAX",
                "error",
                Msg("{problem}: {text}", problem=problem, text=raw.strip()[:80]),
                number,
                fix=Msg("close the quote"),
            )
        if not words:
            return
        keyword = words[0]
        if keyword.startswith("."):
            self.conditional(keyword, number)
        elif keyword in SECTIONS:
            self.section(words, number)
        elif self.current is None:
            self.find(
                "HA-SYNTAX",
                "error",
                Msg("'{text}' is outside any section", text=raw.strip()[:80]),
                number,
                Msg("HAProxy refuses a directive before the first section keyword"),
                Msg("move it under global, defaults, frontend, backend or listen"),
            )
        else:
            self.directive(self.current, words, number)

    def conditional(self, keyword: str, number: int) -> None:
        """.if/.elif/.else/.endif; .diag, .notice, .warning, .alert: messages at start-up."""
        if keyword == ".if":
            self.depth.append(number)
        elif keyword == ".endif":
            if self.depth:
                self.depth.pop()
            else:
                self.find("HA-SYNTAX", "error", Msg("'.endif' with no '.if'"), number)
        elif keyword in (".elif", ".else") and not self.depth:
            self.find(
                "HA-SYNTAX", "error", Msg("'{keyword}' with no '.if'", keyword=keyword), number
            )

    def section(self, words: list[str], number: int) -> None:
        keyword = words[0]
        name = words[1] if len(words) > 1 and keyword != "global" else ""
        self.current = Section(keyword, name, words[2:] if name else words[1:], self.path, number)
        self.config.sections.append(self.current)
        if keyword in ("frontend", "backend", "listen") and not name:
            self.find(
                "HA-SYNTAX",
                "error",
                Msg("'{keyword}' has no name", keyword=keyword),
                number,
                fix=Msg("name it: {keyword} NAME", keyword=keyword),
            )

    def directive(self, current: Section, words: list[str], number: int) -> None:
        keyword = words[0]
        current.lines.append(Line(words, self.path, number, bool(self.depth)))
        if keyword in REMOVED and current.kind != "global":
            self.find(
                "HA-REMOVED",
                "warning",
                Msg("'{keyword}' is 1.x syntax that HAProxy 2.x refuses", keyword=keyword),
                number,
                Msg("HAProxy 2.1 removed it"),
                Msg("use '{removed_keyword}'", removed_keyword=REMOVED[keyword]),
            )
        for word in words[1:]:
            if PLACEHOLDER.fullmatch(word) or (PLACEHOLDER.search(word) and ":" in word):
                self.find(
                    "HA-PLACEHOLDER",
                    "error",
                    Msg(
                        "'{keyword}' still has the placeholder '{word}'", keyword=keyword, word=word
                    ),
                    number,
                    fix=Msg("replace it with a real value"),
                )
                break

    def end(self) -> None:
        """What only the whole file shows: an .if never closed, a server name used twice."""
        for number in self.depth:
            self.find("HA-SYNTAX", "error", Msg("'.if' is never closed by '.endif'"), number)
        for section in self.config.backends():
            seen: dict[str, int] = {}
            for server in section.servers():
                if server.words[1] in seen:
                    self.find(
                        "HA-DUP-SERVER",
                        "error",
                        Msg(
                            "server name '{server}' is used twice in {kind} {name} (line "
                            "{line} too)",
                            server=server.words[1],
                            kind=section.kind,
                            name=section.name,
                            line=seen[server.words[1]],
                        ),
                        server.line,
                        Msg("HAProxy refuses two servers with one name in a backend"),
                        Msg("give each server its own name"),
                    )
                seen.setdefault(server.words[1], server.line)
