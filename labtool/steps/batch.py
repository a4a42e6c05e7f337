"""Many of a check's commands for one node in one process: each in a subshell of its own,
its output then a line with a mark and its exit status, so that a node is entered once per
round of a check, not once per command (on a busy machine each entry is three processes)."""

from __future__ import annotations

import secrets

PER_COMMAND_S = 5.0  # a command's own time in a batch's timeout, beyond a single command's


def new_mark() -> str:
    """A fresh mark for one batch: no file the commands print can hold it by chance."""
    return f"@@labtool-{secrets.token_hex(8)}"


def script(commands: list[str], mark: str) -> str:
    """One shell script running each command in turn (none can end the others: a subshell
    each, no input), each followed by a newline, the mark and its exit status."""
    return "\n".join(f"(\n{c}\n) </dev/null; printf '\\n{mark} %s\\n' \"$?\"" for c in commands)


def split(out: str, mark: str, count: int) -> list[tuple[bool, str]]:
    """Each command's (succeeded, output) from the batch's output; a command whose mark is
    missing (the batch cut short) failed with what it printed, those after it with nothing."""
    found: list[tuple[bool, str]] = []
    rest = out
    while len(found) < count:
        head, sep, rest = rest.partition(f"\n{mark} ")
        if not sep:
            found.append((False, head))
            break
        status, _, rest = rest.partition("\n")
        found.append((status.strip() == "0", head))
    return found + [(False, "")] * (count - len(found))
