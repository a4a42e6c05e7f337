"""What `labtool watch` knows of the lab, live, and who listens: a model of the cluster that
the probes' events and the node polls update (threads), and the pages' event streams that each
change goes out on (asyncio queues, fed across threads)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from typing import Any

from labtool.watch.words import page_words

BACKLOG = 200  # events a page that connects late still gets (its timeline)...
REQUESTS_BACKLOG = 1600  # ... and the client's requests (its chart's 30 s at 50 a second)
QUEUE_MAX = 4000  # a page that reads no more is dropped once this many wait for it


class Subscriber:
    """One page's stream: events put from any thread, read by the page's request."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(QUEUE_MAX)
        self.dropped = False

    def put(self, event: dict[str, Any] | None) -> None:
        def put_now() -> None:
            try:
                self.queue.put_nowait(event)
            except asyncio.QueueFull:
                self.dropped = True  # (the stream ends; the page connects again)

        with contextlib.suppress(RuntimeError):  # its loop has closed
            self.loop.call_soon_threadsafe(put_now)


class Hub:
    """The lab as the page shows it, and the stream of its changes."""

    def __init__(self, lab: str, backend: str, vip: str, lang: str) -> None:
        self.origin = time.monotonic()
        self.lock = threading.Lock()
        self.seq = 0
        self.backlog: deque[dict[str, Any]] = deque(maxlen=BACKLOG)
        self.requests: deque[dict[str, Any]] = deque(maxlen=REQUESTS_BACKLOG)
        self.subscribers: set[Subscriber] = set()
        self.status: dict[str, Any] = {"lab": lab, "backend": backend, "vip": vip, "nodes": []}
        self.lang = lang
        self.vip_nodes: set[str] = set()
        self.servers: dict[str, dict[str, str]] = {}  # lb -> web node -> HAProxy's status
        self.table: list[dict[str, str]] = []
        self.action: dict[str, Any] | None = None  # the action running, if any
        self.scenarios: list[str] = []

    def t(self, monotonic: float | None = None) -> float:
        """A time as the page counts it: seconds since the watch began."""
        return round((time.monotonic() if monotonic is None else monotonic) - self.origin, 4)

    def publish(self, kind: str, t: float | None = None, **data: Any) -> dict[str, Any]:
        """An event to every page (and to the backlog a page gets when it connects)."""
        with self.lock:
            self.seq += 1
            event = {"seq": self.seq, "t": self.t(t), "kind": kind, **data}
            if kind == "http":
                self.requests.append(event)
            elif kind != "state":
                self.backlog.append(event)
            subscribers = list(self.subscribers)
        for subscriber in subscribers:
            subscriber.put(event)
        return event

    def subscribe(self, loop: asyncio.AbstractEventLoop) -> tuple[Subscriber, dict[str, Any]]:
        """A new page's stream, and what it starts from: the state, then the backlog."""
        subscriber = Subscriber(loop)
        with self.lock:
            self.subscribers.add(subscriber)
            start = {"kind": "state", "t": self.t(), "seq": self.seq, "state": self._state()}
            for event in sorted([*self.backlog, *self.requests], key=lambda e: e["seq"]):
                subscriber.queue.put_nowait(event)
        return subscriber, start

    def unsubscribe(self, subscriber: Subscriber) -> None:
        with self.lock:
            self.subscribers.discard(subscriber)

    def close(self) -> None:
        """Every stream ends (the server is stopping)."""
        with self.lock:
            subscribers, self.subscribers = list(self.subscribers), set()
        for subscriber in subscribers:
            subscriber.put(None)

    @property
    def watched(self) -> bool:
        """Whether any page is open."""
        with self.lock:
            return bool(self.subscribers)

    def state(self) -> dict[str, Any]:
        with self.lock:
            return self._state()

    def _state(self) -> dict[str, Any]:
        """`labtool status --json`'s object, with what the page shows besides."""
        holders = sorted(self.vip_nodes)
        return {
            **self.status,
            "vip_holder": holders[0] if len(holders) == 1 else None,
            "vip_holders": holders,
            "servers": {lb: dict(s) for lb, s in self.servers.items()},
            "table": list(self.table),
            "action": self.action,
            "scenarios": list(self.scenarios),
            "lang": self.lang,
            "words": page_words(self.lang),
        }

    # What the feed changes (each publishes what changed).

    def set_nodes(self, nodes: list[dict[str, Any]]) -> None:
        with self.lock:
            before = {n["name"]: n for n in self.status["nodes"]}
            self.status["nodes"] = nodes
        for node in nodes:  # (the first look fills the state: nothing changed yet)
            if node["name"] in before and before[node["name"]] != node:
                self.publish("node", node=node)

    def set_vip(self, node: str, held: bool, t: float | None = None) -> None:
        with self.lock:
            if (node in self.vip_nodes) == held:
                return
            (self.vip_nodes.add if held else self.vip_nodes.discard)(node)
            holders = sorted(self.vip_nodes)
        self.publish("vip", t, node=node, held=held, holders=holders)

    def set_server(self, lb: str, server: str, status: str, t: float | None = None) -> None:
        with self.lock:
            if self.servers.setdefault(lb, {}).get(server) == status:
                return
            self.servers[lb][server] = status
        self.publish("haproxy", t, lb=lb, server=server, status=status)

    def set_table(self, rows: list[dict[str, str]]) -> None:
        with self.lock:
            self.table = rows
        self.publish("table", rows=rows)

    def set_action(self, action: dict[str, Any] | None) -> None:
        with self.lock:
            self.action = action
