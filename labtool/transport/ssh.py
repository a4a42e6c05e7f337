"""Runs commands on a node over SSH (Fabric), as the Vagrant backend does.

The target comes from `vagrant ssh-config` (or any OpenSSH config text), read with paramiko's
SSHConfig, which keeps every IdentityFile line (Vagrant >= 2.4 prints two). A ProxyCommand is
honoured, which is how tests reach a real sshd inside a netns node without a routed address.
Fabric is imported only when a connection is made.
"""

from __future__ import annotations

import io
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from labtool.i18n import Msg
from labtool.runner import CommandResult
from labtool.transport.base import Transport, cannot_write


@dataclass(frozen=True)
class SshTarget:
    host: str
    user: str
    port: int = 22
    identity_files: tuple[str, ...] = ()
    proxy_command: str | None = None
    options: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_ssh_config(cls, text: str, alias: str, user: str = "root") -> SshTarget:
        """One host of an OpenSSH config text (e.g. `vagrant ssh-config NODE`); `user` where
        the text names none."""
        from paramiko import SSHConfig

        entry = SSHConfig.from_text(text).lookup(alias)
        return cls(
            host=entry.get("hostname", alias),
            user=entry.get("user", user),
            port=int(entry.get("port", 22)),
            identity_files=tuple(entry.get("identityfile", [])),
            proxy_command=entry.get("proxycommand"),
        )

    def ssh_argv(self) -> list[str]:
        """The equivalent `ssh` command line, for an interactive shell."""
        argv = [
            "ssh",
            "-p",
            str(self.port),
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            "-o",
            "IdentitiesOnly=yes",
        ]
        for key in self.identity_files:
            argv += ["-i", key]
        if self.proxy_command:
            argv += ["-o", f"ProxyCommand={self.proxy_command}"]
        return [*argv, f"{self.user}@{self.host}"]


class SshTransport(Transport):
    """One SSH connection per node, kept open; commands run with sudo unless user is root."""

    def __init__(self, node: str, target: SshTarget) -> None:
        self.node = node
        self.target = target
        self._connection: Any = None

    def _connect(self) -> Any:
        if self._connection is None:
            from fabric import Connection
            from paramiko import AutoAddPolicy

            self._connection = Connection(
                self.target.host,
                user=self.target.user,
                port=self.target.port,
                gateway=self.target.proxy_command,
                connect_kwargs={
                    "key_filename": list(self.target.identity_files),
                    "look_for_keys": False,
                    "allow_agent": False,
                },
                connect_timeout=30,
            )
            self._connection.client.set_missing_host_key_policy(AutoAddPolicy())
        return self._connection

    def _wrap(self, command: Sequence[str] | str) -> str:
        text = command if isinstance(command, str) else shlex.join(command)
        if self.target.user != "root":
            text = f"sudo -n sh -c {shlex.quote(text)}"
        return text

    def argv(self, command: Sequence[str]) -> list[str]:
        return [*self.target.ssh_argv(), self._wrap(list(command))]

    def run(
        self,
        command: Sequence[str] | str,
        *,
        timeout_s: float | None = 60.0,
        input_text: str | None = None,
    ) -> CommandResult:
        wrapped = self._wrap(command)
        try:
            result = self._connect().run(
                wrapped,
                hide=True,
                warn=True,
                timeout=timeout_s,
                in_stream=io.StringIO(input_text) if input_text is not None else False,
            )
        except Exception as exc:  # a network or auth error is a failed command, with a reason
            return CommandResult(
                ("ssh", self.target.host, wrapped), 255, "", f"ssh to {self.node}: {exc}"
            )
        return CommandResult(
            ("ssh", self.target.host, wrapped), result.exited, result.stdout, result.stderr
        )

    def put(self, path: str, content: str, mode: int = 0o644) -> None:
        """Over SFTP to a temporary file, then moved into place (with sudo if need be):
        Fabric feeds a command's stdin one byte at a time, far too slow for files."""
        import secrets

        from labtool.errors import LabtoolError

        staging = f"/tmp/.labtool-{secrets.token_hex(6)}"
        try:
            self._connect().put(io.BytesIO(content.encode()), remote=staging)
        except Exception as exc:
            raise LabtoolError(
                Msg("{node}: cannot copy {path}: {exc}", node=self.node, path=path, exc=exc)
            ) from None
        moved = self.run(["install", "-D", "-m", f"{mode:o}", staging, path])
        self.run(["rm", "-f", staging])
        if not moved.succeeded:
            raise cannot_write(self.node, path, moved)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
