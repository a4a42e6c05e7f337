"""The probes of `labtool grade --run`, black-box as a student's configs need (no stats socket
is assumed): HTTP load from the lab's client node (the probe agent, bounded in count and
time), who holds the VIP (each load balancer's addresses), and which web node served (the
probe requests in each web node's Apache access log)."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from labtool.backends.base import Backend
from labtool.probes.readers import LineReader, agent_argv
from labtool.spec.model import LabSpec

PROBE_AGENT = "labtool-probe"  # the agent's User-Agent, in the access logs
ACCESS_LOG = "/var/log/apache2/access.log"


class Load:
    """HTTP requests to the VIP from the client node at a fixed rate, until stopped (or the
    agent's own bound)."""

    def __init__(
        self,
        spec: LabSpec,
        backend: Backend,
        *,
        rate: float = 20.0,
        timeout_s: float = 2.0,
        duration_s: float = 30.0,
    ) -> None:
        self.events: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.timeout_s = timeout_s
        transport = backend.transport(spec.client.name)
        argv = agent_argv(
            spec,
            rate=rate,
            duration_s=duration_s,
            timeout_s=timeout_s,
            program=backend.agent_program(spec.client.name),
        )
        self.reader = LineReader(
            f"load on {spec.client.name}",
            transport.argv(argv),
            transport.env(),
            self._line,
            stdin_pipe=True,
        )

    def _line(self, line: str) -> None:
        event = json.loads(line)
        if event.get("kind") == "http":
            with self.lock:
                self.events.append(event)

    def answers(self) -> list[dict[str, Any]]:
        """Every request answered so far (or timed out), by the time it was sent."""
        with self.lock:
            return sorted(self.events, key=lambda e: float(e["sent"]))

    def settled(self, since: float, streak_s: float) -> float | None:
        """The sent time of the first request of a run of successes, at least `streak_s`
        long, that no failure follows (among requests old enough to have their answer)."""
        now = time.monotonic()
        known = [
            e for e in self.answers() if e["sent"] >= since and e["sent"] < now - self.timeout_s
        ]
        start: float | None = None
        for event in known:  # (a failure starts the run again)
            start = (start if start is not None else event["sent"]) if ok(event) else None
        if start is None or not known or known[-1]["sent"] - start < streak_s:
            return None
        return float(start)

    def stop(self) -> None:
        self.reader.stop(timeout_s=self.timeout_s + 3)


def ok(event: dict[str, Any]) -> bool:
    return 200 <= int(event.get("status") or 0) < 400


def served_counts(spec: LabSpec, backend: Backend) -> dict[str, int]:
    """Probe requests in each web node's access log so far."""
    counts: dict[str, int] = {}
    for web in spec.by_role("web"):
        where = backend.local_path(web.name, ACCESS_LOG)
        try:
            data = where.read_bytes() if where is not None else b""
        except OSError:
            data = b""
        counts[web.name] = data.count(PROBE_AGENT.encode())
    return counts


def served_since(before: dict[str, int], after: dict[str, int]) -> list[str]:
    return [node for node, n in after.items() if n > before.get(node, 0)]


def vip_holders(spec: LabSpec, backend: Backend, vip: str | None = None) -> list[str]:
    """The load balancers up whose addresses include the VIP."""
    wanted = vip or str(spec.vip)
    holders = []
    for lb in spec.by_role("lb"):
        if not backend.is_up(lb.name):
            continue
        result = backend.transport(lb.name).run(["ip", "-4", "-o", "addr", "show"], timeout_s=10)
        if any(f" {wanted}/" in line for line in result.stdout.splitlines()):
            holders.append(lb.name)
    return holders


def routes_off_lab(spec: LabSpec, backend: Backend) -> dict[str, list[str]]:
    """Per node, what could lead off the lab, read from its links and routing table (no packet
    is sent): a link other than its loopback and its lab NIC, or a route through one."""
    found: dict[str, list[str]] = {}
    allowed = {"lo", spec.nic}
    for node in spec.nodes:
        if not backend.is_up(node.name):
            continue
        transport = backend.transport(node.name)
        links = transport.run(["ip", "-o", "link", "show"], timeout_s=10).stdout
        routes = transport.run(["ip", "-4", "route", "show", "table", "all"], timeout_s=10).stdout
        bad = [
            f"link {name}"
            for line in links.splitlines()
            if len(line.split(":")) > 2
            and (name := line.split(":")[1].strip().split("@")[0]) not in allowed
        ]
        for line in routes.splitlines():
            words = line.split()
            device = words[words.index("dev") + 1] if "dev" in words[:-1] else None
            if device not in allowed:
                bad.append(f"route {line.strip()}")
        if bad:
            found[node.name] = bad
    return found
