"""The probes a scenario runs: the client's agent, an `ip monitor` per load balancer, and
HAProxy's stats sockets, all feeding one recorder; and the conditions the engine waits on."""

from __future__ import annotations

import contextlib
import time
from functools import partial
from pathlib import Path
from typing import Any

from labtool.backends.base import Backend
from labtool.probes.recorder import (
    ClockMap,
    LineReader,
    Recorder,
    StatsPoller,
    agent_argv,
    feed_agent_line,
    feed_stats_line,
    vip_line,
)
from labtool.scenarios.cluster import Cluster
from labtool.spec import LabSpec
from labtool.state import lab_dir

PROBE_RATE = 50.0  # requests per second from the client node
REQUEST_TIMEOUT_S = 10.0
STATS_SOCKET = "/var/lib/haproxy/stats"  # the lab's haproxy.cfg: stats socket
AGENT_ON_MACHINE = "/var/tmp/labtool-agent.py"


def probes_log(spec: LabSpec) -> Path:
    """The probes' own errors, kept in the lab's folder."""
    return lab_dir(spec.name) / "probes.log"


def agent_program(backend: Backend, node: str) -> list[str] | None:
    """How to run the agent on a node: None (this Python) where the node sees this checkout;
    on a machine of its own, its python3 on a copy of the agent."""
    if backend.name == "netns":
        return None
    from labtool.probes import agent

    backend.transport(node).put(AGENT_ON_MACHINE, Path(agent.__file__).read_text(), 0o755)
    return ["python3", AGENT_ON_MACHINE]


def start_agent(spec: LabSpec, backend: Backend, recorder: Recorder,
                duration_s: float) -> LineReader:
    """The probe agent in the client node, its JSON lines feeding the recorder."""
    client = backend.transport(spec.client.name)
    program = agent_program(backend, spec.client.name)
    return LineReader(client.argv(agent_argv(spec, rate=PROBE_RATE, duration_s=duration_s,
                                             timeout_s=REQUEST_TIMEOUT_S, program=program)),
                      client.env(), partial(feed_agent_line, recorder,
                                            clock=ClockMap(shared=backend.name == "netns")),
                      stdin_pipe=True, log=probes_log(spec))


class Probes:
    """The client agent, an `ip monitor` per load balancer, HAProxy's stats: all recording."""

    def __init__(self, spec: LabSpec, backend: Backend, recorder: Recorder,
                 agent: LineReader) -> None:
        self.spec, self.backend, self.recorder = spec, backend, recorder
        self.monitors: dict[str, LineReader] = {}
        self.stats_agents: dict[str, LineReader] = {}
        sockets = stats_sockets(spec, backend)
        # Stats sockets reachable from here are polled from here; elsewhere an agent on each
        # load balancer polls its own socket and reports the changes.
        self.stats = StatsPoller(recorder, sockets).start() if sockets else None
        for name in self.lb_names():
            if backend.node_status(name, addresses=False).up:
                self.watch(name)
        self.agent = agent

    def lb_names(self) -> list[str]:
        return [n.name for n in self.spec.by_role("lb")]

    def watch(self, node: str) -> None:
        """Follow the VIP on a load balancer: its current state, then every change."""
        if str(self.spec.vip) in self.backend.node_status(node).addresses:
            self.recorder.add("vip", node=node, action="added", initial=True)
        transport = self.backend.transport(node)
        # `ip monitor` never reads its stdin: a shell around it ends it once labtool closes
        # the pipe (killing nsenter would not reach it inside the node's PID namespace).
        watch = f"ip -o -4 monitor address dev {self.spec.nic} & read -r _; kill $!"
        self.monitors[node] = LineReader(
            transport.argv(["sh", "-c", watch]), transport.env(),
            lambda line: vip_line(self.recorder, node, line),
            on_end=lambda: self.node_lost(node), stdin_pipe=True,  # its addresses went with it
            log=probes_log(self.spec))
        if self.stats is None:
            argv = agent_argv(self.spec, rate=0, duration_s=600, timeout_s=1,
                              program=agent_program(self.backend, node))
            self.stats_agents[node] = LineReader(
                transport.argv([*argv, "--stats-socket", STATS_SOCKET]), transport.env(),
                partial(feed_stats_line, self.recorder, node,
                        clock=ClockMap(shared=self.backend.name == "netns")), stdin_pipe=True,
                log=probes_log(self.spec))

    def node_lost(self, node: str) -> None:
        """The node was powered off (the backend returns once it is off): its addresses are
        gone now. Its `ip monitor` may not say so: on a VM whose power is pulled, the SSH
        connection it runs in hangs until a timeout instead of ending."""
        if node in self.recorder.live.vip_nodes:
            self.recorder.add("vip", node=node, action="removed", reason="node down")

    def request_stop(self) -> None:
        """Ask the agent to stop sending (it ends by itself shortly); do not wait for it."""
        if self.agent.proc.stdin:
            with contextlib.suppress(OSError):
                self.agent.proc.stdin.close()

    def stop(self) -> None:
        self.agent.stop(timeout_s=REQUEST_TIMEOUT_S + 5)
        if self.stats is not None:
            self.stats.stop()
        for reader in [*self.monitors.values(), *self.stats_agents.values()]:
            reader.stop()


def stats_sockets(spec: LabSpec, backend: Backend) -> dict[str, Path]:
    """Each load balancer's HAProxy stats socket, reachable from here (netns: its folder)."""
    local = getattr(backend, "local_path", None)
    if local is None:
        return {}
    return {n.name: local(n.name, STATS_SOCKET) for n in spec.by_role("lb")}


def holds(condition: dict[str, Any], recorder: Recorder, cluster: Cluster,
           probes: Probes | None, since: float) -> bool:
    """Every part of a scenario's condition holds now."""
    now = time.monotonic()
    # The newest requests by the time they were sent (answers arrive out of order: a request
    # stalled on a dead server may come back long after newer ones).
    after = sorted((e for e in recorder.last_requests(60) if e["sent"] >= since),
                   key=lambda e: e["sent"])
    for key, value in condition.items():
        if key in ("vip_holder", "vip_holders"):
            wanted = sorted([value] if isinstance(value, str) else value)
            if sorted(recorder.live.vip_nodes if probes else cluster.vip_nodes()) != wanted:
                return False
        elif key == "http_ok":
            if len(after) < 3 or all(e["ok"] for e in after[-3:]) != value:
                return False
        elif key == "http_status":
            if len(after) < 3 or any(e["status"] != value for e in after[-3:]):
                return False
        elif key in ("server_down", "servers_up"):
            if not servers_hold(key, value, recorder, cluster):
                return False
        elif key == "duplicate_vip":
            both = len(recorder.arp_nodes(now)) > 1 or len(recorder.live.vip_nodes) > 1
            if both != value:
                return False
        elif key == "node_ready":
            if not cluster.node_ready(value):
                return False
        elif key == "all_ready" and not cluster.all_ready():
            return False
    return True


def servers_hold(key: str, value: Any, recorder: Recorder, cluster: Cluster) -> bool:
    """HAProxy's view of its servers, as the probes last saw it on every load balancer up."""
    lbs = [n.name for n in cluster.spec.by_role("lb")
           if cluster.backend.node_status(n.name, addresses=False).up]
    servers = {lb: recorder.live.servers.get(lb, {}) for lb in lbs}
    if not lbs or any(not seen for seen in servers.values()):
        return False
    if key == "server_down":
        return all(servers[lb].get(value, "").startswith("DOWN") for lb in lbs)
    webs = [n.name for n in cluster.spec.by_role("web")]
    return all(servers[lb].get(w) == "UP" for lb in lbs for w in webs)
