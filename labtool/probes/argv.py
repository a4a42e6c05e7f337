"""How labtool starts the probes on a node: the agent's command line, and the helper's beside
it that hands a node's address socket over."""

from __future__ import annotations

import sys
from pathlib import PurePosixPath

from labtool.spec.model import LabSpec


def agent_argv(
    spec: LabSpec,
    *,
    rate: float,
    duration_s: float,
    timeout_s: float,
    program: list[str] | None = None,
    capture: bool = False,
    hold: bool = False,
    watch_addr: bool = False,
    stats_socket: str | None = None,
    stats_interval_s: float = 0.1,
) -> list[str]:
    """The agent's command line; by default this very Python, whose files a netns node sees
    (a machine of its own gets the agent's files copied and runs them with its python3)."""
    program = program or [sys.executable, "-m", "labtool.probes.agent"]
    return [
        *program,
        "--vip",
        str(spec.vip),
        "--iface",
        spec.nic,
        "--rate",
        str(rate),
        "--duration",
        f"{duration_s:.1f}",
        "--max-requests",
        str(int(rate * duration_s) + 1),
        "--timeout",
        str(timeout_s),
        "--grace",
        "0.1",
        *(["--capture"] if capture else []),
        *(["--hold"] if hold else []),
        *(["--watch-addr"] if watch_addr else []),
        *(["--stats-socket", stats_socket] if stats_socket else []),
        *(["--stats-interval", f"{stats_interval_s:g}"] if stats_socket else []),
    ]


def handover_program(program: list[str] | None) -> list[str]:
    """The helper that hands a node's address socket over (labtool.probes.handover) where the
    agent would run: this very Python, or the copy beside the agent on a node."""
    if program is None:
        return [sys.executable, "-m", "labtool.probes.handover"]
    return [*program[:-1], str(PurePosixPath(program[-1]).with_name("handover.py"))]
