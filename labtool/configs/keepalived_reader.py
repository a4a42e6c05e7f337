"""Reading keepalived.conf as keepalived does: blocks, includes (bounded), unknown keywords and
misplaced ones noted with their line."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from labtool.configs.common import Finding, Resolver
from labtool.configs.keepalived_model import (
    CLOSE,
    END,
    OPEN,
    KeepalivedConfig,
    Statement,
    split_tokens,
    walk,
)
from labtool.configs.keepalived_words import INSTANCE, MAX_INCLUDE_DEPTH, SCRIPT, TOP_LEVEL
from labtool.i18n import Msg


class KeepalivedReader:
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
            words, open_quote = split_tokens(raw)
            if open_quote:
                self.find(
                    "KA-SYNTAX",
                    "error",
                    Msg("a quoted string is not closed: {value}", value=raw.strip()),
                    path,
                    number,
                    fix=Msg('close the string with "'),
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
            self.find("KA-INCLUDE", "error", Msg("'include' without a file"), path, number)
            return
        if depth >= MAX_INCLUDE_DEPTH:
            self.find(
                "KA-INCLUDE",
                "error",
                Msg(
                    "include {value}: includes nested more than {max_include_depth} deep (a loop?)",
                    value=args[0],
                    max_include_depth=MAX_INCLUDE_DEPTH,
                ),
                path,
                number,
            )
            return
        found = self.resolver(args[0], path) if self.resolver else None
        if not found:
            self.find(
                "KA-INCLUDE",
                "warning",
                Msg(
                    "include {value}: no such file here, its statements were not read",
                    value=args[0],
                ),
                path,
                number,
                Msg(
                    "keepalived reads included files at start-up; a missing one is ignored or "
                    "stops it, depending on the version"
                ),
                Msg(
                    "hand in {value} too, or put its statements in {path}",
                    value=args[0],
                    path=path,
                ),
            )
            return
        for included, text in found:
            yield from self.lines(included, text, depth + 1)

    def parse(self, text: str) -> KeepalivedConfig:
        root = Statement("", [], self.config.file, 0, [])
        self.stack = [root]  # the blocks open at this point
        self.last: Statement | None = None  # the statement just made in the open block
        for path, number, words, condition in self.lines(self.config.file, text, 0):
            pending: list[str] = []
            # A statement ends at the end of its line, or at a brace.
            for word in [*words, END]:
                if word not in (OPEN, CLOSE, END):
                    pending.append(word)
                    continue
                made = None
                if pending:
                    children: list[Statement] | None = [] if word == OPEN else None
                    made = Statement(pending[0], pending[1:], path, number, children, condition)
                    self.stack[-1].add(made)
                    pending, self.last = [], made
                if word == OPEN:
                    self.open_block(made, path, number)
                elif word == CLOSE:
                    self.close_block(path, number)
        for block in self.stack[1:]:
            self.find(
                "KA-SYNTAX",
                "error",
                Msg("'{keyword} {{' is never closed", keyword=block.keyword),
                block.file,
                block.line,
                Msg("keepalived reads the rest of the file as part of this block"),
                Msg("add the missing '}}'"),
            )
        self.config.statements = root.children or []
        self.check_keywords()
        return self.config

    def open_block(self, made: Statement | None, path: str, number: int) -> None:
        last = self.last
        after_its_keyword = (  # `{` on the line after its keyword
            made is None
            and last is not None
            and last.children is None
            and last in (self.stack[-1].children or [])
        )
        if after_its_keyword and last is not None:
            last.children = []
            made = last
        if made is None:
            self.find(
                "KA-SYNTAX",
                "error",
                Msg("'{{' with no keyword before it"),
                path,
                number,
                fix=Msg("put the block's keyword before '{{'"),
            )
            made = Statement("", [], path, number, [])
        self.stack.append(made)
        self.last = None

    def close_block(self, path: str, number: int) -> None:
        if len(self.stack) == 1:
            self.find(
                "KA-SYNTAX",
                "error",
                Msg("'}}' closes no block"),
                path,
                number,
                fix=Msg("remove this '}}' or the one that closed the block early"),
            )
        else:
            self.last = self.stack.pop()

    def check_keywords(self) -> None:
        for statement in walk(self.config.statements):
            if any(a.startswith("//") for a in statement.args):
                self.find(
                    "KA-SYNTAX",
                    "warning",
                    Msg(
                        "'{keyword}' has '//' text after it: keepalived has no '//' comments, it "
                        "reads those words as values",
                        keyword=statement.keyword,
                    ),
                    statement.file,
                    statement.line,
                    fix=Msg("start comments with # or !"),
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
                        Msg(
                            "'{keyword} {name}' has no '{{ ... }}' block",
                            keyword=statement.keyword,
                            name=statement.name,
                        ),
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
            Msg("unknown keyword '{keyword}' {where}", keyword=statement.keyword[:60], where=where),
            statement.file,
            statement.line,
            Msg(
                "keepalived ignores (or refuses) a keyword it does not know, and the setting you "
                "meant does not apply"
            ),
            Msg("did you mean '{close}'?", close=close[0])
            if close
            else Msg("remove the line or fix it"),
        )
