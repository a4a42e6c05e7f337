"""keepalived.conf, read as keepalived reads it: one statement per line, `{` and `}` as tokens
wherever they are (also on the next line, or a whole block on one line), `#` and `!` comments
(also right after `{`), quoted strings, `@id` conditional lines, `include` (through a Resolver).
Every statement keeps its file and line. Bad input never raises: it becomes a Finding."""

from __future__ import annotations

import posixpath

from labtool.configs.common import Resolver, decode, is_binary
from labtool.configs.keepalived_model import KeepalivedConfig
from labtool.configs.keepalived_reader import KeepalivedReader
from labtool.i18n import Msg


def parse_keepalived(
    data: bytes | str, path: str = "keepalived.conf", resolver: Resolver | None = None
) -> KeepalivedConfig:
    """Parse keepalived.conf; never raises on its content."""
    reader = KeepalivedReader(path, resolver)
    if isinstance(data, bytes):
        if is_binary(data):
            reader.find(
                "KA-SYNTAX",
                "error",
                Msg("not a text file (binary content)"),
                path,
                None,
                fix=Msg("hand in the keepalived.conf text file"),
            )
            return reader.config
        data = decode(data)
    return reader.parse(data)


def include_candidates(pattern: str, including: str) -> str:
    """The path an include names, made absolute against the including file's folder."""
    if posixpath.isabs(pattern):
        return posixpath.normpath(pattern)
    return posixpath.normpath(posixpath.join(posixpath.dirname(including) or "/", pattern))
