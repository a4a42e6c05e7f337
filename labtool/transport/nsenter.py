"""Runs commands on a netns node by entering the namespaces its holder process owns."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

from labtool import runner
from labtool.runner import CommandResult
from labtool.transport.base import Transport

NODE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def nsenter_argv(holder_pid: int, command: Sequence[str], *, workdir: str = "/") -> list[str]:
    """Enter the user, net, mount, UTS, IPC and PID namespaces of a node holder: the command
    runs as the node's root, which is nobody on this machine.

    The holder is the `unshare` process: it owns the node's namespaces but lives in the root
    PID namespace, so the node's PID namespace is its `pid_for_children`. Entering the mount
    namespace puts the command at the node's own "/"; another `workdir` is reached from there
    (nsenter's own --wd would open it on this machine, leaving the command's working folder
    outside the node's read-only view).
    """
    if workdir != "/":
        command = ["/bin/sh", "-c", 'cd "$0" && exec "$@"', workdir, *command]
    return [
        "nsenter",
        "-t",
        str(holder_pid),
        "-U",
        "-n",
        "-m",
        "-u",
        "-i",
        f"--pid=/proc/{holder_pid}/ns/pid_for_children",
        "--",
        *command,
    ]


def node_env(lab: str, node: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of every process labtool starts on a node (marked with the lab's
    name, which is how `labtool down` finds them again)."""
    env = {
        "PATH": NODE_PATH,
        "HOME": "/root",
        "LANG": "C.UTF-8",
        "TERM": "xterm",
        "HOSTNAME": node,
        "LABTOOL_LAB": lab,
        "LABTOOL_NODE": node,
        "LABTOOL_OWNER": str(os.geteuid()),  # whose lab: root's and each user's are apart
    }
    env.update(extra or {})
    return env


class NsenterTransport(Transport):
    """nsenter into a node's namespaces; the command sees the node's files and processes."""

    def __init__(
        self,
        lab: str,
        node: str,
        holder_pid: int,
        wrap: Callable[[list[str]], list[str]] | None = None,
    ) -> None:
        self.lab = lab
        self.node = node
        self.holder_pid = holder_pid
        self.wrap = wrap  # a confined lab's: its processes start within the lab's bounds

    def argv(self, command: Sequence[str]) -> list[str]:
        argv = nsenter_argv(self.holder_pid, command)
        return self.wrap(argv) if self.wrap else argv

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return node_env(self.lab, self.node, extra)

    def run(
        self,
        command: Sequence[str] | str,
        *,
        timeout_s: float | None = 60.0,
        input_text: str | None = None,
    ) -> CommandResult:
        return runner.run(
            self.argv(self.shell(command)),
            timeout_s=timeout_s,
            input_text=input_text,
            env=self.env(),
            shielded=True,  # (a node's command is never cut half-way by a Ctrl-C)
        )
