"""A scenario's conditions read from the probes' evidence (who holds the VIP, which servers HAProxy
sees UP), as a registry: each kind one small function, registered with `@condition(name)`
under the names a scenario file writes it with (`until = { vip_holder = "haproxy2" }`)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from labtool.probes.readers import between_states
from labtool.probes.recorder import Recorder
from labtool.scenarios.cluster import Cluster
from labtool.scenarios.probes import Probes


@dataclass
class Look:
    """What a condition reads: the probes' evidence, the cluster, and since when."""

    recorder: Recorder
    cluster: Cluster
    probes: Probes | None  # None: no probes (the restore's condition), the cluster is asked
    since: float
    now: float = field(default_factory=time.monotonic)

    @functools.cached_property
    def after(self) -> list[dict[str, Any]]:
        """The newest answers by the time they were sent (answers arrive out of order: a
        request stalled on a dead server may come back long after newer ones); "after" is
        by arrival here, which needs no mapping of the client machine's clock."""
        return self.recorder.requests_since(self.since)


Condition = Callable[[Any, Look], bool]
CONDITIONS: dict[str, Condition] = {}


def condition(*names: str) -> Callable[[Condition], Condition]:
    """Register a kind of condition under the names a scenario file writes it with."""

    def register(check: Condition) -> Condition:
        for name in names:
            CONDITIONS[name] = check
        return check

    return register


def holds(
    wanted: dict[str, Any],
    recorder: Recorder,
    cluster: Cluster,
    probes: Probes | None,
    since: float,
) -> bool:
    """Every part of a scenario's condition holds now."""
    look = Look(recorder, cluster, probes, since)
    return all(CONDITIONS[key](value, look) for key, value in wanted.items())


@condition("vip_holder", "vip_holders")
def vip_holders(value: str | list[str], look: Look) -> bool:
    wanted = sorted([value] if isinstance(value, str) else value)
    held = look.recorder.live.vip_nodes if look.probes else look.cluster.vip_nodes()
    return sorted(held) == wanted


@condition("http_ok")
def http_ok(value: bool, look: Look) -> bool:
    after = look.after
    return len(after) >= 3 and all(e["ok"] for e in after[-3:]) == value


@condition("http_status")
def http_status(value: int, look: Look) -> bool:
    after = look.after
    return len(after) >= 3 and all(e["status"] == value for e in after[-3:])


@condition("server_down")
def server_down(value: str, look: Look) -> bool:
    views = haproxy_views(look.recorder, look.cluster)
    return bool(views) and all(v.get(value, "").startswith("DOWN") for v in views)


@condition("servers_up")
def servers_up(value: bool, look: Look) -> bool:
    webs = [n.name for n in look.cluster.spec.by_role("web")]
    views = haproxy_views(look.recorder, look.cluster)
    return bool(views) and all(v.get(w) == "UP" for v in views for w in webs)


@condition("duplicate_vip")
def duplicate_vip(value: bool, look: Look) -> bool:
    recorder = look.recorder
    both = len(recorder.arp_nodes(look.now)) > 1 or len(recorder.live.vip_nodes) > 1
    return both == value


@condition("node_ready")
def node_ready(value: str, look: Look) -> bool:
    return look.cluster.node_ready(value)


@condition("all_ready")
def all_ready(value: bool, look: Look) -> bool:
    return look.cluster.all_ready()  # (whatever the value: the file says `all_ready = true`)


def haproxy_views(recorder: Recorder, cluster: Cluster) -> list[dict[str, str]]:
    """HAProxy's view of its servers, as the probes last saw it on every load balancer up;
    [] while one of them has shown nothing yet."""
    lbs = [n.name for n in cluster.spec.by_role("lb") if cluster.backend.is_up(n.name)]
    views = [recorder.live.servers.get(lb, {}) for lb in lbs]
    return views if views and all(views) else []


def servers_seen_up(recorder: Recorder, cluster: Cluster) -> bool:
    """No server that a load balancer up reports is DOWN or between states ("UP 1/3", "DOWN
    1/2"): the state a fault on a web node is measured from. A lab just up may see a web node
    DOWN for a few checks (checked before it served). A config whose HAProxy reports nothing
    (no stats socket) or checks nothing ("no check") is not waited for."""
    for lb in cluster.spec.by_role("lb"):
        if not cluster.backend.is_up(lb.name):
            continue
        for status in recorder.live.servers.get(lb.name, {}).values():
            if between_states(status):
                return False
    return True
