"""Probes on labtool's side and the event log they all write to (layer 6).

One `Recorder` holds every event on one clock, CLOCK_MONOTONIC (shared by all namespaces):
- the client agent's events (HTTP, ARP, VRRP), read from its stdout;
- `vip` events: the VIP address added to or removed from a load balancer (`ip monitor`
  inside each load balancer, so no polling delay);
- `haproxy` events: a change in HAProxy's view of a server (`show stat` on each stats socket,
  reached through the node's folder: a UNIX socket, no network traffic).
The recorder also keeps the live state the engine waits on and the live view shows.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labtool import runner
from labtool.backends.netns.commands import node_mac
from labtool.spec import LabSpec


@dataclass
class Event:
    t: float
    kind: str
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self, origin: float = 0.0) -> dict[str, Any]:
        """The event with its times (`t`, and `sent` for a request) counted from `origin`."""
        data = dict(self.data)
        if "sent" in data:
            data["sent"] = round(data["sent"] - origin, 4)
        return {"t": round(self.t - origin, 4), "kind": self.kind, **data}


@dataclass
class LiveState:
    vip_nodes: set[str] = field(default_factory=set)  # nodes whose NIC has the VIP
    arp: dict[str, float] = field(default_factory=dict)  # node answering ARP -> last time
    servers: dict[str, dict[str, str]] = field(default_factory=dict)  # lb -> server -> status
    recent: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=60))


class Recorder:
    """Thread-safe event log plus the live state derived from it."""

    def __init__(self, spec: LabSpec, slow_s: float = 0.5) -> None:
        self.spec = spec
        self.slow_s = slow_s
        self.lock = threading.Lock()
        self.events: list[Event] = []
        self.live = LiveState()
        self.mac_to_node = {node_mac(n): n.name for n in spec.nodes}
        self.ip_to_node = {str(n.address): n.name for n in spec.nodes}
        self.web_names = sorted((n.name for n in spec.by_role("web")), key=len, reverse=True)

    def add(self, kind: str, t: float | None = None, **data: Any) -> Event:
        event = Event(time.monotonic() if t is None else t, kind, data)
        with self.lock:
            self.events.append(event)
            self._update(event)
        return event

    def snapshot(self) -> list[Event]:
        with self.lock:
            return sorted(self.events, key=lambda e: e.t)

    def served_by(self, body: str) -> str | None:
        """Which web node answered, from the page it served ('test web1')."""
        for name in self.web_names:
            if name in body:
                return name
        return None

    def _update(self, event: Event) -> None:
        data, live = event.data, self.live
        if event.kind == "vip":
            (live.vip_nodes.add if data["action"] == "added" else live.vip_nodes.discard)(
                data["node"])
        elif event.kind == "arp" and data.get("node"):
            live.arp[data["node"]] = event.t
        elif event.kind == "haproxy":
            live.servers.setdefault(data["lb"], {})[data["server"]] = data["status"]
        elif event.kind == "http":
            live.recent.append(data)

    def arp_nodes(self, now: float, window_s: float = 0.35) -> set[str]:
        """Nodes that answered ARP for the VIP within the last window."""
        with self.lock:
            return {node for node, t in self.live.arp.items() if now - t <= window_s}

    def answered(self, sent_after: float, ok_only: bool = False) -> int:
        """How many requests sent after `sent_after` have their answer (well answered only)."""
        with self.lock:
            return sum(1 for e in self.events if e.kind == "http" and
                       e.data["sent"] >= sent_after and (e.data["ok"] or not ok_only))

    def last_requests(self, count: int) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.live.recent)[-count:]


class LineReader:
    """A process whose stdout lines feed a callback, on a thread of its own."""

    def __init__(self, argv: list[str], env: dict[str, str], on_line: Callable[[str], None],
                 on_end: Callable[[], None] | None = None, stdin_pipe: bool = False,
                 log: Path | None = None) -> None:
        """`log`: where the process's stderr goes (its errors are worth keeping)."""
        if log is not None:
            with log.open("a") as errors:
                self.proc = runner.spawn(argv, env=env, stdin_pipe=stdin_pipe, stderr=errors)
        else:
            self.proc = runner.spawn(argv, env=env, stdin_pipe=stdin_pipe)
        self.on_line = on_line
        self.on_end = on_end
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with contextlib.suppress(ValueError, KeyError):
                self.on_line(line)
        if self.on_end:
            self.on_end()

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


def agent_argv(spec: LabSpec, *, rate: float, duration_s: float, timeout_s: float,
               program: list[str] | None = None) -> list[str]:
    """The agent's command line; by default this very Python, whose files a netns node sees
    (a machine of its own gets the agent's file copied and runs it with its python3)."""
    program = program or [sys.executable, "-m", "labtool.probes.agent"]
    return [*program, "--vip", str(spec.vip),
            "--iface", spec.nic, "--rate", str(rate), "--duration", f"{duration_s:.1f}",
            "--max-requests", str(int(rate * duration_s) + 1), "--timeout", str(timeout_s),
            "--grace", "0.1"]


class ClockMap:
    """An agent's CLOCK_MONOTONIC on our own clock. In a netns node it is the same clock; on a
    machine of its own it is another one: the offset is the smallest (arrival - stamp) seen,
    which is the offset plus the shortest transit (a few ms over SSH)."""

    def __init__(self, shared: bool) -> None:
        self.shared = shared
        self.offset: float | None = 0.0 if shared else None

    def local(self, remote_t: float) -> float:
        if not self.shared:
            seen = time.monotonic() - remote_t
            self.offset = seen if self.offset is None else min(self.offset, seen)
        assert self.offset is not None
        return remote_t + self.offset


def feed_agent_line(recorder: Recorder, line: str, clock: ClockMap | None = None) -> None:
    """One JSON line of the agent into the recorder, with MACs and pages named by node."""
    data = json.loads(line)
    t, kind = data.pop("t"), data.pop("kind")
    if clock is not None:
        shift = clock.local(t) - t
        t += shift
        if "sent" in data:
            data["sent"] += shift
    if kind in ("arp", "vrrp"):
        data["node"] = recorder.mac_to_node.get(data["mac"])
    if kind == "http":
        data["node"] = recorder.served_by(data.get("body", "")) if data["status"] else None
        data["ok"] = data["status"] == 200 and data["latency_s"] <= recorder.slow_s
    recorder.add(kind, t=t, **data)


def server_names(spec: LabSpec) -> dict[str, str]:
    """HAProxy server name -> web node: the lab's servers are app1, app2... in the order of
    the web nodes (a config that names them after the nodes works too)."""
    webs = spec.by_role("web")
    return {f"app{i + 1}": w.name for i, w in enumerate(webs)} | {w.name: w.name for w in webs}


def feed_stats_line(recorder: Recorder, lb: str, line: str, clock: ClockMap,
                    backend_name: str = "app") -> None:
    """One JSON line of an agent watching a load balancer's stats socket."""
    data = json.loads(line)
    t = clock.local(data["t"])
    if data.get("kind") != "stats" or data["pxname"] not in (backend_name, "*"):
        return
    server = server_names(recorder.spec).get(data["svname"], data["svname"])
    recorder.add("haproxy", t=t, lb=lb, server=server, status=data["status"])


def vip_line(recorder: Recorder, node: str, line: str) -> None:
    """One line of `ip -o -4 monitor address`: the VIP added to or removed from the node."""
    if f"inet {recorder.spec.vip}/" not in line:
        return
    recorder.add("vip", node=node, action="removed" if line.startswith("Deleted") else "added")


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


def read_servers(spec: LabSpec, sockets: dict[str, Path],
                 backend_name: str = "app") -> dict[str, dict[str, str]]:
    """lb -> web node -> HAProxy's status of it (UP, DOWN, "UP 1/3"...); {} if unreachable.
    The lab's servers are app1, app2... in the order of the web nodes."""
    names = server_names(spec)
    found: dict[str, dict[str, str]] = {}
    for lb, path in sockets.items():
        found[lb] = {}
        try:
            rows = parse_show_stat(query_stats(path))
        except OSError:
            continue
        for row in rows:
            if row.get("pxname") == backend_name and row.get("svname") not in (
                    "FRONTEND", "BACKEND"):
                found[lb][names.get(row["svname"], row["svname"])] = row.get("status", "?")
    return found


class StatsPoller:
    """Polls every load balancer's HAProxy stats socket; records each change of a server."""

    def __init__(self, recorder: Recorder, sockets: dict[str, Path], backend_name: str = "app",
                 interval_s: float = 0.1) -> None:
        self.recorder = recorder
        self.sockets = sockets
        self.backend_name = backend_name
        self.interval_s = interval_s
        self.known: dict[tuple[str, str], str] = {}
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> StatsPoller:
        self.poll_once()
        self.thread.start()
        return self

    def poll_once(self) -> None:
        for lb, servers in read_servers(self.recorder.spec, self.sockets,
                                        self.backend_name).items():
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
