"""The probes a scenario runs: the client's agent, each load balancer's addresses watched (read
from here where the node is a namespace of this machine, else by an agent on it, which also
polls HAProxy's stats socket), HAProxy's stats sockets reachable from here, all feeding one
recorder; the wait until each is ready, which shows the backend's pace; and the conditions
the engine waits on."""

from __future__ import annotations

import contextlib
import time
from functools import partial
from pathlib import Path
from typing import Any

from labtool.backends.base import Backend
from labtool.errors import LabtoolError
from labtool.i18n import Msg
from labtool.parallel import for_each_node
from labtool.probes.addresses import AddressWatch
from labtool.probes.argv import agent_argv, handover_program
from labtool.probes.events import ClockMap
from labtool.probes.probe import Probe
from labtool.probes.readers import LineReader, StatsPoller, stats_sockets
from labtool.probes.recorder import Recorder, feed_agent_line
from labtool.scenarios.pace import (
    AGENT_START_MAX_S,
    FIRST_ANSWER_MAX_S,
    PACE_ANSWERS,
    Pace,
)
from labtool.spec import roles
from labtool.spec.model import LabSpec, Node
from labtool.state import lab_dir

PROBE_RATE = 50.0  # requests per second from the client node
REQUEST_TIMEOUT_S = 10.0
AGENT_DURATION_S = 600.0  # the agents' own hard bound; labtool stops them long before
WATCHER_DURATION_S = AGENT_DURATION_S
TICK_S = 0.05


def probes_dir(spec: LabSpec) -> Path:
    """Each probe's own log (its errors, its end), kept in the lab's folder."""
    return lab_dir(spec.name) / "probes"


class Probes:
    """The client agent, a watcher per load balancer, HAProxy's stats: all recording."""

    def __init__(
        self,
        spec: LabSpec,
        backend: Backend,
        recorder: Recorder,
        duration_s: float,
        rate: float = PROBE_RATE,
    ) -> None:
        """Start every probe at once (on machines, each needs a connection and a copy of the
        agent first); the client sends `rate` requests a second."""
        self.spec, self.backend, self.recorder = spec, backend, recorder
        self.rate = rate
        self.watchers: dict[str, Probe] = {}
        self.stopping = False
        self.client = spec.client.name
        sockets = stats_sockets(spec, backend)
        # Stats sockets reachable from here are polled from here; elsewhere the watcher on
        # each load balancer polls its own socket and reports the changes.
        self.stats = StatsPoller(recorder, sockets).start() if sockets else None
        agents: dict[str, LineReader] = {}

        def start(node: Node) -> None:
            if node.name == self.client:
                agents[node.name] = self._reader(
                    node.name,
                    "agent",
                    agent_argv(
                        spec,
                        rate=rate,
                        duration_s=duration_s,
                        timeout_s=REQUEST_TIMEOUT_S,
                        program=backend.agent_program(node.name),
                        capture=True,
                        hold=True,
                    ),
                )
            else:
                self._watch_if_up(node.name)

        try:
            for_each_node([spec.client, *spec.by_role("lb")], start)
        except BaseException:
            for reader in [*agents.values(), *self.watchers.values()]:
                reader.stop(timeout_s=1)
            if self.stats is not None:
                self.stats.stop()
            raise
        self.agent = agents[self.client]

    def _reader(self, node: str, role: str, argv: list[str]) -> LineReader:
        transport = self.backend.transport(node)
        clock = ClockMap(shared=self.backend.shares_clock)
        reader = LineReader(
            f"{role} on {node}",
            transport.argv(argv),
            transport.env(),
            partial(feed_agent_line, self.recorder, clock=clock, source=node),
            stdin_pipe=True,
            log=probes_dir(self.spec) / f"{role}-{node}.log",
        )
        reader.clock = clock
        return reader

    def lb_names(self) -> list[str]:
        return [n.name for n in self.spec.by_role("lb")]

    def watch_all(self) -> None:
        """A watcher on every load balancer that is up and has none running."""
        for_each_node(self.spec.by_role("lb"), lambda node: self._watch_if_up(node.name))

    def _watch_if_up(self, name: str) -> None:
        running = self.watchers.get(name)
        if (running is None or not running.alive) and self.backend.is_up(name):
            self.watch(name)

    def watch(self, node: str) -> None:
        """Follow the VIP on a load balancer: its NIC's addresses at start, then every change
        (and HAProxy's view of its servers, where its stats socket is not reachable here)."""
        old = self.watchers.pop(node, None)
        if old is not None:
            old.stop(timeout_s=1)
        program = self.backend.agent_program(node)
        here = self.backend.watch_from_here(node)
        if here is not None:  # read from here: no process of labtool stays in the node
            transport = self.backend.transport(node)
            helper = handover_program(program)
            reader: Probe = AddressWatch(
                f"watcher on {node}",
                lambda fd: transport.argv([*helper, self.spec.nic, str(fd)]),
                transport.env(),
                partial(feed_agent_line, self.recorder, source=node),
                here,
                self.spec.nic,
                duration_s=WATCHER_DURATION_S,
                log=probes_dir(self.spec) / f"watcher-{node}.log",
            )
        else:  # the agent on the node (and HAProxy's view, where not polled from here)
            stats_socket = roles.STATS_SOCKET if self.stats is None else None
            argv = agent_argv(
                self.spec,
                rate=0,
                duration_s=WATCHER_DURATION_S,
                timeout_s=1,
                program=program,
                watch_addr=True,
                stats_socket=stats_socket,
                stats_interval_s=self.backend.stats_interval_s,
            )
            reader = self._reader(node, "watcher", argv)
        reader.on_end = lambda: self._watcher_ended(node, reader)
        self.watchers[node] = reader

    def _watcher_ended(self, node: str, reader: Probe) -> None:
        self.recorder.add("agent", source=node, state="ended", exit=reader.exit_code)
        if not self.stopping and not self.backend.is_up(node):
            self.node_lost(node)  # its addresses went with it

    def vip_seen(self) -> set[str] | None:
        """The load balancers holding the VIP as the watchers see it, without a look into
        any node; None while a load balancer has no watcher that has read its NIC (not
        started yet, or ended: a node down)."""
        for node in self.lb_names():
            watcher = self.watchers.get(node)
            if watcher is None or watcher.ready_at is None or not watcher.alive:
                return None
        with self.recorder.lock:
            return set(self.recorder.live.vip_nodes)

    def node_lost(self, node: str) -> None:
        """The node was powered off (the backend returns once it is off): its addresses are
        gone now. Its watcher may not say so: on a VM whose power is pulled, the SSH
        connection it runs in hangs until a timeout instead of ending."""
        if node in self.recorder.live.vip_nodes:
            self.recorder.add("vip", node=node, action="removed", reason="node down")

    def await_ready(self, on_tick: Any = None) -> Pace:
        """Wait for every agent's start-up line, for the client's first answer, then for its
        next PACE_ANSWERS answers (the cluster as the preconditions left it); what that took
        is the backend's pace. A dead agent fails here, naming what was awaited."""
        what = f"the probe agent on {self.client}"
        agent_start = self._await_start(self.agent, what, on_tick)
        self.agent.send("go")  # its requests begin: the lab is as the preconditions left it
        answers_from = go_at = time.monotonic()
        watchers = {
            node: self._await_start(reader, f"the address watcher on {node}", on_tick)
            for node, reader in list(self.watchers.items())
            if reader.alive or self.backend.is_up(node)
        }
        arrivals = self.recorder.answer_arrivals
        self._await_answers(
            lambda: bool(arrivals),
            go_at,
            on_tick,
            what,
            (
                f"not within {FIRST_ANSWER_MAX_S:.0f} s: the first answer through the VIP "
                f"{self.spec.vip} at {what} (it started after {agent_start:.1f} s and sends "
                f"{self.rate:g} requests a second; none came back, not even an error)"
            ),
        )
        answers_s = self._await_answers(
            lambda: self.recorder.answered(answers_from) >= PACE_ANSWERS,
            answers_from,
            on_tick,
            what,
            None,
        )
        return Pace.shown(
            agent_start, max(0.0, arrivals[0] - go_at), answers_s, watchers, answers_from
        )

    def _await_answers(
        self, condition: Any, since: float, on_tick: Any, what: str, failure: str | None
    ) -> float | None:
        """Until `condition` holds: its time from `since`; None after FIRST_ANSWER_MAX_S if
        `failure` is None, else a LabtoolError with it."""
        while not condition():
            if on_tick:
                on_tick()
            if not self.agent.alive:
                raise LabtoolError(self._dead(self.agent, what, "while answers were awaited"))
            if time.monotonic() > since + FIRST_ANSWER_MAX_S:
                if failure is None:
                    return None  # it answers, slowly: the pace says so
                raise LabtoolError(
                    Msg("{failure}{log_hint}", failure=failure, log_hint=self._log_hint(self.agent))
                )
            time.sleep(TICK_S)
        return time.monotonic() - since

    def _await_start(self, reader: Probe, what: str, on_tick: Any) -> float:
        deadline = reader.spawned_at + AGENT_START_MAX_S
        while reader.ready_at is None:
            if on_tick:
                on_tick()
            if not reader.alive:
                raise LabtoolError(self._dead(reader, what, "before it started"))
            if time.monotonic() > deadline:
                printed = (
                    f"it printed {reader.lines} lines" if reader.lines else "it printed nothing"
                )
                raise LabtoolError(
                    Msg(
                        "not within {agent_start_max_s:.0f} s: {what} starting (awaited its "
                        "start-up line; {printed}){log_hint}",
                        agent_start_max_s=AGENT_START_MAX_S,
                        what=what,
                        printed=printed,
                        log_hint=self._log_hint(reader),
                    )
                )
            time.sleep(TICK_S)
        return reader.ready_at - reader.spawned_at

    def _dead(self, reader: Probe, what: str, when: str) -> str:
        reader.wait_end(timeout_s=2)
        return f"{what} ended {when} (exit {reader.exit_code}){self._log_hint(reader)}"

    @staticmethod
    def _log_hint(reader: Probe) -> str:
        errors = reader.errors_tail(3)
        said = ("; it said: " + " | ".join(errors)) if errors else ""
        return f"{said}. Its log: {reader.log}"

    def summaries(self, origin: float) -> dict[str, dict[str, Any]]:
        return {
            reader.name: reader.summary(origin) for reader in [self.agent, *self.watchers.values()]
        }

    def request_stop(self) -> None:
        """Ask the agent to stop sending (it ends by itself shortly); do not wait for it."""
        if self.agent.proc.stdin:
            with contextlib.suppress(OSError):
                self.agent.proc.stdin.close()

    def stop(self) -> None:
        self.stopping = True
        self.agent.stop(timeout_s=REQUEST_TIMEOUT_S + 5)
        if self.stats is not None:
            self.stats.stop()
        for reader in self.watchers.values():
            reader.stop()
