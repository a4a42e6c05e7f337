"""Facts from synthetic event logs, and theory from the lab's own configs (pure)."""

from __future__ import annotations

import pytest

from labtool.facts import compute
from labtool.facts.theory import theory_from_configs
from labtool.probes.events import Event
from labtool.provision.files import Versions, render_node_files
from labtool.spec.load import default_spec

SPEC = default_spec()
DEBIAN12 = Versions(haproxy=(2, 6), keepalived=(2, 2, 7), ipvs=False)


def http(sent: float, ok: bool, node: str | None = "web1", latency: float = 0.001) -> Event:
    return Event(
        sent + latency,
        "http",
        {"sent": sent, "status": 200 if node else 0, "node": node, "latency_s": latency, "ok": ok},
    )


def test_theory_from_the_labs_configs() -> None:
    keepalived = {
        n.name: render_node_files(SPEC, n, DEBIAN12)["/etc/keepalived/keepalived.conf"]
        for n in SPEC.by_role("lb")
    }
    haproxy = render_node_files(SPEC, SPEC.node("haproxy1"), DEBIAN12)["/etc/haproxy/haproxy.cfg"]
    theory = theory_from_configs(SPEC, keepalived, haproxy).values()
    assert theory["vrrp_master_down_s"] == pytest.approx(3.6094, abs=1e-4)
    assert theory["vrrp_master_down_min_s"] == pytest.approx(2.6094, abs=1e-4)
    assert theory["vrrp_skew_s"] == pytest.approx(0.6094, abs=1e-4)
    assert theory["haproxy_check_connect_s"] == 2.0  # min(timeout connect 10s, inter 2s)
    assert (theory["haproxy_detect_min_s"], theory["haproxy_detect_max_s"]) == (10.0, 12.0)
    assert theory["track_failover_s"] == pytest.approx(1.6094, abs=1e-4)


def test_theory_follows_the_config_in_use() -> None:
    cfg = (
        "defaults\n    timeout connect 3s\n    timeout check 5s\nbackend app\n"
        "    server app1 10.0.0.21:80 check inter 500ms fall 2 rise 1\n"
    )
    theory = theory_from_configs(SPEC, {}, cfg).values()
    assert theory["haproxy_inter_s"] == 0.5
    assert theory["haproxy_check_connect_s"] == 0.5
    assert theory["haproxy_detect_min_s"] == pytest.approx(2 * 0.5 + 1 * 0.5)


def test_outage_is_the_longest_run_of_requests_not_answered_well() -> None:
    events = [Event(-1.0, "vip", {"node": "haproxy1", "action": "added"})]
    events += [http(t / 10, True) for t in range(-5, 0)]
    events += [http(t / 10, False, node=None, latency=2.0) for t in range(0, 32)]
    events += [
        Event(3.15, "vip", {"node": "haproxy1", "action": "removed"}),
        Event(3.2, "vip", {"node": "haproxy2", "action": "added"}),
        Event(3.21, "vrrp", {"src": "10.0.0.12", "priority": 100, "mac": "x"}),
    ]
    events += [http(t / 10, True, node="web2") for t in range(32, 40)]
    facts = compute(sorted(events, key=lambda e: e.t), 0.0, 4.0, SPEC)
    assert facts.outage_s == pytest.approx(3.2)
    assert facts.outage_start_s == pytest.approx(0.0)
    assert not facts.outage_ongoing
    assert (facts.vip_holder_before, facts.vip_holder_after) == ("haproxy1", "haproxy2")
    assert facts.vip_takeover_s == pytest.approx(3.2)
    assert facts.advert_takeover_s == pytest.approx(3.21)
    assert facts.failed_requests == 32 and facts.degraded_requests == 32
    assert facts.served_before == {"web1": 5}
    assert facts.served_after == {"web2": 8}
    assert not facts.duplicate_vip


def test_an_outage_still_going_at_the_end() -> None:
    events = [http(0.0, True), http(0.1, False, node=None), http(0.2, False, node=None)]
    facts = compute(events, 0.05, 5.0, SPEC)
    assert facts.outage_ongoing and facts.outage_s == pytest.approx(4.9)


def test_two_nodes_answering_arp_is_a_duplicate_vip() -> None:
    events = [
        Event(1.0, "arp", {"node": "haproxy1", "op": "reply", "gratuitous": False}),
        Event(1.1, "arp", {"node": "haproxy2", "op": "reply", "gratuitous": False}),
    ]
    facts = compute(events, 0.0, 2.0, SPEC)
    assert facts.duplicate_vip and facts.duplicate_vip_nodes == ["haproxy1", "haproxy2"]


def test_detection_time_of_a_lost_web_node() -> None:
    events = [
        Event(0.5, "haproxy", {"lb": "haproxy1", "server": "web1", "status": "UP 2/3"}),
        Event(11.0, "haproxy", {"lb": "haproxy1", "server": "web1", "status": "DOWN"}),
        http(11.5, True, node="web2"),
        http(11.6, True, node="web2"),
    ]
    facts = compute(events, 0.0, 12.0, SPEC)
    assert facts.haproxy_detect_s == {"web1": 11.0}
    assert facts.served_after_detect == {"web2": 2}


def test_an_agent_clock_on_another_machine_is_mapped_onto_ours() -> None:
    import time

    from labtool.probes.events import ClockMap

    shared = ClockMap(shared=True)
    assert shared.local(12.5) == 12.5
    remote = ClockMap(shared=False)
    boot = time.monotonic() - 100.0  # a machine whose clock reads 100 s now
    mapped = remote.local(time.monotonic() - boot)
    assert abs(mapped - time.monotonic()) < 0.05
    time.sleep(0.05)
    later = remote.local(time.monotonic() - boot)
    assert later - mapped == pytest.approx(0.05, abs=0.02)  # stamps keep their gaps


def test_a_machine_clock_that_runs_slow_is_followed() -> None:
    """A machine whose clock runs 15 % slow: a single least offset would place its events
    seconds too early by the end; the windows' offsets follow it."""
    import random

    from labtool.probes.events import ClockMap

    rng = random.Random(7)
    clock = ClockMap(shared=False)
    for i in range(2000):  # 200 s of lines, 10 a second, 2-40 ms in transit
        here = 1000.0 + i / 10
        clock.local(0.85 * here - 500.0, arrived=here + rng.uniform(0.002, 0.04))
    for here in (1020.0, 1100.0, 1190.0):
        there = 0.85 * here - 500.0
        offset = clock.offset_at(there)
        assert offset is not None
        assert there + offset == pytest.approx(here, abs=0.05)
    least = clock.offset
    assert least is not None and 0.85 * 1190.0 - 500.0 + least < 1190.0 - 25  # the old map
    drift = clock.drift_ppm()
    assert drift is not None and drift == pytest.approx(0.15 / 0.85 * 1e6, rel=0.01)


def test_served_after_detection_waits_for_every_load_balancer() -> None:
    """haproxy2 (not serving) marks web1 DOWN a check before haproxy1 (serving, the VIP's):
    a request haproxy1 still sends to web1 in between is not 'served after the detection'."""
    events = [
        Event(-1.0, "vip", {"node": "haproxy1", "action": "added"}),
        Event(10.0, "haproxy", {"lb": "haproxy2", "server": "web1", "status": "DOWN"}),
        Event(10.1, "haproxy", {"lb": "haproxy1", "server": "web1", "status": "DOWN"}),
        http(10.05, False, node="web1", latency=2.3),
        http(10.2, True, node="web2"),
    ]
    facts = compute(sorted(events, key=lambda e: e.t), 0.0, 13.0, SPEC)
    assert facts.haproxy_detect_s == {"web1": 10.0}
    assert facts.served_after_detect == {"web2": 1}


def test_a_slow_spell_over_before_the_fault_is_not_its_outage() -> None:
    """Under software emulation the baseline itself may be slow for a while (seen: 11.5 s of
    answers over 0.5 s right after the probes started); the fault's outage is what follows."""
    events = [Event(-20.0, "vip", {"node": "haproxy1", "action": "added"})]
    events += [http(t / 10, False, latency=0.8) for t in range(-150, -30)]  # 12 s, slow
    events += [http(t / 10, True) for t in range(-30, 0)]
    events += [http(t / 10, False, node=None, latency=2.0) for t in range(0, 30)]
    events += [http(t / 10, True, node="web2") for t in range(30, 40)]
    facts = compute(sorted(events, key=lambda e: e.t), 0.0, 4.0, SPEC, start_t=-15.0)
    assert facts.outage_s == pytest.approx(3.0)
    assert facts.outage_start_s == pytest.approx(0.0)


def unfinished(sent: float, latency: float) -> Event:
    return Event(
        sent + latency,
        "http",
        {
            "sent": sent,
            "status": 0,
            "error": "unfinished",
            "node": None,
            "latency_s": latency,
            "ok": False,
        },
    )


def test_on_a_slow_backend_slow_and_unfinished_follow_its_usual_answer() -> None:
    """As measured on five VMs under emulation (E2E run of 2026-12-02): answers take 0.3-0.5 s
    when all is well and up to 1 s just after the takeover; the agent stops with requests of
    the last half second still in flight. With SLOW_S alone, every answer after the fault was
    "slow" and those last requests "failed": a 5.2 s outage for a 3.1 s takeover."""
    from labtool.facts import SLOW_S, slow_threshold

    usual = [0.35, 0.4, 0.3, 0.45, 0.38]
    slow_s = slow_threshold(usual)
    assert slow_s == pytest.approx(3 * 0.38)
    assert slow_threshold([0.002, 0.001, 0.003]) == SLOW_S  # namespaces: unchanged
    events = [Event(-1.0, "vip", {"node": "haproxy1", "action": "added"})]
    events += [http(t / 10, True, latency=0.4) for t in range(-5, 0)]
    events += [http(t / 10, False, node=None, latency=4.0) for t in range(0, 31)]
    events += [Event(3.1, "vip", {"node": "haproxy2", "action": "added"})]
    events += [http(t / 10, True, node="web2", latency=0.9) for t in range(31, 45)]
    events += [unfinished(t / 10, 5.0 - t / 10) for t in range(45, 50)]  # in flight at 5.0
    facts = compute(sorted(events, key=lambda e: e.t), 0.0, 5.0, SPEC, slow_s=slow_s)
    assert facts.outage_s == pytest.approx(3.1)
    assert not facts.outage_ongoing
    assert facts.failed_requests == 31 and facts.slow_requests == 0
    before = compute(sorted(events, key=lambda e: e.t), 0.0, 5.0, SPEC)  # SLOW_S: as it was
    assert before.outage_s == pytest.approx(5.0) and before.outage_ongoing


def test_the_earliest_detection_counts_the_kernel_giving_up_on_the_address() -> None:
    """Checks that start once the node's neighbour entry FAILED (8 s after the first
    unanswered packet, Linux's defaults) fail at once: fall 3 with the lab's timers, the third
    check at 8 s marks web1 DOWN then (measured 8.09 s), not at 10 s; with fall 5, the last
    three fail at once. Quick checks that end before then are not touched."""
    from labtool.facts.theory import Theory

    lab = Theory(1, 100, 100, True, 1, 2.0, 3, 2, 10.0, 10.0)
    assert (lab.haproxy_detect_earliest_s, lab.haproxy_detect_min_s) == (8.0, 10.0)
    assert Theory(1, 100, 100, True, 1, 2.0, 5, 2, 10.0, 10.0).haproxy_detect_earliest_s == 12.0
    quick = Theory(1, 100, 100, True, 1, 0.5, 2, 2, 3.0, 5.0)
    assert quick.haproxy_detect_earliest_s == quick.haproxy_detect_min_s == 1.5


def test_the_preferred_holder_is_the_one_highest_priority_that_preempts() -> None:
    from labtool.facts.theory import preferred_holder

    one = "vrrp_instance VI_1 {\n    state MASTER\n    priority 101\n}\n"
    two = "vrrp_instance VI_1 {\n    state BACKUP\n    priority 100\n}\n"
    assert preferred_holder({"haproxy1": one, "haproxy2": two}) == "haproxy1"
    assert preferred_holder({"lb1": two, "lb2": one}) == "lb2"
    assert preferred_holder({"haproxy1": two, "haproxy2": two}) is None  # the lab's: equal
    held = one.replace("priority 101", "priority 101\n    nopreempt")
    assert preferred_holder({"haproxy1": held, "haproxy2": two}) is None
