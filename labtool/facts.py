"""Facts and theory (layer 7): the event log turned into numbers, beside the values the
configs in use predict. Pure functions over events; nothing here touches a lab.
"""

from __future__ import annotations

import itertools
import re
import statistics
from dataclasses import asdict, dataclass
from typing import Any

from labtool.probes.recorder import Event
from labtool.spec import LabSpec

SLOW_S = 0.5  # an answer slower than this counts as part of an outage, as a user would feel it


@dataclass(frozen=True)
class Theory:
    """What the configs in use predict."""

    advert_int_s: float
    backup_priority: int
    master_priority: int
    track_script: bool
    track_interval_s: float
    haproxy_inter_s: float
    haproxy_fall: int
    haproxy_rise: int
    haproxy_connect_timeout_s: float
    haproxy_check_timeout_s: float | None

    @property
    def vrrp_skew_s(self) -> float:
        return (256 - self.backup_priority) / 256

    @property
    def vrrp_master_down_s(self) -> float:
        """A lost master: the backup waits 3 x advert_int + skew without an advert."""
        return 3 * self.advert_int_s + self.vrrp_skew_s

    @property
    def vrrp_master_down_min_s(self) -> float:
        """... counted from the last advert heard, up to one advert_int before the loss."""
        return self.vrrp_master_down_s - self.advert_int_s

    @property
    def haproxy_check_connect_s(self) -> float:
        """A check's connect timeout: min(timeout connect, inter) once `timeout check` is set,
        else inter (HAProxy's configuration manual, 'timeout check')."""
        if self.haproxy_check_timeout_s is None:
            return self.haproxy_inter_s
        return min(self.haproxy_connect_timeout_s, self.haproxy_inter_s)

    @property
    def haproxy_detect_min_s(self) -> float:
        """A lost web node is marked DOWN after `fall` failed checks; each fails after the
        check's connect timeout, and the next starts `inter` after the previous one ended."""
        return self.haproxy_fall * self.haproxy_check_connect_s + \
            (self.haproxy_fall - 1) * self.haproxy_inter_s

    @property
    def haproxy_detect_max_s(self) -> float:
        """... plus up to one `inter` for the first check after the loss to start."""
        return self.haproxy_detect_min_s + self.haproxy_inter_s

    @property
    def haproxy_detect_s(self) -> float:
        return (self.haproxy_detect_min_s + self.haproxy_detect_max_s) / 2

    @property
    def haproxy_recover_max_s(self) -> float:
        """A web node back: `rise` good checks, one every `inter`, after up to one `inter`."""
        return (self.haproxy_rise + 1) * self.haproxy_inter_s

    @property
    def track_failover_s(self) -> float:
        """HAProxy dies: the track_script fails within its interval, then the backup takes
        over after the skew (keepalived sends priority 0 as it leaves MASTER)."""
        return self.track_interval_s + self.vrrp_skew_s

    def values(self) -> dict[str, float]:
        names = ("advert_int_s", "vrrp_skew_s", "vrrp_master_down_s", "vrrp_master_down_min_s",
                 "track_interval_s", "track_failover_s", "haproxy_inter_s", "haproxy_fall",
                 "haproxy_rise",
                 "haproxy_check_connect_s", "haproxy_detect_s", "haproxy_detect_min_s",
                 "haproxy_detect_max_s", "haproxy_recover_max_s")
        return {name: round(float(getattr(self, name)), 4) for name in names}


def _duration_s(text: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(us|ms|s|m|h|d)?", text.strip())
    if not match:
        raise ValueError(text)
    scale = {"us": 1e-6, "ms": 1e-3, None: 1e-3, "s": 1, "m": 60, "h": 3600, "d": 86400}
    return float(match[1]) * scale[match[2]]


def theory_from_configs(spec: LabSpec, keepalived: dict[str, str], haproxy_cfg: str) -> Theory:
    """Theory from the configs in use: keepalived.conf per load balancer, one haproxy.cfg."""
    priorities = {}
    advert = float(spec.vrrp.advert_int)
    track, interval = False, 1.0
    for node, text in keepalived.items():
        if m := re.search(r"^\s*priority\s+(\d+)", text, re.M):
            priorities[node] = int(m[1])
        if m := re.search(r"^\s*advert_int\s+([\d.]+)", text, re.M):
            advert = float(m[1])
        if re.search(r"^\s*track_script\b", text, re.M):
            track = True
        if m := re.search(r"vrrp_script[^{]*\{[^}]*?\binterval\s+([\d.]+)", text, re.S):
            interval = float(m[1])
    lbs = spec.lb_start_order()
    master = priorities.get(lbs[0].name, lbs[0].priority or 100)
    backup = max((priorities.get(n.name, n.priority or 100) for n in lbs[1:]), default=master)
    inter, fall, rise = 2.0, 3, 2
    for line in haproxy_cfg.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) >= 3 and words[0] == "server" and "check" in words:
            for key, value in itertools.pairwise(words):
                if key == "inter":
                    inter = _duration_s(value)
                elif key == "fall":
                    fall = int(value)
                elif key == "rise":
                    rise = int(value)
    timeouts = dict(re.findall(r"^\s*timeout\s+(connect|check)\s+(\S+)", haproxy_cfg, re.M))
    return Theory(advert, backup, master, track, interval, inter, fall, rise,
                  _duration_s(timeouts.get("connect", "5s")),
                  _duration_s(timeouts["check"]) if "check" in timeouts else None)


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
    duplicate_vip: bool
    duplicate_vip_nodes: list[str]
    haproxy_detect_s: dict[str, float]
    served_after_detect: dict[str, int]
    adverts: int
    advert_interval_s: float | None
    vip_gained: list[str]  # nodes that took the VIP after the fault (a failback, on restore)
    fault_applied_s: float | None = None  # how long the fault's actions took to run

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _vip_holders_at(events: list[Event], t: float) -> set[str]:
    holders: set[str] = set()
    for event in events:
        if event.kind == "vip" and event.t <= t:
            (holders.add if event.data["action"] == "added" else holders.discard)(
                event.data["node"])
    return holders


def _outage(http: list[Event], end_t: float) -> tuple[float, float | None, bool]:
    """Longest run of requests not answered well (error, not 200, or slower than SLOW_S),
    from the sending of the first to the sending of the next one answered well."""
    best, best_start, ongoing = 0.0, None, False
    run_start: float | None = None
    for event in sorted(http, key=lambda e: e.data["sent"]):
        if not event.data["ok"]:
            run_start = event.data["sent"] if run_start is None else run_start
        elif run_start is not None:
            if event.data["sent"] - run_start > best:
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


def compute(events: list[Event], fault_t: float, end_t: float, spec: LabSpec,
            start_t: float | None = None) -> Facts:
    """Facts from a scenario's events: before the fault, after it, and the changes. The window
    runs from `start_t` (the baseline; earlier requests do not count) to `end_t`."""
    ip_to_node = {str(n.address): n.name for n in spec.nodes}
    # The window ends at end_t: answers to requests sent by then count, other events after
    # it (the restore's) do not.
    first = start_t if start_t is not None else float("-inf")
    http = [e for e in events if e.kind == "http" and first <= e.data["sent"] <= end_t]
    events = [e for e in events if e.t <= end_t or e.kind == "http"]
    after = [e for e in http if e.data["sent"] >= fault_t]
    before = [e for e in http if e.data["sent"] < fault_t]
    outage, outage_start, ongoing = _outage(http, end_t)
    holders_before = _vip_holders_at(events, fault_t)
    holders_after = sorted(_vip_holders_at(events, end_t))
    old = next(iter(holders_before)) if len(holders_before) == 1 else None
    new = holders_after[0] if len(holders_after) == 1 else None

    def first_after(kind: str, match: Any) -> float | None:
        for event in events:
            if event.kind == kind and event.t >= fault_t and match(event.data):
                return round(event.t - fault_t, 4)
        return None

    takeover_to = new if new and new != old else None
    vip_takeover = first_after("vip", lambda d: d["action"] == "added"
                               and d["node"] == takeover_to) if takeover_to else None
    advert_takeover = first_after(
        "vrrp", lambda d: ip_to_node.get(d["src"]) == takeover_to and d["priority"] > 0
    ) if takeover_to else None
    arp_takeover = first_after("arp", lambda d: d.get("node") == takeover_to and
                               d.get("gratuitous")) if takeover_to else None
    ever = sorted({e.data["node"] for e in events if e.kind == "vip" and e.t >= fault_t and
                   e.data["action"] == "added"} | holders_before)
    duplicates = _duplicates(events, fault_t)
    detect: dict[str, float] = {}
    for event in events:
        if event.kind == "haproxy" and event.t >= fault_t and \
                event.data["status"].startswith("DOWN") and event.data["server"] not in detect:
            detect[event.data["server"]] = round(event.t - fault_t, 4)
    detected_at = fault_t + max(detect.values()) if detect else None
    adverts = [e for e in events if e.kind == "vrrp"]
    gaps = [b.t - a.t for src in {e.data["src"] for e in adverts}
            for a, b in itertools.pairwise([e for e in adverts if e.data["src"] == src])]
    return Facts(
        outage_s=round(outage, 4),
        outage_start_s=round(outage_start - fault_t, 4) if outage_start is not None else None,
        outage_ongoing=ongoing,
        requests=len(http),
        failed_requests=sum(1 for e in after if e.data["status"] != 200),
        slow_requests=sum(1 for e in after if e.data["status"] == 200 and
                          e.data["latency_s"] > SLOW_S),
        degraded_requests=sum(1 for e in after if not e.data["ok"]),
        status_counts=_count([str(e.data["status"]) if e.data["status"] else
                              e.data.get("error", "error") for e in after]),
        served_before=_count([e.data.get("node") for e in before if e.data["status"] == 200]),
        served_after=_count([e.data.get("node") for e in after if e.data["status"] == 200]),
        vip_holder_before=old,
        vip_holder_after=new,
        vip_holders_after=holders_after,
        vip_ever_on=ever,
        vip_takeover_s=vip_takeover,
        advert_takeover_s=advert_takeover,
        arp_takeover_s=arp_takeover,
        duplicate_vip=len(duplicates) > 1,
        duplicate_vip_nodes=duplicates,
        haproxy_detect_s=detect,
        served_after_detect=_count([e.data.get("node") for e in after if detected_at and
                                    e.data["sent"] >= detected_at and e.data["status"] == 200]),
        adverts=len(adverts),
        advert_interval_s=round(statistics.median(gaps), 3) if gaps else None,
        vip_gained=sorted(set(ever) - holders_before),
        fault_applied_s=first_after("fault-applied", lambda d: True),
    )


def _duplicates(events: list[Event], since: float, window_s: float = 0.35) -> list[str]:
    """Nodes that held the VIP at the same time: by address, or answering ARP together."""
    holders: set[str] = set()
    found: set[str] = set()
    for event in events:
        if event.kind == "vip":
            (holders.add if event.data["action"] == "added" else holders.discard)(
                event.data["node"])
            if event.t >= since and len(holders) > 1:
                found |= holders
    answers = [e for e in events if e.kind == "arp" and e.t >= since and e.data.get("node")
               and e.data["op"] == "reply" and not e.data.get("gratuitous")]
    for event in answers:
        close = {a.data["node"] for a in answers if abs(a.t - event.t) <= window_s}
        if len(close) > 1:
            found |= close
    return sorted(found)
