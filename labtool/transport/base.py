"""The transport interface: run a command on one node, put a file on it."""

from __future__ import annotations

import os
import shlex
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence

from labtool.errors import LabtoolError
from labtool.i18n import Msg
from labtool.runner import CommandResult


class Transport(ABC):
    """Runs commands on one node. Lab logic lives elsewhere."""

    node: str

    @abstractmethod
    def argv(self, command: Sequence[str]) -> list[str]:
        """The local argv that runs `command` on the node."""

    @abstractmethod
    def run(
        self,
        command: Sequence[str] | str,
        *,
        timeout_s: float | None = 60.0,
        input_text: str | None = None,
    ) -> CommandResult:
        """Run a command (argv, or a shell string run by /bin/sh) on the node."""

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment for a local process that reaches the node (argv())."""
        return {**os.environ, **(extra or {})}

    def put(self, path: str, content: str, mode: int = 0o644) -> None:
        """Write `content` to `path` on the node, through the node's own shell."""
        script = f"umask 022 && cat > {shlex.quote(path)} && chmod {mode:o} {shlex.quote(path)}"
        result = self.run(script, input_text=content)
        if not result.succeeded:
            raise cannot_write(self.node, path, result)

    def close(self) -> None:
        """Release what the transport holds open (a connection); nothing by default."""
        return None

    @staticmethod
    def shell(command: Sequence[str] | str) -> list[str]:
        """argv for a command given as a list, or as one shell string."""
        return ["/bin/sh", "-c", command] if isinstance(command, str) else list(command)


def cannot_write(node: str, path: str, result: CommandResult) -> LabtoolError:
    """A file a node's transport could not write, in the command's own words."""
    from labtool.errors import LabtoolError

    return LabtoolError(
        Msg(
            "{node}: cannot write {path}: {why}",
            node=node,
            path=path,
            why=result.describe_failure(),
        )
    )
