"""The watch's own eyes on the lab, feeding the hub: each node's power and daemons (polled:
on netns a look at /proc, no process), and, while a page is open, the scenario probes (the
client's requests at their rate, each load balancer's address watcher, HAProxy's stats), which
stream every change as it happens. While a scenario runs from the page its own probes feed the
hub instead (`on_event`), and these pause."""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

from labtool.backends.base import Backend
from labtool.errors import LabtoolError
from labtool.parallel import for_each_node
from labtool.probes.events import Event
from labtool.probes.recorder import Recorder
from labtool.provision.lab_status import power_state
from labtool.scenarios.probes import PROBE_RATE, Probes
from labtool.spec.model import LabSpec, Node
from labtool.state import LabState
from labtool.watch.hub import Hub

STREAM_S = 300.0  # one run of the client's requests (it stops by itself); then a new one
RETRY_S = 5.0  # after probes that could not start


class Feed:
    def __init__(self, spec: LabSpec, backend: Backend, hub: Hub) -> None:
        self.spec, self.backend, self.hub = spec, backend, hub
        self.poll_s = backend.poll_s  # each node's power and daemons: as its backend says
        self.probes: Probes | None = None
        self.paused = threading.Event()
        self.stopping = threading.Event()
        self.woken = threading.Event()
        self.retry_at = 0.0
        self.lock = threading.Lock()  # held while the probes start or stop
        self.thread = threading.Thread(target=self._run, name="watch-feed", daemon=True)

    def start(self) -> Feed:
        self.poll()
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.woken.set()
        if self.thread.is_alive():
            self.thread.join(timeout=30)
        with self.lock:
            self._stop_probes()

    def pause(self) -> None:
        """The watch's probes off (a scenario brings its own), none left once this returns;
        back on with resume()."""
        self.paused.set()
        with self.lock:  # (after a start under way)
            self._stop_probes()

    def resume(self) -> None:
        self.paused.clear()
        self.woken.set()

    def wake(self) -> None:
        """Look again now (an action changed something)."""
        self.woken.set()

    def _run(self) -> None:
        while not self.stopping.is_set():
            self.woken.wait(self.poll_s)
            self.woken.clear()
            if self.stopping.is_set():
                break
            with contextlib.suppress(LabtoolError):
                self.poll()
            self._probes_as_needed()

    def poll(self, addresses: bool = False) -> None:
        """Each node's power and daemons; the VIP's holders too while no watcher reports (or
        when asked)."""
        nodes: dict[str, dict[str, Any]] = {}
        watching = not addresses and (self.probes is not None or self.paused.is_set())
        state = LabState.load(self.spec.name)
        halted = set(state.halted) if state is not None else set()

        def look(node: Node) -> None:
            lb = node.role == "lb" and not watching
            status = self.backend.node_status(node.name, addresses=lb)
            nodes[node.name] = {
                "name": node.name,
                "role": node.role,
                "address": str(node.address),
                "up": status.up,
                "state": power_state(status, halted),
                "daemons": status.daemons,
            }
            if lb:
                self.hub.set_vip(node.name, str(self.spec.vip) in status.addresses)

        for_each_node(self.spec.nodes, look)
        self.hub.set_nodes([nodes[n.name] for n in self.spec.nodes])

    def _probes_as_needed(self) -> None:
        with self.lock:
            self._probes_now()

    def _probes_now(self) -> None:
        wanted = self.hub.watched and not self.paused.is_set()
        if self.probes is not None and (not wanted or not self.probes.agent.alive):
            self._stop_probes()
        if wanted and self.probes is None and time.monotonic() >= self.retry_at:
            self._start_probes()
        elif self.probes is not None:
            self.probes.watch_all()  # a load balancer back up gets its watcher again

    def _start_probes(self) -> None:
        recorder = Recorder(self.spec)
        recorder.listeners.append(self.on_event)
        try:
            recorder.learn_macs(self.backend.node_macs())
            probes = Probes(self.spec, self.backend, recorder, STREAM_S)
        except LabtoolError as exc:
            self.retry_at = time.monotonic() + RETRY_S
            self.hub.publish("probe", state="failed", message=str(exc))
            return
        self.probes = probes
        deadline = time.monotonic() + 20
        while probes.agent.ready_at is None and probes.agent.alive:
            if time.monotonic() > deadline or self.stopping.is_set() or self.paused.is_set():
                break
            time.sleep(0.02)
        probes.agent.send("go")
        self.hub.publish("probe", state="started", rate=PROBE_RATE)
        # What the VIP's holders are now, read once: from here on the watchers say each
        # change (a watcher's first reading names only the holders its recorder did not know)
        with contextlib.suppress(LabtoolError):
            self.poll(addresses=True)

    def _stop_probes(self) -> None:
        probes, self.probes = self.probes, None
        if probes is not None:
            probes.request_stop()
            probes.stop()
            self.hub.publish("probe", state="stopped")

    def on_event(self, event: Event) -> None:
        """One probe event (the watch's or a scenario's) into the hub."""
        data, hub = event.data, self.hub
        if event.kind == "vip":
            hub.set_vip(data["node"], data["action"] == "added", t=event.t)
        elif event.kind == "haproxy":
            hub.set_server(data["lb"], data["server"], data["status"], t=event.t)
        elif event.kind == "http":
            hub.publish(
                "http",
                event.t,
                sent=hub.t(data["sent"]),
                status=data["status"],
                node=data.get("node"),
                ok=data.get("ok", False),
                latency_s=round(data["latency_s"], 4) if data.get("latency_s") else None,
            )
        elif event.kind == "vrrp" and data.get("node"):
            hub.publish("vrrp", event.t, node=data["node"], priority=data.get("priority"))
