"""The feed's translation of probe events into the page's (the probes themselves run in
tests/integration/test_watch.py)."""

from __future__ import annotations

import time
from types import SimpleNamespace

from labtool.backends.netns import NetnsBackend
from labtool.backends.vagrant import VagrantBackend
from labtool.probes.events import Event
from labtool.spec.load import default_spec
from labtool.watch.feed import Feed
from labtool.watch.hub import Hub


def feed(poll_s: float = NetnsBackend.poll_s) -> tuple[Feed, Hub]:
    spec = default_spec()
    hub = Hub(spec.name, "netns", str(spec.vip), "fr")
    backend = SimpleNamespace(shares_clock=True, poll_s=poll_s)
    return Feed(spec, backend, hub), hub  # type: ignore[arg-type]


def test_probe_events_become_the_page_s() -> None:
    f, hub = feed()
    now = time.monotonic()
    f.on_event(Event(now, "vip", {"node": "haproxy1", "action": "added"}))
    f.on_event(Event(now, "haproxy", {"lb": "haproxy1", "server": "web1", "status": "DOWN"}))
    f.on_event(
        Event(
            now,
            "http",
            {
                "sent": now - 0.01,
                "status": 200,
                "node": "web2",
                "ok": True,
                "latency_s": 0.0042123,
                "body": "test web2",
            },
        )
    )
    f.on_event(Event(now, "vrrp", {"node": "haproxy1", "priority": 100, "mac": "02:00"}))
    f.on_event(Event(now, "arp", {"node": "haproxy1"}))  # (not shown)
    assert [e["kind"] for e in hub.backlog] == ["vip", "haproxy", "vrrp"]
    (http,) = hub.requests
    assert http["node"] == "web2" and http["latency_s"] == 0.0042 and "body" not in http
    assert http["sent"] < http["t"]
    assert hub.state()["vip_holder"] == "haproxy1"
    assert hub.state()["servers"] == {"haproxy1": {"web1": "DOWN"}}


def test_machines_of_their_own_are_polled_less_often() -> None:
    netns, vagrant = NetnsBackend.poll_s, VagrantBackend.poll_s
    assert feed(netns)[0].poll_s == netns < feed(vagrant)[0].poll_s == vagrant
