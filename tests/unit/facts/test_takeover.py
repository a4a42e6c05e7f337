"""The takeover from every source that can see it, and why a source saw nothing
(labtool.facts.takeover, through labtool.facts.compute): synthetic event logs, pure."""

from __future__ import annotations

import pytest

from labtool.facts import compute
from labtool.probes.events import Event
from labtool.spec.load import default_spec

SPEC = default_spec()
CLIENT_STARTED = Event(
    -2.0, "agent", {"source": "client", "state": "started", "vrrp_group": "224.0.0.18"}
)


def watcher(node: str, t: float = -1.5) -> Event:
    return Event(t, "agent", {"source": node, "state": "started", "addresses": []})


def lost_haproxy1(
    *,
    address: bool = True,
    advert: bool = True,
    arp: bool = True,
    arp_node: str | None = "haproxy2",
) -> list[Event]:
    events = [
        CLIENT_STARTED,
        watcher("haproxy1"),
        watcher("haproxy2"),
        Event(-1.0, "vip", {"node": "haproxy1", "action": "added", "initial": True}),
        Event(
            -0.5,
            "vrrp",
            {"src": "10.0.0.11", "priority": 100, "node": "haproxy1", "mac": "52:54:00:aa:00:01"},
        ),
        Event(0.01, "vip", {"node": "haproxy1", "action": "removed", "reason": "node down"}),
    ]
    if advert:
        events.append(
            Event(
                3.01,
                "vrrp",
                {
                    "src": "10.0.0.12",
                    "priority": 100,
                    "node": "haproxy2",
                    "mac": "52:54:00:aa:00:02",
                },
            )
        )
    if address:
        events.append(Event(3.02, "vip", {"node": "haproxy2", "action": "added"}))
    if arp:
        events.append(
            Event(
                3.03,
                "arp",
                {"mac": "52:54:00:aa:00:02", "op": "request", "gratuitous": True, "node": arp_node},
            )
        )
    return sorted(events, key=lambda e: e.t)


def test_every_source_saw_it() -> None:
    facts = compute(lost_haproxy1(), 0.0, 5.0, SPEC)
    assert (facts.vip_takeover_s, facts.advert_takeover_s, facts.arp_takeover_s) == pytest.approx(
        (3.02, 3.01, 3.03)
    )
    assert (facts.takeover_s, facts.takeover_source) == (pytest.approx(3.02), "address")
    assert facts.unseen == {}


def test_a_missed_address_leaves_the_other_sources_and_says_why() -> None:
    """The watcher on haproxy2 saw nothing (as a late `ip monitor` did on VMs): the adverts
    still name the new holder and time the takeover."""
    facts = compute(lost_haproxy1(address=False), 0.0, 5.0, SPEC)
    assert facts.vip_takeover_s is None
    assert (facts.takeover_s, facts.takeover_source) == (pytest.approx(3.01), "advert")
    assert facts.arp_takeover_s == pytest.approx(3.03)
    assert facts.unseen == {
        "vip_takeover_s": "the address watcher on haproxy2 reported no VIP added after the fault"
    }


def test_no_advert_at_the_client_is_explained() -> None:
    facts = compute(lost_haproxy1(advert=False), 0.0, 5.0, SPEC)
    assert facts.advert_takeover_s is None
    assert facts.unseen["advert_takeover_s"] == (
        "no VRRP advert at all reached the client agent after the fault (its multicast "
        "group: 224.0.0.18)"
    )
    assert facts.takeover_s == pytest.approx(3.02)


def test_a_gratuitous_arp_from_an_unknown_mac_is_explained() -> None:
    facts = compute(lost_haproxy1(arp_node=None), 0.0, 5.0, SPEC)
    assert facts.arp_takeover_s is None
    assert "52:54:00:aa:00:02" in facts.unseen["arp_takeover_s"]
    assert "MAC was not read" in facts.unseen["arp_takeover_s"]


def test_no_source_at_all() -> None:
    facts = compute(lost_haproxy1(address=False, advert=False, arp=False), 0.0, 5.0, SPEC)
    assert facts.takeover_s is None
    assert facts.unseen["takeover_s"] == (
        "no single new holder seen after the fault: by address none at the end, and no advert "
        "or gratuitous ARP named one"
    )


def test_no_takeover_is_not_a_missing_measure() -> None:
    events = [
        CLIENT_STARTED,
        watcher("haproxy1"),
        Event(-1.0, "vip", {"node": "haproxy1", "action": "added", "initial": True}),
    ]
    facts = compute(events, 0.0, 5.0, SPEC)
    assert facts.takeover_s is None
    assert facts.unseen["takeover_s"] == "no takeover: the VIP stayed on haproxy1"


def test_a_watcher_that_ended_is_named() -> None:
    events = [
        *lost_haproxy1(address=False),
        Event(1.0, "agent", {"source": "haproxy2", "state": "ended", "exit": 255}),
    ]
    facts = compute(sorted(events, key=lambda e: e.t), 0.0, 5.0, SPEC)
    assert (
        facts.unseen["vip_takeover_s"]
        == "the address watcher on haproxy2 ended before it saw the VIP"
    )


def test_a_watcher_that_found_the_vip_already_there_gives_no_time() -> None:
    events = [
        *lost_haproxy1(address=False),
        watcher("haproxy2", t=3.5),
        Event(3.5, "vip", {"node": "haproxy2", "action": "added", "initial": True}),
    ]
    facts = compute(sorted(events, key=lambda e: e.t), 0.0, 5.0, SPEC)
    assert facts.vip_holder_after == "haproxy2"
    assert facts.vip_takeover_s is None
    assert (
        facts.unseen["vip_takeover_s"]
        == "the address watcher on haproxy2 started after the VIP was already there"
    )
    assert facts.takeover_source == "advert"
