"""Evidence on one clock: events from probes (each node's clock mapped onto labtool's), and the
live state a view shows."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any

FIRST_ANSWERS_KEPT = 20  # arrival times kept of the client's first answers (its pace)


class ClockMap:
    """An agent's CLOCK_MONOTONIC on our own clock. In a netns node it is the same clock. On a
    machine of its own it is another clock, which may even run at another rate (a VM under
    software emulation): each line gives a sample of (arrival here - stamp there), that is the
    offset plus its transit; the smallest sample of each WINDOW_S seconds is the offset plus
    the shortest transit then. A time is mapped with the offset interpolated between the
    windows around it, which follows a clock that drifts."""

    WINDOW_S = 2.0

    def __init__(self, shared: bool) -> None:
        self.shared = shared
        self.windows: dict[int, tuple[float, float]] = {}  # window -> (stamp, least offset)

    def local(self, remote_t: float, arrived: float | None = None) -> float:
        """A stamp just received (at `arrived`, default now), on our clock (with what is known
        so far)."""
        if self.shared:
            return remote_t
        seen = (time.monotonic() if arrived is None else arrived) - remote_t
        window = int(remote_t // self.WINDOW_S)
        best = self.windows.get(window)
        if best is None or seen < best[1]:
            self.windows[window] = (remote_t, seen)
        # the current window may hold one late sample only: the previous one's least
        # offset too, whichever is smaller
        previous = self.windows.get(window - 1)
        offset = min(self.windows[window][1], previous[1] if previous else seen)
        return remote_t + offset

    @property
    def offset(self) -> float | None:
        """The least offset seen (0 on a shared clock; None before any sample)."""
        if self.shared:
            return 0.0
        return min((o for _, o in self.windows.values()), default=None)

    def offset_at(self, remote_t: float) -> float | None:
        """The offset at a stamp, interpolated between the windows' least offsets."""
        if self.shared:
            return 0.0
        points = sorted(self.windows.values())
        if not points:
            return None
        before = [p for p in points if p[0] <= remote_t]
        after = [p for p in points if p[0] > remote_t]
        if not before or not after:
            return (before or after)[-1 if before else 0][1]
        (t0, o0), (t1, o1) = before[-1], after[0]
        return o0 + (o1 - o0) * (remote_t - t0) / (t1 - t0)

    def drift_ppm(self) -> float | None:
        """How much faster our clock runs than the machine's, in parts per million, from the
        first and last windows (None: too few of them)."""
        points = sorted(self.windows.values())
        if self.shared or len(points) < 3 or points[-1][0] - points[0][0] < 10:
            return None
        return round((points[-1][1] - points[0][1]) / (points[-1][0] - points[0][0]) * 1e6)


@dataclass
class Event:
    t: float
    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    clock: ClockMap | None = field(default=None, repr=False, compare=False)
    remote_t: float | None = field(default=None, repr=False, compare=False)
    arrived: float = field(default=0.0, repr=False, compare=False)  # here, when it came in

    def as_dict(self, origin: float = 0.0) -> dict[str, Any]:
        """The event with its times (`t`, and `sent` for a request) counted from `origin`."""
        data = dict(self.data)
        if self.kind == "http":
            data["sent"] = round(data["sent"] - origin, 4)
        return {"t": round(self.t - origin, 4), "kind": self.kind, **data}

    def remapped(self) -> Event:
        """The event on our clock with its agent's offset as known now."""
        if self.clock is None or self.clock.shared or self.remote_t is None:
            return self
        offset = self.clock.offset_at(self.remote_t)
        if offset is None:
            return self
        shift = self.remote_t + offset - self.t
        data = dict(self.data)
        if self.kind == "http":
            data["sent"] += shift
        return replace(self, t=self.t + shift, data=data)


@dataclass
class LiveState:
    vip_nodes: set[str] = field(default_factory=set)  # nodes whose NIC has the VIP
    arp: dict[str, float] = field(default_factory=dict)  # node answering ARP -> last time
    servers: dict[str, dict[str, str]] = field(default_factory=dict)  # lb -> server -> status
    recent: deque[Event] = field(default_factory=lambda: deque(maxlen=60))
