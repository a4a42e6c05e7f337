"""A scenario's conditions read from the probes' evidence (who holds the VIP, which servers HAProxy
sees UP), and where each load balancer's stats socket is."""

from __future__ import annotations

import time
from typing import Any

from labtool.probes.recorder import Recorder
from labtool.scenarios.cluster import Cluster
from labtool.scenarios.probes import Probes


def holds(
    condition: dict[str, Any],
    recorder: Recorder,
    cluster: Cluster,
    probes: Probes | None,
    since: float,
) -> bool:
    """Every part of a scenario's condition holds now."""
    now = time.monotonic()
    # The newest answers by the time they were sent (answers arrive out of order: a request
    # stalled on a dead server may come back long after newer ones); "after" is by arrival
    # here, which needs no mapping of the client machine's clock.
    after = recorder.requests_since(since)
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
    lbs = [n.name for n in cluster.spec.by_role("lb") if cluster.backend.is_up(n.name)]
    servers = {lb: recorder.live.servers.get(lb, {}) for lb in lbs}
    if not lbs or any(not seen for seen in servers.values()):
        return False
    if key == "server_down":
        return all(servers[lb].get(value, "").startswith("DOWN") for lb in lbs)
    webs = [n.name for n in cluster.spec.by_role("web")]
    return all(servers[lb].get(w) == "UP" for lb in lbs for w in webs)


def servers_seen_up(recorder: Recorder, cluster: Cluster) -> bool:
    """No server that a load balancer up reports is DOWN or between states ("UP 1/3", "DOWN
    1/2"): the state a fault on a web node is measured from. A lab just up may see a web node
    DOWN for a few checks (checked before it served). A config whose HAProxy reports nothing
    (no stats socket) or checks nothing ("no check") is not waited for."""
    for lb in cluster.spec.by_role("lb"):
        if not cluster.backend.is_up(lb.name):
            continue
        for status in recorder.live.servers.get(lb.name, {}).values():
            if status.startswith("DOWN") or "/" in status:
                return False
    return True
