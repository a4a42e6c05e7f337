"""The event log every probe writes to, on one clock, and the live state derived from it
(layer 6).

One `Recorder` holds every event on this machine's CLOCK_MONOTONIC:
- the client agent's events (HTTP, ARP, VRRP);
- `vip` events: the VIP added to or removed from a load balancer's NIC, from the agent
  watching that node's addresses (the kernel's own notifications);
- `haproxy` events: a change in HAProxy's view of a server;
- `agent` events: each agent's start-up (its watches in place) and end.
An agent on a machine of its own stamps events with that machine's clock: a `ClockMap` per
agent maps them onto ours, and `snapshot()` maps every event again with the best offset
known by then. The recorder also keeps the live state the engine waits on and the live view
shows. Nothing here starts a process: labtool.probes.readers does.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from labtool.configs.haproxy import parse_haproxy
from labtool.probes.events import FIRST_ANSWERS_KEPT, ClockMap, Event, LiveState
from labtool.probes.packets import page_digest
from labtool.spec.model import LabSpec


class Recorder:
    """Thread-safe event log plus the live state derived from it."""

    def __init__(
        self, spec: LabSpec, slow_s: float = 0.5, macs: Mapping[str, str] | None = None
    ) -> None:
        self.spec = spec
        self.slow_s = slow_s
        self.lock = threading.Lock()
        self.events: list[Event] = []
        self.live = LiveState()
        self.mac_to_node: dict[str, str] = {}
        self.learn_macs(macs or {})
        self.ip_to_node = {str(n.address): n.name for n in spec.nodes}
        self.web_names = sorted((n.name for n in spec.by_role("web")), key=len, reverse=True)
        # HAProxy's (backend, server) -> web node: the lab's, until its haproxy.cfg is read
        self.servers = server_names(spec)
        self.pages: dict[str, str] = {}  # a page's digest -> the web node serving it
        self.answer_arrivals: list[float] = []  # when the client's first answers came in
        # Called with each event as it comes in, outside the lock (`labtool watch`'s page).
        self.listeners: list[Callable[[Event], None]] = []

    def learn_macs(self, macs: Mapping[str, str]) -> None:
        """node -> MAC of its NIC on the LAN (ARP names its sender by MAC only)."""
        self.mac_to_node.update({mac.lower(): node for node, mac in macs.items() if mac})

    def add(
        self,
        kind: str,
        t: float | None = None,
        *,
        clock: ClockMap | None = None,
        remote_t: float | None = None,
        **data: Any,
    ) -> Event:
        now = time.monotonic()
        event = Event(now if t is None else t, kind, data, clock, remote_t, now)
        with self.lock:
            self.events.append(event)
            self._update(event)
        for listener in self.listeners:
            listener(event)
        return event

    def snapshot(self) -> list[Event]:
        with self.lock:
            return sorted((e.remapped() for e in self.events), key=lambda e: e.t)

    def served_by(self, body: str, digest: str | None = None) -> str | None:
        """Which web node answered: the one whose page this is (`pages`, by the whole page's
        digest), else the web node's name that comes first in the page ('test web1'; the
        longer one where two start at the same place)."""
        if digest is not None and digest in self.pages:
            return self.pages[digest]
        found = [(body.find(name), -len(name), name) for name in self.web_names if name in body]
        return min(found)[2] if found else None

    def _update(self, event: Event) -> None:
        data, live = event.data, self.live
        if event.kind == "vip":
            (live.vip_nodes.add if data["action"] == "added" else live.vip_nodes.discard)(
                data["node"]
            )
        elif event.kind == "arp" and data.get("node"):
            live.arp[data["node"]] = event.t
        elif event.kind == "haproxy":
            live.servers.setdefault(data["lb"], {})[data["server"]] = data["status"]
        elif event.kind == "http":
            live.recent.append(event)
            if len(self.answer_arrivals) < FIRST_ANSWERS_KEPT:
                self.answer_arrivals.append(time.monotonic())

    def arp_nodes(self, now: float, window_s: float = 0.35) -> set[str]:
        """Nodes that answered ARP for the VIP within the last window."""
        with self.lock:
            return {node for node, t in self.live.arp.items() if now - t <= window_s}

    def answered(self, since: float, ok_only: bool = False) -> int:
        """How many answers came in since `since` (well answered only). Counted by their
        arrival here, which needs no mapping of another machine's clock."""
        return self.answer_counts(since)["ok" if ok_only else "all"]

    def latencies(self, sent_after: float) -> list[float]:
        """How long the answers to requests sent after `sent_after` took (answered ones)."""
        with self.lock:
            return [
                e.data["latency_s"]
                for e in self.events
                if e.kind == "http" and e.data["status"] == 200 and e.data["sent"] >= sent_after
            ]

    def answered_sent_after(self, t: float) -> int:
        """How many requests sent after `t` (on our clock) have their answer: the settle's
        count, which a burst of late answers to older requests must not fill."""
        with self.lock:
            return sum(1 for e in self.events if e.kind == "http" and e.data["sent"] >= t)

    def answer_counts(self, since: float) -> dict[str, int]:
        """Answers that came in since `since`: all, well answered, slow, failed."""
        counts = {"all": 0, "ok": 0, "slow": 0, "failed": 0}
        with self.lock:
            for e in self.events:
                if e.kind == "http" and e.arrived >= since:
                    counts["all"] += 1
                    key = "ok" if e.data["ok"] else "failed" if e.data["status"] != 200 else "slow"
                    counts[key] += 1
        return counts

    def last_requests(self, count: int) -> list[dict[str, Any]]:
        with self.lock:
            return [e.data for e in list(self.live.recent)[-count:]]

    def requests_since(self, since: float, count: int = 60) -> list[dict[str, Any]]:
        """The newest answers that came in since `since`, in the order they were sent."""
        with self.lock:
            recent = [e for e in self.live.recent if e.arrived >= since][-count:]
        return [e.data for e in sorted(recent, key=lambda e: e.data["sent"])]

    def vip_changes_since(self, since: float) -> int:
        """How many times the VIP was added or removed (first readings aside) since then."""
        with self.lock:
            return sum(
                1
                for e in self.events
                if e.kind == "vip" and e.arrived >= since and not e.data.get("initial")
            )

    def vip_steady_for(self, now: float, several: bool = False) -> float:
        """For how long the VIP has been on one node (`several`: on the same nodes), by
        arrival of its last change; 0 while no node holds it, or several and not `several`."""
        with self.lock:
            held = len(self.live.vip_nodes)
            if held == 0 or (held > 1 and not several):
                return 0.0
            last = max(
                (e.arrived for e in self.events if e.kind == "vip" and not e.data.get("initial")),
                default=None,
            )
        return now - last if last is not None else float("inf")

    def agent_state(self, source: str, state: str) -> Event | None:
        """The last `agent` event of that source in that state (e.g. 'started')."""
        with self.lock:
            return next(
                (
                    e
                    for e in reversed(self.events)
                    if e.kind == "agent"
                    and e.data.get("source") == source
                    and e.data.get("state") == state
                ),
                None,
            )


def feed_agent_line(
    recorder: Recorder, line: str, clock: ClockMap | None = None, source: str = "client"
) -> None:
    """One JSON line of an agent into the recorder: the client's requests, ARP and adverts
    (MACs and pages named by node); a load balancer's addresses and HAProxy's view."""
    data = json.loads(line)
    remote_t, kind = data.pop("t"), data.pop("kind")
    t = clock.local(remote_t) if clock is not None else remote_t
    if kind == "tick":  # only there to keep the clock map fresh
        return
    stamp: dict[str, Any] = {"clock": clock, "remote_t": remote_t}
    if kind == "http":
        data["sent"] += t - remote_t
    if kind in ("arp", "vrrp"):
        data["node"] = recorder.mac_to_node.get(data["mac"])
    elif kind == "http":
        data["node"] = (
            recorder.served_by(data.get("body", ""), data.get("digest")) if data["status"] else None
        )
        data["ok"] = data["status"] == 200 and data["latency_s"] <= recorder.slow_s
    elif kind == "addr":
        if data["address"] == str(recorder.spec.vip):
            recorder.add("vip", t=t, node=source, action=data["action"], **stamp)
        return
    elif kind == "stats":
        _stats(recorder, source, data, t, stamp)
        return
    elif kind == "agent":
        data["source"] = source
        if "addresses" in data:
            _vip_at_start(recorder, source, data["addresses"], t, stamp)
    recorder.add(kind, t=t, **stamp, **data)


def _vip_at_start(
    recorder: Recorder, node: str, addresses: list[str], t: float, stamp: dict[str, Any]
) -> None:
    """A watcher's first reading of its NIC, against what the recorder believed."""
    has = str(recorder.spec.vip) in addresses
    if has and node not in recorder.live.vip_nodes:
        recorder.add("vip", t=t, node=node, action="added", initial=True, **stamp)
    elif not has and node in recorder.live.vip_nodes:
        recorder.add("vip", t=t, node=node, action="removed", initial=True, **stamp)


def pages_served(pages: Mapping[str, str]) -> dict[str, str]:
    """A page's digest -> the web node that serves it (web node -> its page), for the pages
    no other web node serves too."""
    digests = {node: page_digest(page.encode()) for node, page in pages.items() if page}
    counts = Counter(digests.values())
    return {digest: node for node, digest in digests.items() if counts[digest] == 1}


def server_names(spec: LabSpec, *haproxy_cfgs: str) -> dict[tuple[str, str], str]:
    """HAProxy's (backend, server) -> web node. The lab's servers are app1, app2... of the
    backend `app`, in the order of the web nodes (a config that names them after the nodes
    works too); each haproxy.cfg given adds the servers of its backend and listen sections whose
    address (or name) is a web node's, whatever the section and the server are called."""
    webs = spec.by_role("web")
    names = {("app", f"app{i + 1}"): w.name for i, w in enumerate(webs)}
    names |= {("app", w.name): w.name for w in webs}
    by_address = {str(w.address): w.name for w in webs} | {w.name: w.name for w in webs}
    for text in haproxy_cfgs:
        for section in parse_haproxy(text).of_kind("backend", "listen"):
            for server in section.servers():
                name, address = server.words[1], server.words[2]
                host = address.rsplit(":", 1)[0] if address.count(":") == 1 else address
                node = by_address.get(host) or by_address.get(name)
                if node is not None:
                    names[(section.name, name)] = node
    return names


def _stats(
    recorder: Recorder,
    lb: str,
    data: dict[str, Any],
    t: float,
    stamp: dict[str, Any],
) -> None:
    key = (data["pxname"], data["svname"])
    server = "*" if key[0] == "*" else recorder.servers.get(key)
    if server is not None:
        recorder.add("haproxy", t=t, lb=lb, server=server, status=data["status"], **stamp)
