"""Theory (layer 7): what the configs in use predict - VRRP's takeover, HAProxy's detection
and recovery - as numbers a scenario's bounds can name. Pure functions over config text.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from labtool.spec.model import LabSpec

# Linux's neighbour defaults: an address whose owner stopped answering is given up on after
# delay_first_probe_time (5 s) and ucast_solicit (3) probes retrans_time (1 s) apart
NEIGHBOUR_FAILED_S = 5.0 + 3 * 1.0


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
        return (
            self.haproxy_fall * self.haproxy_check_connect_s
            + (self.haproxy_fall - 1) * self.haproxy_inter_s
        )

    @property
    def haproxy_detect_earliest_s(self) -> float:
        """The earliest a lost web node can be marked DOWN. Once the kernel gives up on the
        node's address (its neighbour entry FAILED: Linux's delay_first_probe_time 5 s, then
        3 unicast probes 1 s apart, after the first unanswered packet), a check fails at once
        (no route to host) instead of at its connect timeout; checks started from then on
        take no time (measured: 8.09 s against 10.0 s with the lab's settings, a lose-web1 run
        right after another)."""
        t = failed = 0.0
        for _ in range(self.haproxy_fall):
            failed = t if t >= NEIGHBOUR_FAILED_S else t + self.haproxy_check_connect_s
            t = failed + self.haproxy_inter_s
        return min(failed, self.haproxy_detect_min_s)

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
        names = (
            "advert_int_s",
            "vrrp_skew_s",
            "vrrp_master_down_s",
            "vrrp_master_down_min_s",
            "track_interval_s",
            "track_failover_s",
            "haproxy_inter_s",
            "haproxy_fall",
            "haproxy_rise",
            "haproxy_check_connect_s",
            "haproxy_detect_s",
            "haproxy_detect_min_s",
            "haproxy_detect_earliest_s",
            "haproxy_detect_max_s",
            "haproxy_recover_max_s",
        )
        return {name: round(float(getattr(self, name)), 4) for name in names}


def duration_of(text: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(us|ms|s|m|h|d)?", text.strip())
    if not match:
        raise ValueError(text)
    scale = {"us": 1e-6, "ms": 1e-3, None: 1e-3, "s": 1, "m": 60, "h": 3600, "d": 86400}
    return float(match[1]) * scale[match[2]]


PRIORITY = re.compile(r"^\s*priority\s+(\d+)", re.M)


def configured_priorities(keepalived: dict[str, str]) -> dict[str, int]:
    """Each load balancer's `priority`, where its keepalived.conf writes one."""
    found = {node: PRIORITY.search(text) for node, text in keepalived.items()}
    return {node: int(match[1]) for node, match in found.items() if match}


def preferred_holder(keepalived: dict[str, str]) -> str | None:
    """The load balancer VRRP gives the VIP back to whenever it is up: its priority higher
    than every other's, and it preempts (no `nopreempt`); None with equal priorities (the
    VIP stays where it is)."""
    written = configured_priorities(keepalived)
    priorities = {node: written.get(node, 100) for node in keepalived}
    ranked = sorted(priorities.items(), key=lambda item: -item[1])
    if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
        return None
    top = ranked[0][0]
    return None if re.search(r"^\s*nopreempt\b", keepalived[top], re.M) else top


def theory_from_configs(spec: LabSpec, keepalived: dict[str, str], haproxy_cfg: str) -> Theory:
    """Theory from the configs in use: keepalived.conf per load balancer, one haproxy.cfg."""
    priorities = configured_priorities(keepalived)
    advert = float(spec.vrrp.advert_int)
    track, interval = False, 1.0
    for text in keepalived.values():
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
                    inter = duration_of(value)
                elif key == "fall":
                    fall = int(value)
                elif key == "rise":
                    rise = int(value)
    timeouts = dict(re.findall(r"^\s*timeout\s+(connect|check)\s+(\S+)", haproxy_cfg, re.M))
    return Theory(
        advert,
        backup,
        master,
        track,
        interval,
        inter,
        fall,
        rise,
        duration_of(timeouts.get("connect", "5s")),
        duration_of(timeouts["check"]) if "check" in timeouts else None,
    )
