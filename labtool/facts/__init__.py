"""Facts (layer 7): the event log turned into numbers, to be set beside what the configs in
use predict (labtool.facts.theory). Pure functions over events; nothing here touches a lab.
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

from labtool.facts.takeover import measure
from labtool.probes.events import Event
from labtool.spec.model import LabSpec

SLOW_S = 0.5  # an answer slower than this counts as part of an outage, as a user would feel it
SLOW_FACTOR = 3.0  # ... or slower than this many times the backend's usual answer
SLOW_MAX_S = 3.0  # ... and always beyond this


@dataclass
class Facts:
    """Numbers from one scenario's event log; times in seconds from the fault."""

    outage_s: float
    outage_start_s: float | None
    outage_ongoing: bool
    requests: int
    failed_requests: int
    slow_requests: int
    degraded_requests: int  # failed or slow, after the fault
    status_counts: dict[str, int]
    served_before: dict[str, int]
    served_after: dict[str, int]
    vip_holder_before: str | None
    vip_holder_after: str | None
    vip_holders_after: list[str]
    vip_ever_on: list[str]
    vip_takeover_s: float | None
    advert_takeover_s: float | None
    arp_takeover_s: float | None
    takeover_s: float | None  # the first of the three above measured (address, advert, arp)
    takeover_source: str | None
    duplicate_vip: bool
    duplicate_vip_nodes: list[str]
    haproxy_detect_s: dict[str, float]
    served_after_detect: dict[str, int]
    adverts: int
    advert_interval_s: float | None
    vip_gained: list[str]  # nodes that took the VIP after the fault (a failback, on restore)
    fault_applied_s: float | None = None  # how long the fault's actions took to run
    unseen: dict[str, str] = field(default_factory=dict)  # a fact left null, and why

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _vip_holders_at(events: list[Event], t: float) -> set[str]:
    holders: set[str] = set()
    for event in events:
        if event.kind == "vip" and event.t <= t:
            (holders.add if event.data["action"] == "added" else holders.discard)(
                event.data["node"]
            )
    return holders


def slow_threshold(latencies: list[float]) -> float:
    """What counts as a slow answer on this backend: SLOW_S, or SLOW_FACTOR times its usual
    answer when that is longer (VMs under emulation answer in 0.3-0.5 s when all is well;
    namespaces in milliseconds, so there it stays SLOW_S)."""
    if not latencies:
        return SLOW_S
    usual = sorted(latencies)[len(latencies) // 2]
    return round(min(SLOW_MAX_S, max(SLOW_S, SLOW_FACTOR * usual)), 3)


def _censored(event: Event, slow_s: float) -> bool:
    """A request still in flight when the agent stopped, for less time than an answer may
    take: not a failure, just not known."""
    return event.data.get("error") == "unfinished" and event.data["latency_s"] <= slow_s


def _outage(
    http: list[Event], fault_t: float, end_t: float, slow_s: float = SLOW_S
) -> tuple[float, float | None, bool]:
    """Longest run of requests not answered well (error, not 200, or slower than slow_s),
    from the sending of the first to the sending of the next one answered well; only runs
    that last past the fault count (one may start just before it: requests in flight to a
    node that loses power), not a slow spell of the baseline that was over by then."""
    best, best_start, ongoing = 0.0, None, False
    run_start: float | None = None
    for event in sorted(http, key=lambda e: e.data["sent"]):
        if _censored(event, slow_s):
            continue
        if not event.data["ok"]:
            run_start = event.data["sent"] if run_start is None else run_start
        elif run_start is not None:
            if event.data["sent"] > fault_t and event.data["sent"] - run_start > best:
                best, best_start = event.data["sent"] - run_start, run_start
            run_start = None
    if run_start is not None and end_t - run_start > best:
        best, best_start, ongoing = end_t - run_start, run_start, True
    return best, best_start, ongoing


def _count(values: list[str | None]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        if value:
            counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items()))


def compute(
    events: list[Event],
    fault_t: float,
    end_t: float,
    spec: LabSpec,
    start_t: float | None = None,
    slow_s: float = SLOW_S,
) -> Facts:
    """Facts from a scenario's events: before the fault, after it, and the changes. The window
    runs from `start_t` (the baseline; earlier requests do not count) to `end_t`. An answer
    slower than `slow_s` (SLOW_S, or more on a backend whose answers are slower even when all
    is well) counts as part of an outage."""
    ip_to_node = {str(n.address): n.name for n in spec.nodes}
    # The window ends at end_t: answers to requests sent by then count, other events after
    # it (the restore's) do not.
    first = start_t if start_t is not None else float("-inf")
    http = [e for e in events if e.kind == "http" and first <= e.data["sent"] <= end_t]
    for event in http:
        event.data["ok"] = event.data["status"] == 200 and event.data["latency_s"] <= slow_s
    events = [e for e in events if e.t <= end_t or e.kind == "http"]
    after = [e for e in http if e.data["sent"] >= fault_t]
    before = [e for e in http if e.data["sent"] < fault_t]
    outage, outage_start, ongoing = _outage(http, fault_t, end_t, slow_s)
    holders_before = _vip_holders_at(events, fault_t)
    holders_after = sorted(_vip_holders_at(events, end_t))
    old = next(iter(holders_before)) if len(holders_before) == 1 else None
    new = holders_after[0] if len(holders_after) == 1 else None

    takeover = measure(events, fault_t, old, new, holders_after, ip_to_node)
    ever = _ever_on(events, fault_t, holders_before)
    duplicates = _duplicates(events, fault_t)
    detect, detected_at = _detection(events, fault_t)
    adverts, advert_interval = _adverts(events)
    return Facts(
        outage_s=round(outage, 4),
        outage_start_s=round(outage_start - fault_t, 4) if outage_start is not None else None,
        outage_ongoing=ongoing,
        requests=len(http),
        **_after_counts(after, slow_s),
        served_before=_count([e.data.get("node") for e in before if e.data["status"] == 200]),
        served_after=_count([e.data.get("node") for e in after if e.data["status"] == 200]),
        vip_holder_before=old,
        vip_holder_after=new,
        vip_holders_after=holders_after,
        vip_ever_on=ever,
        **{name: getattr(takeover, name) for name in TAKEOVER_FACTS},
        duplicate_vip=len(duplicates) > 1,
        duplicate_vip_nodes=duplicates,
        haproxy_detect_s=detect,
        served_after_detect=_count(
            [
                e.data.get("node")
                for e in after
                if detected_at and e.data["sent"] >= detected_at and e.data["status"] == 200
            ]
        ),
        adverts=adverts,
        advert_interval_s=advert_interval,
        vip_gained=sorted(set(ever) - holders_before),
        fault_applied_s=next(
            (
                round(e.t - fault_t, 4)
                for e in events
                if e.kind == "fault-applied" and e.t >= fault_t
            ),
            None,
        ),
    )


# the facts of a takeover, seen three ways (labtool.facts.takeover), as the result names them
TAKEOVER_FACTS = (
    "vip_takeover_s",
    "advert_takeover_s",
    "arp_takeover_s",
    "takeover_s",
    "takeover_source",
    "unseen",
)


def _ever_on(events: list[Event], fault_t: float, holders_before: set[str]) -> list[str]:
    """Every node that held the VIP from the fault on."""
    added = {
        e.data["node"]
        for e in events
        if e.kind == "vip" and e.t >= fault_t and e.data["action"] == "added"
    }
    return sorted(added | holders_before)


def _after_counts(after: list[Event], slow_s: float) -> dict[str, Any]:
    """The requests sent after the fault: failed, slow, degraded, by status."""
    return {
        "failed_requests": sum(
            1 for e in after if e.data["status"] != 200 and not _censored(e, slow_s)
        ),
        "slow_requests": sum(
            1 for e in after if e.data["status"] == 200 and e.data["latency_s"] > slow_s
        ),
        "degraded_requests": sum(1 for e in after if not e.data["ok"] and not _censored(e, slow_s)),
        "status_counts": _count(
            [
                str(e.data["status"]) if e.data["status"] else e.data.get("error", "error")
                for e in after
            ]
        ),
    }


def _detection(events: list[Event], fault_t: float) -> tuple[dict[str, float], float | None]:
    """When HAProxy first marked each server DOWN after the fault; and when every load
    balancer had: requests count as served "after the detection" from then (the one that
    serves may see it a check later than the other)."""
    detect: dict[str, float] = {}
    down_on: dict[tuple[str, str], float] = {}  # (load balancer, server) -> marked DOWN
    for event in events:
        if (
            event.kind == "haproxy"
            and event.t >= fault_t
            and event.data["status"].startswith("DOWN")
        ):
            detect.setdefault(event.data["server"], round(event.t - fault_t, 4))
            down_on.setdefault((event.data["lb"], event.data["server"]), event.t)
    return detect, max(down_on.values()) if down_on else None


def _adverts(events: list[Event]) -> tuple[int, float | None]:
    """How many VRRP adverts were seen, and their median interval per sender."""
    adverts = [e for e in events if e.kind == "vrrp"]
    gaps = [
        b.t - a.t
        for src in {e.data["src"] for e in adverts}
        for a, b in itertools.pairwise([e for e in adverts if e.data["src"] == src])
    ]
    return len(adverts), round(statistics.median(gaps), 3) if gaps else None


def _duplicates(events: list[Event], since: float, window_s: float = 0.35) -> list[str]:
    """Nodes that held the VIP at the same time: by address, or answering ARP together."""
    holders: set[str] = set()
    found: set[str] = set()
    for event in events:
        if event.kind == "vip":
            (holders.add if event.data["action"] == "added" else holders.discard)(
                event.data["node"]
            )
            if event.t >= since and len(holders) > 1:
                found |= holders
    answers = [
        e
        for e in events
        if e.kind == "arp"
        and e.t >= since
        and e.data.get("node")
        and e.data["op"] == "reply"
        and not e.data.get("gratuitous")
    ]
    for event in answers:
        close = {a.data["node"] for a in answers if abs(a.t - event.t) <= window_s}
        if len(close) > 1:
            found |= close
    return sorted(found)
