"""A node's power, as Vagrant's verbs: `halt` (graceful: its daemons stop as at a shutdown,
keepalived sending its priority-0 advert so that the other load balancer takes the VIP at
once; forced: the power is lost) and `up NODE` (power back, and the daemons that are enabled
start, as at a boot: `systemctl enable` means something). Through the backend's power and the
node's own systemctl; no file of the node is written."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from labtool.backends.base import Backend
from labtool.errors import LabtoolError, UsageError
from labtool.i18n import Msg
from labtool.spec import roles
from labtool.spec.model import LabSpec
from labtool.state import LabState

STOP_TIMEOUT_S = 30.0


@dataclass
class PowerReport:
    node: str
    was_up: bool
    seconds: float = 0.0
    stopped: list[str] = field(default_factory=list)  # daemons stopped before the power went
    started: list[str] = field(default_factory=list)  # enabled daemons started at its boot
    failed: list[str] = field(default_factory=list)  # enabled daemons that would not start


def halt(spec: LabSpec, state: LabState, backend: Backend, node: str, force: bool) -> PowerReport:
    target = spec.node(node)
    if target.role == "client":
        raise UsageError(
            Msg("{node} is the lab's probe node: it has no power of its own to lose", node=node)
        )
    started = time.monotonic()
    report = PowerReport(node, backend.is_up(node))
    if report.was_up and not force:
        # In the reverse of their start order: keepalived before the HAProxy it tracks.
        for service in reversed(roles.services(target.role)):
            script = (
                f"{service.unit_script()}; if systemctl is-active --quiet $unit; then "
                'systemctl stop $unit && echo "$unit"; fi'
            )
            done = backend.transport(node).run(script, timeout_s=STOP_TIMEOUT_S)
            report.stopped += done.stdout.split()
    if report.was_up:
        backend.power_off(node)
    if node not in state.halted:
        state.halted.append(node)
        state.save()
    report.seconds = time.monotonic() - started
    return report


def boot_script(role: str) -> str:
    """Run on a node that just got its power back: each enabled daemon of its role started,
    in order (a load balancer's HAProxy before the keepalived that tracks it)."""
    lines = []
    for service in roles.services(role):
        lines += [
            service.unit_script(),
            "if systemctl is-enabled --quiet $unit && ! systemctl is-active --quiet $unit; then",
            '  if systemctl start $unit >/dev/null 2>&1; then echo "started $unit"; '
            'else echo "failed $unit"; fi',
            "fi",
        ]
    return "\n".join(lines) + "\n"


def power_up(spec: LabSpec, state: LabState, backend: Backend, node: str) -> PowerReport:
    target = spec.node(node)
    started = time.monotonic()
    report = PowerReport(node, backend.is_up(node))
    if not report.was_up:
        backend.power_on(node)
    done = backend.transport(node).run(boot_script(target.role), timeout_s=120)
    if not done.succeeded:
        raise LabtoolError(
            Msg("{node}: its boot failed: {why}", node=node, why=done.describe_failure())
        )
    for line in done.stdout.splitlines():
        verb, _, unit = line.partition(" ")
        (report.started if verb == "started" else report.failed).append(unit)
    if node in state.halted:
        state.halted.remove(node)
        state.save()
    report.seconds = time.monotonic() - started
    return report
