"""A VIP takeover seen from every source that can see it (layer 7), and why a source that did
not see it did not.

Three sources, each timed from the fault: the VIP's address appearing on the new holder's NIC
(the watcher on that load balancer), the new holder's first VRRP advert at the client, and
its first gratuitous ARP for the VIP at the client. `takeover_s` is the first of them that
was measured, in that order of trust. A source that saw nothing gets a reason, so a result
says "no advert reached the client" instead of a bare null. Pure functions over events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from labtool.probes.events import Event

SOURCES = {"vip_takeover_s": "address", "advert_takeover_s": "advert", "arp_takeover_s": "arp"}


@dataclass
class Takeover:
    to: str | None  # the node that took the VIP over (None: no takeover)
    vip_takeover_s: float | None = None
    advert_takeover_s: float | None = None
    arp_takeover_s: float | None = None
    takeover_s: float | None = None
    takeover_source: str | None = None
    unseen: dict[str, str] = field(default_factory=dict)  # fact -> why it is null


def measure(
    events: list[Event],
    fault_t: float,
    old: str | None,
    new: str | None,
    holders_after: list[str],
    ip_to_node: dict[str, str],
) -> Takeover:
    """The takeover from the holder at the fault (`old`) to the one at the end (`new`, by
    address), each source on its own; reasons for the sources that saw nothing."""
    after = [e for e in events if e.t >= fault_t]

    def first(kind: str, match: Callable[[dict[str, Any]], bool]) -> float | None:
        found = next((e for e in after if e.kind == kind and match(e.data)), None)
        return round(found.t - fault_t, 4) if found is not None else None

    def advert_from(data: dict[str, Any]) -> str | None:
        return ip_to_node.get(data["src"]) if data.get("priority", 0) > 0 else None

    to = new if new and new != old else None
    if to is None and new is None and old is not None:
        # the address source saw no single holder: the others may still name the new one
        named = {advert_from(e.data) for e in after if e.kind == "vrrp"} | {
            e.data.get("node") for e in after if e.kind == "arp" and e.data.get("gratuitous")
        }
        named -= {None, old}
        to = next(iter(named)) if len(named) == 1 else None
    found = Takeover(to)
    if to is None:
        why = (
            f"no takeover: the VIP stayed on {old}"
            if new and new == old
            else f"no single new holder seen after the fault: by address "
            f"{holders_after or 'none'} at the end, and no advert or gratuitous ARP "
            f"named one"
        )
        found.unseen = dict.fromkeys([*SOURCES, "takeover_s"], why)
        return found
    found.vip_takeover_s = first(
        "vip", lambda d: d["action"] == "added" and d["node"] == to and not d.get("initial")
    )  # a watcher's first look: no time
    found.advert_takeover_s = first("vrrp", lambda d: advert_from(d) == to)
    found.arp_takeover_s = first("arp", lambda d: d.get("node") == to and bool(d.get("gratuitous")))
    for fact, source in SOURCES.items():
        value = getattr(found, fact)
        if value is None:
            found.unseen[fact] = _why(source, to, events, after)
        elif found.takeover_s is None:
            found.takeover_s, found.takeover_source = value, source
    if found.takeover_s is None:
        found.unseen["takeover_s"] = "no source saw it: " + "; ".join(found.unseen.values())
    return found


def _why(source: str, to: str, events: list[Event], after: list[Event]) -> str:
    if source == "address":
        return _why_address(to, events, after)
    client = next(
        (
            e
            for e in events
            if e.kind == "agent" and e.data.get("state") == "started" and "vrrp_group" in e.data
        ),
        None,
    )
    if source == "advert":
        adverts = [e for e in after if e.kind == "vrrp"]
        if not adverts:
            group = client.data.get("vrrp_group") if client else "unknown"
            return (
                f"no VRRP advert at all reached the client agent after the fault (its "
                f"multicast group: {group})"
            )
        senders = sorted({str(e.data.get("node") or e.data["src"]) for e in adverts})
        return f"the client saw {len(adverts)} adverts, none from {to} (from: {senders})"
    garps = [e for e in after if e.kind == "arp" and e.data.get("gratuitous")]
    if not garps:
        return "no gratuitous ARP for the VIP reached the client agent after the fault"
    unnamed = sorted({e.data["mac"] for e in garps if not e.data.get("node")})
    if unnamed:
        return (
            f"gratuitous ARPs came from MACs no node is known by ({unnamed}): {to}'s MAC "
            f"was not read"
        )
    return f"gratuitous ARPs came only from {sorted({e.data['node'] for e in garps})}"


def _why_address(to: str, events: list[Event], after: list[Event]) -> str:
    mine = [e for e in events if e.kind == "agent" and e.data.get("source") == to]
    if not any(e.data.get("state") == "started" for e in mine):
        return f"the address watcher on {to} never started"
    ended = [e for e in after if e in mine and e.data.get("state") == "ended"]
    if ended:
        return f"the address watcher on {to} ended before it saw the VIP"
    if any(e.kind == "vip" and e.data["node"] == to and e.data.get("initial") for e in after):
        return f"the address watcher on {to} started after the VIP was already there"
    return f"the address watcher on {to} reported no VIP added after the fault"
