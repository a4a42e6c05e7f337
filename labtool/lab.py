"""Lab logic over any backend: bring a lab up (files, daemons in the lab's order, the VRRP
wait), report its status, remove it. Reaches nodes only through a backend's transports, and
reports progress through a `Progress` the caller supplies; it never prints.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Protocol

from labtool import doctor
from labtool.backends import backend_class
from labtool.backends.base import Backend, NodeStatus
from labtool.backends.netns import procs
from labtool.errors import LabtoolError
from labtool.parallel import for_each_node
from labtool.provisioning import (
    LB_SYSCTLS,
    Adaptation,
    adaptations,
    detect_local_versions,
    render_hosts,
    render_node_files,
)
from labtool.spec import DEFAULT_LAB_NAME, LabSpec, Node, parse_lab, spec_to_dict
from labtool.state import LabState, known_labs, lab_dir, machine_lock

VRRP_LOG_INIT = "Entering BACKUP STATE"
VIP_EXTRA_WAIT_S = 10.0  # beyond the protocol's own wait, before `up` gives up on the VIP
POLL_S = 0.05


class Progress(Protocol):
    def step(self, text: str) -> None: ...
    def adaptation(self, change: Adaptation) -> None: ...
    def waiting(self, text: str, elapsed_s: float, expected_s: float) -> None: ...


@dataclass
class UpReport:
    name: str
    already_up: bool = False
    nodes_s: float = 0.0  # until every node is up with its daemons running
    vip_s: float | None = None  # until the VIP answered HTTP from the client node
    vip_holder: str | None = None
    first_answer: str = ""
    adaptations: list[Adaptation] = field(default_factory=list)


@dataclass
class LabStatus:
    name: str
    backend: str
    phase: str
    vip: str
    nodes: list[NodeStatus]
    memory_kib: int

    @property
    def vip_holders(self) -> list[str]:
        return [n.name for n in self.nodes if self.vip in n.addresses]

    def as_dict(self) -> dict[str, object]:
        holders = self.vip_holders
        return {
            "lab": self.name,
            "backend": self.backend,
            "phase": self.phase,
            "vip": self.vip,
            "vip_holder": holders[0] if len(holders) == 1 else None,
            "vip_holders": holders,
            "memory_kib": self.memory_kib,
            "nodes": [
                {
                    "name": n.name,
                    "role": n.role,
                    "address": n.address,
                    "up": n.up,
                    "daemons": n.daemons,
                    "addresses": n.addresses,
                    "vip": self.vip in n.addresses,
                }
                for n in self.nodes
            ],
        }


def resolve_name(name: str | None) -> str:
    """--name, else $LABTOOL_NAME, else the only lab on this machine, else the default."""
    if name:
        return name
    if os.environ.get("LABTOOL_NAME"):
        return os.environ["LABTOOL_NAME"]
    labs = sorted(set(known_labs()) | procs.labs_running())
    if len(labs) > 1:
        raise LabtoolError(
            f"several labs are on this machine ({', '.join(labs)}). Fix: say which with --name NAME"
        )
    return labs[0] if labs else DEFAULT_LAB_NAME


def open_lab(name: str) -> tuple[LabSpec, LabState, Backend]:
    state = LabState.load(name)
    if state is None:
        if procs.lab_marked(name):
            raise LabtoolError(
                f"lab '{name}' was interrupted while it was being built. "
                f"Fix: labtool down --name {name}"
            )
        raise LabtoolError(f"lab '{name}' is not up. Fix: labtool up --name {name}")
    spec = parse_lab(state.lab, f"{lab_dir(name)}/state.json")
    return spec, state, backend_class(state.backend)(spec, state)


def _lab_is_whole(state: LabState, backend: Backend) -> bool:
    return state.phase == "up" and all(
        backend.node_status(n.name, addresses=False).up for n in backend.spec.nodes
    )


def up(
    spec: LabSpec,
    progress: Progress,
    *,
    backend_name: str = "netns",
    bare: bool = False,
    wait_vip: bool = True,
    options: dict[str, str] | None = None,
) -> UpReport:
    """Build the lab on a backend (netns, or vagrant with options provider and box)."""
    if backend_name == "netns":
        doctor.require()
    else:
        doctor.require_root()
    started = time.monotonic()
    report = UpReport(spec.name)
    with machine_lock():
        existing = LabState.load(spec.name)
        if existing is not None:
            _, _, backend = open_lab(spec.name)
            if _lab_is_whole(existing, backend):
                report.already_up = True
                return report
            raise LabtoolError(
                f"lab '{spec.name}' exists but is not whole (an earlier up was "
                f"interrupted, or a node is down). Fix: labtool down --name "
                f"{spec.name}, then labtool up"
            )
        if procs.lab_marked(spec.name):
            raise LabtoolError(
                f"lab '{spec.name}' has processes left from an interrupted up. "
                f"Fix: labtool down --name {spec.name}"
            )
        state = LabState(
            name=spec.name,
            backend=backend_name,
            lab=spec_to_dict(spec),
            bare=bare,
            created_at=time.time(),
            options=dict(options or {}),
        )
        state.save()
        try:
            backend = backend_class(backend_name)(spec, state)
            _build(spec, state, backend, progress, bare, report)
        except BaseException:
            backend_class(backend_name).destroy(spec.name)
            raise
    report.nodes_s = time.monotonic() - started
    if not bare and wait_vip:
        _wait_for_vip(spec, backend, progress, started, report)
    return report


def _build(
    spec: LabSpec,
    state: LabState,
    backend: Backend,
    progress: Progress,
    bare: bool,
    report: UpReport,
) -> None:
    if backend.name != "netns":
        _build_machines(spec, state, backend, progress, bare, report)
        return
    versions = detect_local_versions()
    if bare:
        files = {n.name: {"/etc/hosts": render_hosts(spec, n)} for n in spec.nodes}
    else:
        report.adaptations = adaptations(spec, versions)
        for change in report.adaptations:
            progress.adaptation(change)
        files = {n.name: render_node_files(spec, n, versions) for n in spec.nodes}
    sysctls = {n.name: LB_SYSCTLS for n in spec.by_role("lb")}
    progress.step(f"creating {len(spec.nodes)} nodes: {', '.join(n.name for n in spec.nodes)}")
    backend.create(files, sysctls, copy_defaults=True)
    if not bare:
        start_daemons(spec, backend, progress)
    state.phase = "up"
    state.save()


def _build_machines(
    spec: LabSpec,
    state: LabState,
    backend: Backend,
    progress: Progress,
    bare: bool,
    report: UpReport,
) -> None:
    """Machines that provision themselves over SSH (Vagrant): up, then converge."""
    from labtool.converge import converge

    setattr(backend, "on_line", progress.step)  # noqa: B010 - streamed `vagrant up` lines
    progress.step(f"vagrant up: {', '.join(n.name for n in spec.nodes)}")
    backend.create({}, {}, copy_defaults=False)
    if not bare:
        transports = {n.name: backend.transport(n.name) for n in spec.nodes}
        changes = converge(spec, transports, progress.adaptation)
        for node in changes:
            progress.step(
                f"{node.node} ({node.family}): "
                + (
                    "; ".join(node.recipe + [f"wrote {f}" for f in node.files] + node.services)
                    or "no change"
                )
            )
    state.phase = "up"
    state.save()


def systemctl(backend: Backend, node: Node, verb: str, service: str) -> None:
    result = backend.transport(node.name).run(["systemctl", verb, service], timeout_s=30)
    if not result.succeeded:
        raise LabtoolError(
            f"{node.name}: systemctl {verb} {service} failed: {result.describe_failure()}"
        )


def start_daemons(spec: LabSpec, backend: Backend, progress: Progress) -> None:
    """Apache and HAProxy everywhere at once; keepalived on the intended MASTER as soon as its
    HAProxy runs (its track_script checks HAProxy), and on the others only once the MASTER's
    VRRP instance is counting down, as the lab's steps do: with the lab's equal priorities, two
    keepalived started together both become MASTER and the higher address (haproxy2) wins."""
    first, *others = spec.lb_start_order()
    progress.step(
        "starting apache2 on the web nodes, haproxy on the load balancers, "
        f"keepalived on {first.name} first"
        + (f", then on {', '.join(n.name for n in others)}" if others else "")
    )

    def start(node: Node) -> None:
        if node.role == "web":
            systemctl(backend, node, "start", "httpd")
        elif node.role == "lb":
            systemctl(backend, node, "start", "haproxy")
            if node == first:
                systemctl(backend, node, "start", "keepalived")
                _wait_vrrp_counting(backend, node)

    for_each_node(spec.nodes, start)
    for_each_node(others, lambda n: systemctl(backend, n, "start", "keepalived"))


def _wait_vrrp_counting(backend: Backend, node: Node, timeout_s: float = 5.0) -> None:
    transport = backend.transport(node.name)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if transport.run(["grep", "-q", VRRP_LOG_INIT, "/var/log/keepalived.log"]).succeeded:
            return
        time.sleep(POLL_S / 2)
    log = transport.run(["tail", "-n", "5", "/var/log/keepalived.log"]).stdout.strip()
    raise LabtoolError(
        f"{node.name}: keepalived did not start its VRRP instance within "
        f"{timeout_s:.0f} s. Its log says:\n{log}"
    )


def _wait_for_vip(
    spec: LabSpec, backend: Backend, progress: Progress, started: float, report: UpReport
) -> None:
    expected = max(spec.vrrp.startup_wait_s(n.priority or 100) for n in spec.by_role("lb"))
    why = (
        f"waiting for VRRP: a starting keepalived holds the VIP back 3 x advert_int + skew "
        f"= {expected:.2f} s"
    )
    client = backend.transport(spec.client.name)
    deadline = time.monotonic() + expected + VIP_EXTRA_WAIT_S
    url = f"http://{spec.vip}/"
    vrrp_started = time.monotonic()
    while time.monotonic() < deadline:
        progress.waiting(why, time.monotonic() - started, expected)
        if time.monotonic() - vrrp_started < expected - 0.3:
            time.sleep(0.1)  # nothing can answer before VRRP's own wait is nearly over
            continue
        answer = client.run(["curl", "-s", "-m", "1", url], timeout_s=5)
        if answer.succeeded and answer.stdout.strip():
            report.vip_s = time.monotonic() - started
            report.first_answer = answer.stdout.strip()
            holders = [
                n.name
                for n in spec.by_role("lb")
                if str(spec.vip) in backend.node_status(n.name).addresses
            ]
            report.vip_holder = holders[0] if len(holders) == 1 else None
            return
        time.sleep(POLL_S / 2)
    raise LabtoolError(
        f"the VIP {spec.vip} did not answer HTTP from the client node within "
        f"{expected + VIP_EXTRA_WAIT_S:.1f} s. The lab stays up: look with "
        f"'labtool status' and 'labtool exec haproxy1 -- cat "
        f"/var/log/keepalived.log'"
    )


def status(name: str) -> LabStatus:
    spec, state, backend = open_lab(name)
    nodes: dict[str, NodeStatus] = {}

    def look(node: Node) -> None:
        nodes[node.name] = backend.node_status(node.name)

    for_each_node(spec.nodes, look)
    return LabStatus(
        name,
        state.backend,
        state.phase,
        str(spec.vip),
        [nodes[n.name] for n in spec.nodes],
        backend.memory_kib(),
    )


def down(name: str) -> int | None:
    """Remove the lab; None if there was nothing to remove."""
    doctor.require_root()
    with machine_lock():
        if not lab_dir(name).exists() and not procs.lab_marked(name):
            return None
        try:
            state = LabState.load(name)
        except LabtoolError:
            state = None  # unreadable state: what is on this machine is still removed
        return backend_class(state.backend if state else "netns").destroy(name)
