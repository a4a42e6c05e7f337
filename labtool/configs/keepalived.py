"""keepalived.conf, read as keepalived reads it: one statement per line, `{` and `}` as tokens
wherever they are (also on the next line, or a whole block on one line), `#` and `!` comments
(also right after `{`), quoted strings, `@id` conditional lines, `include` (through a Resolver).
Every statement keeps its file and line. Bad input never raises: it becomes a Finding."""

from __future__ import annotations

import difflib
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field

from labtool.configs.common import Finding, Resolver, decode, is_binary

MAX_INCLUDE_DEPTH = 8

TOP_LEVEL = frozenset(
    {
        "global_defs",
        "vrrp_instance",
        "vrrp_sync_group",
        "vrrp_script",
        "vrrp_track_file",
        "track_file",
        "vrrp_track_process",
        "track_process",
        "virtual_server",
        "virtual_server_group",
        "static_ipaddress",
        "static_routes",
        "static_rules",
        "include",
        "linkbeat_interfaces",
        "net_namespace",
        "net_namespace_ipvs",
        "garp_group",
        "bfd_instance",
        "instance",
        "use_pid_dir",
        "namespace_with_ipsets",
        "vrrp_garp_interval",
        "vrrp_gna_interval",
        "vrrp_track_interface",
        "vrrp_netlink_cmd_rcv_bufs",
        "local_address_group",
        "sorry_server",
        "real_server",
        "track_bfd",
    }
)
INSTANCE = frozenset(
    {
        "state",
        "interface",
        "virtual_router_id",
        "priority",
        "advert_int",
        "authentication",
        "virtual_ipaddress",
        "virtual_ipaddress_excluded",
        "track_script",
        "track_interface",
        "track_process",
        "track_file",
        "track_bfd",
        "track_group",
        "nopreempt",
        "preempt_delay",
        "preempt",
        "notify_master",
        "notify_backup",
        "notify_fault",
        "notify_stop",
        "notify",
        "notify_master_rx_lower_pri",
        "notify_deleted",
        "smtp_alert",
        "lvs_sync_daemon_interface",
        "mcast_src_ip",
        "unicast_src_ip",
        "unicast_peer",
        "unicast_ttl",
        "unicast_fault_no_peer",
        "garp_master_delay",
        "garp_master_repeat",
        "garp_master_refresh",
        "garp_master_refresh_repeat",
        "garp_lower_prio_delay",
        "garp_lower_prio_repeat",
        "garp_interval",
        "gna_interval",
        "garp_extra_if",
        "dont_track_primary",
        "version",
        "use_vmac",
        "vmac_xmit_base",
        "native_ipv6",
        "accept",
        "no_accept",
        "strict_mode",
        "virtual_routes",
        "virtual_rules",
        "debug",
        "skip_check_adv_addr",
        "check_unicast_src",
        "promote_secondaries",
        "kernel_rx_buf_size",
        "down_timer_adverts",
        "lower_prio_no_advert",
        "higher_prio_send_advert",
        "old_unicast_checksum",
        "vrrp_version",
        "use_ipvlan",
        "track_interface_weight",
        "track_src_ip",
        "no_accept_mode",
        "dont_send_advert",
        "mcast_dst_ip",
        "ttl",
        "interface_up_delay",
        "notify_priority_changes",
        "sync_group",
        "vrrp_garp_master_delay",
        "vrrp_garp_master_repeat",
        "label",
        "virtual_ipaddress_ex",
    }
)
SCRIPT = frozenset(
    {
        "script",
        "interval",
        "timeout",
        "weight",
        "rise",
        "fall",
        "user",
        "init_fail",
        "weight_reverse",
    }
)


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


OPEN, CLOSE, END = "{", "}", "\n"


def _tokens(line: str) -> tuple[list[str], bool]:
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


class _Reader:
    def __init__(self, path: str, resolver: Resolver | None) -> None:
        self.config = KeepalivedConfig(path)
        self.resolver = resolver

    def find(
        self,
        rule: str,
        severity: str,
        message: str,
        file: str,
        line: int | None,
        explanation: str = "",
        fix: str = "",
    ) -> None:
        self.config.findings.append(Finding(rule, severity, message, file, line, explanation, fix))

    def lines(
        self, path: str, text: str, depth: int
    ) -> Iterator[tuple[str, int, list[str], str | None]]:
        """(file, line, words, condition) per line, includes read in place."""
        self.config.files.append(path)
        for number, raw in enumerate(text.splitlines(), 1):
            words, open_quote = _tokens(raw)
            if open_quote:
                self.find(
                    "KA-SYNTAX",
                    "error",
                    f"a quoted string is not closed: {raw.strip()}",
                    path,
                    number,
                    fix='close the string with "',
                )
            condition = None
            if words and words[0].startswith("@") and len(words[0]) > 1:
                condition = words.pop(0)[1:]
            if words and words[0] == "include" and condition is None:
                yield from self.include(path, number, words[1:], depth)
                continue
            yield path, number, words, condition

    def include(
        self, path: str, number: int, args: list[str], depth: int
    ) -> Iterator[tuple[str, int, list[str], str | None]]:
        if not args:
            self.find("KA-INCLUDE", "error", "'include' without a file", path, number)
            return
        if depth >= MAX_INCLUDE_DEPTH:
            self.find(
                "KA-INCLUDE",
                "error",
                f"include {args[0]}: includes nested more than {MAX_INCLUDE_DEPTH} deep (a loop?)",
                path,
                number,
            )
            return
        found = self.resolver(args[0], path) if self.resolver else None
        if not found:
            self.find(
                "KA-INCLUDE",
                "warning",
                f"include {args[0]}: no such file here, its statements were not read",
                path,
                number,
                "keepalived reads included files at start-up; a missing one is ignored "
                "or stops it, depending on the version",
                f"hand in {args[0]} too, or put its statements in {path}",
            )
            return
        for included, text in found:
            yield from self.lines(included, text, depth + 1)

    def parse(self, text: str) -> KeepalivedConfig:
        root = Statement("", [], self.config.file, 0, [])
        stack = [root]
        last: Statement | None = None
        for path, number, words, condition in self.lines(self.config.file, text, 0):
            pending: list[str] = []
            # A statement ends at the end of its line, or at a brace.
            for word in [*words, END]:
                if word not in (OPEN, CLOSE, END):
                    pending.append(word)
                    continue
                made = None
                if pending:
                    made = Statement(
                        pending[0],
                        pending[1:],
                        path,
                        number,
                        [] if word == OPEN else None,
                        condition,
                    )
                    stack[-1].add(made)
                    pending, last = [], made
                if word == OPEN:
                    if (
                        made is None
                        and last is not None
                        and last.children is None
                        and last in (stack[-1].children or [])
                    ):
                        last.children = []  # `{` on the line after its keyword
                        made = last
                    if made is None:
                        self.find(
                            "KA-SYNTAX",
                            "error",
                            "'{' with no keyword before it",
                            path,
                            number,
                            fix="put the block's keyword before '{'",
                        )
                        made = Statement("", [], path, number, [])
                    stack.append(made)
                    last = None
                elif word == CLOSE:
                    if len(stack) == 1:
                        self.find(
                            "KA-SYNTAX",
                            "error",
                            "'}' closes no block",
                            path,
                            number,
                            fix="remove this '}' or the one that closed the block early",
                        )
                    else:
                        last = stack.pop()
        for block in stack[1:]:
            self.find(
                "KA-SYNTAX",
                "error",
                f"'{block.keyword} {{' is never closed",
                block.file,
                block.line,
                "keepalived reads the rest of the file as part of this block",
                "add the missing '}'",
            )
        self.config.statements = root.children or []
        self.check_keywords()
        return self.config

    def check_keywords(self) -> None:
        for statement in walk(self.config.statements):
            if any(a.startswith("//") for a in statement.args):
                self.find(
                    "KA-SYNTAX",
                    "warning",
                    f"'{statement.keyword}' has '//' text after "
                    "it: keepalived has no '//' comments, it reads those words as values",
                    statement.file,
                    statement.line,
                    fix="start comments with # or !",
                )
        for statement in self.config.statements:
            if statement.keyword.startswith("$") or statement.keyword.startswith("~"):
                continue  # keepalived's parameter definitions and sequences
            if statement.keyword not in TOP_LEVEL:
                self.unknown(statement, TOP_LEVEL, "at the top level")
            elif statement.keyword in ("vrrp_instance", "vrrp_script"):
                known = INSTANCE if statement.keyword == "vrrp_instance" else SCRIPT
                if statement.children is None:
                    self.find(
                        "KA-SYNTAX",
                        "error",
                        f"'{statement.keyword} {statement.name}' has no '{{ ... }}' block",
                        statement.file,
                        statement.line,
                    )
                for child in statement.children or []:
                    if child.keyword not in known and not child.keyword.startswith("$"):
                        self.unknown(child, known, f"in {statement.keyword} {statement.name}")

    def unknown(self, statement: Statement, known: frozenset[str], where: str) -> None:
        close = difflib.get_close_matches(statement.keyword, sorted(known), n=1, cutoff=0.75)
        self.find(
            "KA-UNKNOWN",
            "warning",
            f"unknown keyword '{statement.keyword[:60]}' {where}",
            statement.file,
            statement.line,
            "keepalived ignores (or refuses) a keyword it does not know, and the setting "
            "you meant does not apply",
            f"did you mean '{close[0]}'?" if close else "remove the line or fix it",
        )


def walk(statements: list[Statement]) -> Iterator[Statement]:
    for statement in statements:
        yield statement
        yield from walk(statement.children or [])


def parse_keepalived(
    data: bytes | str, path: str = "keepalived.conf", resolver: Resolver | None = None
) -> KeepalivedConfig:
    """Parse keepalived.conf; never raises on its content."""
    reader = _Reader(path, resolver)
    if isinstance(data, bytes):
        if is_binary(data):
            reader.find(
                "KA-SYNTAX",
                "error",
                "not a text file (binary content)",
                path,
                None,
                fix="hand in the keepalived.conf text file",
            )
            return reader.config
        data = decode(data)
    return reader.parse(data)


def include_candidates(pattern: str, including: str) -> str:
    """The path an include names, made absolute against the including file's folder."""
    if posixpath.isabs(pattern):
        return posixpath.normpath(pattern)
    return posixpath.normpath(posixpath.join(posixpath.dirname(including) or "/", pattern))
