"""Probes on labtool's side (layer 6): the processes that report into a `Recorder`.

- `LineReader`: a process (an agent, through a node's transport) whose stdout lines feed the
  recorder, with what an operator needs when it goes wrong: when it started, when it was
  ready, its exit, the last lines it printed, its errors in a log of its own (`Probe`; the
  other kind of probe is `addresses.AddressWatch`, a node's socket read here);
- `StatsPoller`: HAProxy's `show stat` on each stats socket reachable from here (netns: the
  node's folder; a UNIX socket, no network traffic).
"""

from __future__ import annotations

import contextlib
import csv
import io
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from labtool import runner
from labtool.probes.probe import Probe
from labtool.probes.recorder import Recorder, server_names
from labtool.spec import roles
from labtool.spec.model import LabSpec

if TYPE_CHECKING:
    from labtool.backends.base import Backend


class LineReader(Probe):
    """A process whose stdout lines feed a callback, on a thread of its own."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        on_line: Callable[[str], None],
        on_end: Callable[[], None] | None = None,
        stdin_pipe: bool = False,
        log: Path | None = None,
    ) -> None:
        """`log`: where the process's stderr goes, and a line about its end."""
        super().__init__(name, log, on_line)
        self.on_end = on_end
        self.spawned_at = time.monotonic()
        if log is not None:
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("a") as errors:
                errors.write(f"labtool: {name}: {' '.join(argv)}\n")
                errors.flush()
                self.proc = runner.spawn(argv, env=env, stdin_pipe=stdin_pipe, stderr=errors)
        else:
            self.proc = runner.spawn(argv, env=env, stdin_pipe=stdin_pipe)
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._line(line, time.monotonic())
        self.ended_at = time.monotonic()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        self._log_end()
        if self.on_end:
            self.on_end()

    @property
    def exit_code(self) -> int | None:
        return self.proc.returncode

    def wait_end(self, timeout_s: float) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=timeout_s)

    def send(self, line: str) -> bool:
        """A line to its stdin; False if it no longer reads."""
        if self.proc.stdin is None:
            return False
        try:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
        except (OSError, ValueError):
            return False
        return True

    def stop(self, timeout_s: float = 5.0) -> None:
        """Close its stdin (the agent's signal to stop), then make sure it is gone."""
        if self.proc.stdin:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.thread.join(timeout=timeout_s)


SERVERS_ONLY = "show stat -1 4 -1"  # (every proxy, servers only: a third of the rows)


def parse_show_stat(text: str) -> list[dict[str, str]]:
    """HAProxy's `show stat` CSV (its header line starts with '# ')."""
    return list(csv.DictReader(io.StringIO(text.lstrip("# "))))


def query_stats(socket_path: Path, command: str = "show stat", timeout_s: float = 1.0) -> str:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout_s)
        sock.connect(str(socket_path))
        sock.sendall(command.encode() + b"\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def read_servers(
    spec: LabSpec, sockets: dict[str, Path], names: dict[tuple[str, str], str] | None = None
) -> dict[str, dict[str, str]]:
    """lb -> web node -> HAProxy's status of it (UP, DOWN, "UP 1/3"...); {} if unreachable.
    `names`: HAProxy's (backend, server) -> web node (the lab's by default: server_names)."""
    names = names if names is not None else server_names(spec)
    found: dict[str, dict[str, str]] = {}
    for lb, path in sockets.items():
        found[lb] = {}
        try:
            rows = parse_show_stat(query_stats(path, SERVERS_ONLY))
        except OSError:
            continue
        for row in rows:
            node = names.get((row.get("pxname", ""), row.get("svname", "")))
            if node is not None:
                found[lb][node] = row.get("status", "?")
    return found


def stats_sockets(spec: LabSpec, backend: Backend) -> dict[str, Path]:
    """Each load balancer's HAProxy stats socket, reachable from here (netns: its folder)."""
    found = {n.name: backend.local_path(n.name, roles.STATS_SOCKET) for n in spec.by_role("lb")}
    return {name: path for name, path in found.items() if path is not None}


def between_states(status: str) -> bool:
    """HAProxy's status of a server that is DOWN, or between states ("UP 1/3", "DOWN 1/2")."""
    return status.startswith("DOWN") or "/" in status


def servers_unsettled(spec: LabSpec, sockets: dict[str, Path]) -> list[str]:
    """Each "lb: web STATUS" where a load balancer's HAProxy sees a web node DOWN or between
    states ("UP 1/3", "DOWN 1/2"); [] when all are UP, or nothing answers (no stats socket)."""
    return [
        f"{lb}: {web} {status}"
        for lb, servers in read_servers(spec, sockets).items()
        for web, status in servers.items()
        if between_states(status)
    ]


class StatsPoller:
    """Polls every load balancer's HAProxy stats socket; records each change of a server."""

    def __init__(
        self,
        recorder: Recorder,
        sockets: dict[str, Path],
        interval_s: float = 0.1,
    ) -> None:
        self.recorder = recorder
        self.sockets = sockets
        self.interval_s = interval_s
        self.known: dict[tuple[str, str], str] = {}
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> StatsPoller:
        self.poll_once()
        self.thread.start()
        return self

    def poll_once(self) -> None:
        for lb, servers in read_servers(
            self.recorder.spec, self.sockets, self.recorder.servers
        ).items():
            if not servers:
                self._record(lb, "*", "UNREACHABLE")
            for server, status in servers.items():
                self._record(lb, server, status)

    def _record(self, lb: str, server: str, status: str) -> None:
        if self.known.get((lb, server)) != status:
            self.known[(lb, server)] = status
            self.recorder.add("haproxy", lb=lb, server=server, status=status)

    def _run(self) -> None:
        while not self.stop_event.wait(self.interval_s):
            self.poll_once()

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread.is_alive():
            self.thread.join(timeout=5)
