"""A keepalived config as statements with their file and line, and its tokens as keepalived reads
them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from labtool.configs.common import Finding

OPEN, CLOSE, END = "{", "}", "\n"


@dataclass
class Statement:
    """One keepalived statement: a keyword, its words, and its block if it opens one."""

    keyword: str
    args: list[str]
    file: str
    line: int
    children: list[Statement] | None = None
    condition: str | None = None  # the `@id` the line applies to, `^id` for all but id

    def add(self, child: Statement) -> None:
        if self.children is None:
            self.children = []
        self.children.append(child)

    def all(self, keyword: str) -> list[Statement]:
        return [c for c in self.children or [] if c.keyword == keyword]

    def first(self, keyword: str) -> Statement | None:
        found = self.all(keyword)
        plain = [s for s in found if s.condition is None]
        return (plain or found)[0] if found else None

    def value(self, keyword: str) -> str | None:
        found = self.first(keyword)
        return found.args[0] if found and found.args else None

    @property
    def name(self) -> str:
        return self.args[0] if self.args else ""

    def words(self) -> list[str]:
        return [c.keyword for c in self.children or []] + [
            a for c in self.children or [] for a in c.args
        ]


@dataclass
class KeepalivedConfig:
    file: str
    statements: list[Statement] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # this file and the ones it includes

    def all(self, keyword: str) -> list[Statement]:
        return [s for s in self.statements if s.keyword == keyword]

    def instances(self) -> list[Statement]:
        return self.all("vrrp_instance")

    def scripts(self) -> dict[str, Statement]:
        return {s.name: s for s in self.all("vrrp_script") if s.name}

    def global_value(self, keyword: str) -> str | None:
        for block in self.all("global_defs"):
            if (found := block.value(keyword)) is not None:
                return found
        return None

    def has_global(self, keyword: str) -> bool:
        return any(block.first(keyword) is not None for block in self.all("global_defs"))


def split_tokens(line: str) -> tuple[list[str], bool]:
    """The words of one line; the bool says a quoted string was left open."""
    words: list[str] = []
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if c.isspace():
            i += 1
        elif c in "#!":
            break
        elif c in "{}":
            words.append(c)
            i += 1
        elif c == '"':
            j = i + 1
            text = []
            while j < n and line[j] != '"':
                if line[j] == "\\" and j + 1 < n:
                    j += 1
                text.append(line[j])
                j += 1
            if j >= n:
                words.append("".join(text))
                return words, True
            words.append("".join(text))
            i = j + 1
        else:
            j = i
            while j < n and not line[j].isspace() and line[j] not in '{}"':
                j += 1
            words.append(line[i:j])
            i = j
    return words, False


def walk(statements: list[Statement]) -> Iterator[Statement]:
    for statement in statements:
        yield statement
        yield from walk(statement.children or [])
