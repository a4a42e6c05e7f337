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


def read(data: bytes | str, path: str) -> HaproxyConfig:
    reader = HaproxyReader(path)
    if isinstance(data, bytes):
        if is_binary(data):
            reader.find(
                "HA-SYNTAX",
                "error",
                "not a text file (binary content)",
                None,
                fix="hand in the haproxy.cfg text file",
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
                f"{problem}: {raw.strip()[:80]}",
                number,
                fix="close the quote",
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
                f"'{raw.strip()[:80]}' is outside any section",
                number,
                "HAProxy refuses a directive before the first section keyword",
                "move it under global, defaults, frontend, backend or listen",
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
                self.find("HA-SYNTAX", "error", "'.endif' with no '.if'", number)
        elif keyword in (".elif", ".else") and not self.depth:
            self.find("HA-SYNTAX", "error", f"'{keyword}' with no '.if'", number)

    def section(self, words: list[str], number: int) -> None:
        keyword = words[0]
        name = words[1] if len(words) > 1 and keyword != "global" else ""
        self.current = Section(keyword, name, words[2:] if name else words[1:], self.path, number)
        self.config.sections.append(self.current)
        if keyword in ("frontend", "backend", "listen") and not name:
            self.find(
                "HA-SYNTAX",
                "error",
                f"'{keyword}' has no name",
                number,
                fix=f"name it: {keyword} NAME",
            )

    def directive(self, current: Section, words: list[str], number: int) -> None:
        keyword = words[0]
        current.lines.append(Line(words, self.path, number, bool(self.depth)))
        if keyword in REMOVED and current.kind != "global":
            self.find(
                "HA-REMOVED",
                "warning",
                f"'{keyword}' is 1.x syntax that HAProxy 2.x refuses",
                number,
                "HAProxy 2.1 removed it",
                f"use '{REMOVED[keyword]}'",
            )
        for word in words[1:]:
            if PLACEHOLDER.fullmatch(word) or (PLACEHOLDER.search(word) and ":" in word):
                self.find(
                    "HA-PLACEHOLDER",
                    "error",
                    f"'{keyword}' still has the placeholder '{word}'",
                    number,
                    fix="replace it with a real value",
                )
                break

    def end(self) -> None:
        """What only the whole file shows: an .if never closed, a server name used twice."""
        for number in self.depth:
            self.find("HA-SYNTAX", "error", "'.if' is never closed by '.endif'", number)
        for section in self.config.backends():
            seen: dict[str, int] = {}
            for server in section.servers():
                if server.words[1] in seen:
                    self.find(
                        "HA-DUP-SERVER",
                        "error",
                        f"server name '{server.words[1]}' is used twice "
                        f"in {section.kind} {section.name} (line {seen[server.words[1]]} too)",
                        server.line,
                        "HAProxy refuses two servers with one name in a backend",
                        "give each server its own name",
                    )
                seen.setdefault(server.words[1], server.line)
