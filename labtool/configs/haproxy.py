"""haproxy.cfg, read as HAProxy reads it: sections opened by their keyword, one directive per
line, `#` comments, quotes and backslash escapes, `.if`/`.elif`/`.else`/`.endif` blocks (both
branches kept: which one applies depends on the machine), old (1.3-1.5) and new (2.x-3.x)
syntax. Every line keeps its file and line number. Bad input never raises: it becomes a
Finding."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from labtool.configs.common import Finding

SECTIONS = frozenset(
    {
        "global",
        "defaults",
        "frontend",
        "backend",
        "listen",
        "peers",
        "resolvers",
        "userlist",
        "program",
        "cache",
        "http-errors",
        "ring",
        "mailers",
        "crt-store",
        "traces",
        "log-forward",
        "fcgi-app",
        "dynamic-update",
        "acme",
        "namespace_list",
    }
)
PROXIES = frozenset({"defaults", "frontend", "backend", "listen"})
# Keywords HAProxy 2.x removed or refuses, with what replaces them.
REMOVED = {
    "contimeout": "timeout connect",
    "clitimeout": "timeout client",
    "srvtimeout": "timeout server",
    "redispatch": "option redispatch",
    "block": "http-request deny if ...",
    "reqadd": "http-request add-header",
    "reqrep": "http-request replace-header / replace-path",
    "reqdel": "http-request del-header",
    "reqirep": "http-request replace-header",
    "reqidel": "http-request del-header",
    "reqdeny": "http-request deny",
    "reqideny": "http-request deny",
    "reqallow": "http-request allow",
    "reqiallow": "http-request allow",
    "reqpass": "(remove it)",
    "reqtarpit": "http-request tarpit",
    "reqitarpit": "http-request tarpit",
    "rspadd": "http-response add-header",
    "rsprep": "http-response replace-header",
    "rspdel": "http-response del-header",
    "rspirep": "http-response replace-header",
    "rspidel": "http-response del-header",
    "rspdeny": "http-response deny",
    "rspideny": "http-response deny",
}
PLACEHOLDER = re.compile(r"<[A-Za-z][A-Za-z0-9_-]*>")


@dataclass
class Line:
    words: list[str]
    file: str
    line: int
    conditional: bool = False  # inside a .if block

    @property
    def keyword(self) -> str:
        return self.words[0] if self.words else ""


@dataclass
class Section:
    kind: str
    name: str
    args: list[str]  # after the name: the 1.x address on a frontend/listen line, `from X`...
    file: str
    line: int
    lines: list[Line] = field(default_factory=list)

    def all(self, keyword: str) -> list[Line]:
        return [ln for ln in self.lines if ln.keyword == keyword]

    def first(self, keyword: str) -> Line | None:
        found = self.all(keyword)
        return found[0] if found else None

    def servers(self) -> list[Line]:
        return [ln for ln in self.lines if ln.keyword == "server" and len(ln.words) >= 3]

    def timeout(self, name: str) -> Line | None:
        found = [ln for ln in self.lines if ln.words[:2] == ["timeout", name]]
        return found[-1] if found else None


@dataclass
class HaproxyConfig:
    file: str
    sections: list[Section] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def of_kind(self, *kinds: str) -> list[Section]:
        return [s for s in self.sections if s.kind in kinds]

    def frontends(self) -> list[Section]:
        """Sections that receive traffic: frontend and listen."""
        return self.of_kind("frontend", "listen")

    def backends(self) -> list[Section]:
        """Sections that hold servers: backend and listen."""
        return self.of_kind("backend", "listen")

    def backend(self, name: str) -> Section | None:
        return next((s for s in self.backends() if s.name == name), None)

    def defaults_for(self, section: Section) -> Section | None:
        """The defaults section in force for a proxy: the named one (`from NAME`), else the
        last one above it."""
        if "from" in section.args[:1] and len(section.args) > 1:
            named = [s for s in self.of_kind("defaults") if s.name == section.args[1]]
            if named:
                return named[-1]
        found = None
        for candidate in self.sections:
            if candidate is section:
                break
            if candidate.kind == "defaults":
                found = candidate
        return found


def words_of(raw: str) -> tuple[list[str], str | None]:
    """HAProxy's split of one line: spaces separate words, `#` starts a comment, quotes
    group, backslash escapes. Returns the words and an error (an unclosed quote)."""
    words: list[str] = []
    current: list[str] = []
    quote: str | None = None
    started = False
    i, n = 0, len(raw)
    while i < n:
        c = raw[i]
        if quote:
            if c == quote:
                quote = None
            elif c == "\\" and quote == '"' and i + 1 < n:
                i += 1
                current.append(raw[i])
            else:
                current.append(c)
        elif c == "\\" and i + 1 < n:
            i += 1
            current.append(raw[i])
            started = True
        elif c in "\"'":
            quote, started = c, True
        elif c == "#":
            break
        elif c.isspace():
            if started:
                words.append("".join(current))
                current, started = [], False
        else:
            current.append(c)
            started = True
        i += 1
    if started:
        words.append("".join(current))
    return words, ("a quoted string is not closed" if quote else None)


def parse_haproxy(data: bytes | str, path: str = "haproxy.cfg") -> HaproxyConfig:
    """Parse haproxy.cfg; never raises on its content (labtool.configs.haproxy_reader)."""
    from labtool.configs.haproxy_reader import read

    return read(data, path)
