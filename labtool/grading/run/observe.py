"""The lab's steps, run on a submission's own cluster once it is up: does the VIP answer, which
web nodes serve, lose the first web node, lose the first load balancer, its return (failback?),
HAProxy stopped alone on the VIP's holder, and two holders at once (split brain) watched all
along. Each wait is bounded; every measure is the client's (the probe agent in the client node)
or the nodes' own (addresses, access logs)."""

from __future__ import annotations

import time
from collections.abc import Callable

from labtool.backends.base import Backend
from labtool.grading.run import probes
from labtool.grading.run.behaviour import Behaviour, LoseLb, LoseWeb, StopHaproxy
from labtool.grading.run.lab import RunLab
from labtool.spec.model import LabSpec

VIP_EXTRA_S = 6.0  # beyond VRRP's own start-up wait
SERVED_REQUESTS = 20
WEB_DETECT_MAX_S = 20.0  # beyond the fault, before "never detected"
STREAK_S = 1.0  # this long without a failure: the cluster has settled
LB_TAKEOVER_EXTRA_S = 6.0  # beyond VRRP's master-down interval
FAILBACK_EXTRA_S = 3.0
TRACK_MAX_S = 10.0
SETTLE_MAX_S = 8.0
POLL_S = 0.1

Step = Callable[[str], None]


def observe(
    spec: LabSpec, backend: Backend, run: RunLab, step: Step, checked: Callable[[], None]
) -> Behaviour:
    """Every behaviour, in the lab's order; `checked()` raises once the lab is past its bounds."""
    b = Behaviour(vip=str(spec.vip), adaptations=list(run.adaptations))
    lbs = [n.name for n in spec.by_role("lb")]
    webs = [n.name for n in spec.by_role("web")]
    wait = max(spec.vrrp.startup_wait_s(n.priority or 100) for n in spec.by_role("lb"))
    step("waiting for the VIP")
    load = probes.Load(spec, backend, rate=10, timeout_s=1.0, duration_s=wait + VIP_EXTRA_S)
    try:
        deadline = time.monotonic() + wait + VIP_EXTRA_S
        while time.monotonic() < deadline and not any(probes.ok(e) for e in load.answers()):
            _look(b, spec, backend, checked)
            time.sleep(POLL_S)
    finally:
        load.stop()
    b.vip_answers = any(probes.ok(e) for e in load.answers())
    holders = _look(b, spec, backend, checked)
    b.vip_holder = run.shown(holders[0]) if len(holders) == 1 else None
    if not b.vip_answers:
        return b
    step("load balancing")
    before = probes.served_counts(spec, backend)
    load = probes.Load(spec, backend, rate=20, timeout_s=2.0, duration_s=SERVED_REQUESTS / 20)
    load.reader.thread.join(timeout=SERVED_REQUESTS / 20 + 5)
    load.stop()
    answers = load.answers()
    b.requests, b.answered = len(answers), sum(1 for e in answers if probes.ok(e))
    b.served_by = [
        run.shown(n) or n for n in probes.served_since(before, probes.served_counts(spec, backend))
    ]
    _look(b, spec, backend, checked)
    step(f"losing {run.shown(lbs[0])}")
    b.lose_haproxy1 = _lose_lb(spec, backend, run, lbs[0], checked)
    if len(lbs) > 1:
        step(f"{run.shown(lbs[0])} comes back")
        b.failback = _comes_back(spec, backend, lbs[0], b, checked)
        holders = _look(b, spec, backend, checked)
        if len(holders) == 1:
            step(f"HAProxy stopped on {run.shown(holders[0])}")
            b.stop_haproxy = _stop_haproxy(spec, backend, run, holders[0], checked)
            _settle(spec, backend, checked)
    if webs:  # last: without its health checks, a lost web node fails requests for good
        step(f"losing {run.shown(webs[0])}")
        b.lose_web1 = _lose_web(spec, backend, run, webs[0], b, checked)
    _look(b, spec, backend, checked)
    return b


def _settle(spec: LabSpec, backend: Backend, checked: Callable[[], None]) -> None:
    """Until the client is answered again for a while (bounded)."""
    load = probes.Load(spec, backend, rate=20, timeout_s=1.0, duration_s=SETTLE_MAX_S + 3)
    try:
        started = time.monotonic()
        while time.monotonic() < started + SETTLE_MAX_S:
            checked()
            if load.settled(started, 1.0) is not None:
                return
            time.sleep(POLL_S * 2)
    finally:
        load.stop()


def _look(b: Behaviour, spec: LabSpec, backend: Backend, checked: Callable[[], None]) -> list[str]:
    """Who holds the VIP now; two at once is a split brain, kept."""
    checked()
    holders = probes.vip_holders(spec, backend)
    if len(holders) > 1 and not b.split_brain:
        b.split_brain = True
        b.split_brain_nodes = holders
    return holders


def _lose_web(
    spec: LabSpec,
    backend: Backend,
    run: RunLab,
    web: str,
    b: Behaviour,
    checked: Callable[[], None],
) -> LoseWeb:
    result = LoseWeb(node=run.shown(web))
    load = probes.Load(spec, backend, rate=20, timeout_s=2.0, duration_s=WEB_DETECT_MAX_S + 10)
    try:
        time.sleep(0.5)
        fault = time.monotonic()
        backend.power_off(web)
        settled: float | None = None
        deadline = fault + WEB_DETECT_MAX_S
        while time.monotonic() < deadline + load.timeout_s and settled is None:
            time.sleep(POLL_S * 2)
            _look(b, spec, backend, checked)
            settled = load.settled(fault, STREAK_S)
        counts = probes.served_counts(spec, backend)
        tail_from = settled if settled is not None else deadline - 3.0
        time.sleep(0.5)
        after = [e for e in load.answers() if e["sent"] >= tail_from]
    finally:
        load.stop()
    result.detected_s = None if settled is None else round(max(0.0, settled - fault), 2)
    result.failed_after = sum(1 for e in after if not probes.ok(e))
    result.served_after = [
        run.shown(n) or n for n in probes.served_since(counts, probes.served_counts(spec, backend))
    ]
    return result


def _lose_lb(
    spec: LabSpec, backend: Backend, run: RunLab, lb: str, checked: Callable[[], None]
) -> LoseLb:
    result = LoseLb(node=run.shown(lb))
    others = [n for n in spec.by_role("lb") if n.name != lb]
    wait = max((spec.vrrp.startup_wait_s(n.priority or 100) for n in others), default=0.0)
    load = probes.Load(spec, backend, rate=20, timeout_s=1.0, duration_s=wait + 20)
    try:
        time.sleep(0.3)
        fault = time.monotonic()
        backend.power_off(lb)
        settled: float | None = None
        deadline = fault + wait + LB_TAKEOVER_EXTRA_S
        while time.monotonic() < deadline and settled is None:
            time.sleep(POLL_S * 2)
            checked()
            settled = load.settled(fault, 1.0)
        answers = [e for e in load.answers() if e["sent"] >= fault]
    finally:
        load.stop()
    failed = [e for e in answers if not probes.ok(e)]
    result.failed = len(failed)
    holders = probes.vip_holders(spec, backend)
    result.vip_holder_after = run.shown(holders[0]) if len(holders) == 1 else None
    if settled is not None:
        first = min((e["sent"] for e in failed if e["sent"] < settled), default=settled)
        result.outage_s = round(settled - first, 2)
    return result


def _comes_back(
    spec: LabSpec, backend: Backend, lb: str, b: Behaviour, checked: Callable[[], None]
) -> bool:
    backend.power_on(lb)
    backend.transport(lb).run("systemctl start haproxy; systemctl start keepalived", timeout_s=30)
    node = spec.node(lb)
    deadline = time.monotonic() + spec.vrrp.startup_wait_s(node.priority or 100) + FAILBACK_EXTRA_S
    holders: list[str] = []
    while time.monotonic() < deadline:
        holders = _look(b, spec, backend, checked)
        if lb in holders:
            time.sleep(0.5)  # (another second holder would be a split brain)
            _look(b, spec, backend, checked)
            return True
        time.sleep(POLL_S * 3)
    return False


def _stop_haproxy(
    spec: LabSpec, backend: Backend, run: RunLab, lb: str, checked: Callable[[], None]
) -> StopHaproxy:
    result = StopHaproxy(node=run.shown(lb))
    transport = backend.transport(lb)
    transport.run("systemctl stop haproxy", timeout_s=20)
    stopped = time.monotonic()
    try:
        while time.monotonic() < stopped + TRACK_MAX_S:
            checked()
            holders = probes.vip_holders(spec, backend)
            if lb not in holders:
                result.vip_moved = bool(holders)
                result.moved_s = round(time.monotonic() - stopped, 2) if holders else None
                result.vip_holder_after = run.shown(holders[0]) if holders else None
                if holders:
                    return result
            time.sleep(POLL_S * 2)
        result.vip_moved = bool(result.vip_moved)
        if not result.vip_moved:
            holders = probes.vip_holders(spec, backend)
            result.vip_holder_after = run.shown(holders[0]) if len(holders) == 1 else None
        return result
    finally:
        transport.run("systemctl start haproxy", timeout_s=20)
