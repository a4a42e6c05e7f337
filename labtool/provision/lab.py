"""Lab logic over any backend: bring a lab up (through the one provisioning path), wait for
the VIP, report its status, remove it. Reaches nodes only through a backend's transports, and
reports progress through a `Progress` the caller supplies; it never prints.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from labtool.backends import DEFAULT_BACKEND, backend_class
from labtool.backends.base import Backend, NodeStatus
from labtool.errors import EnvironmentProblem, LabtoolError
from labtool.i18n import Msg
from labtool.parallel import for_each_node
from labtool.provision.answers import wait_for_servers, wait_for_vip
from labtool.provision.converge import Progress, build, converge
from labtool.provision.files import Adaptation
from labtool.provision.lab_status import LabStatus, await_commands_left, lab_missing
from labtool.provision.node import NodeChanges
from labtool.provision.which import leftovers as _leftovers
from labtool.provision.which import resolve_name, someone_elses
from labtool.spec.check import spec_to_dict
from labtool.spec.load import parse_lab
from labtool.spec.model import LabSpec, Node
from labtool.state import LabState, lab_dir, machine_lock

__all__ = [
    "LabStatus",
    "Progress",
    "UpReport",
    "down",
    "open_lab",
    "provision",
    "resolve_name",
    "status",
    "up",
]

# mends a lab that is up but not whole, and says what it mended
Repair = Callable[[LabSpec, LabState, Backend], list[str]]


@dataclass
class UpReport:
    name: str
    already_up: bool = False
    nodes_s: float = 0.0  # until every node is up with its daemons running
    vip_s: float | None = None  # until the VIP answered HTTP from the client node
    vip_holder: str | None = None
    vrrp_wait_s: float = 0.0  # from the first MASTER's keepalived start to the VIP's answer
    first_answer: str = ""
    adaptations: list[Adaptation] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)  # what a repair found missing, and mended


def open_lab(name: str) -> tuple[LabSpec, LabState, Backend]:
    state = LabState.load(name)
    if state is None:
        if _leftovers(name):
            raise LabtoolError(
                Msg(
                    "lab '{name}' was interrupted while it was being built. Fix: labtool "
                    "down --name {name}",
                    name=name,
                )
            )
        if other := someone_elses(name):
            raise EnvironmentProblem(other)
        raise LabtoolError(Msg("lab '{name}' is not up. Fix: labtool up --name {name}", name=name))
    spec = parse_lab(state.lab, f"{lab_dir(name)}/state.json")
    cls = backend_class(state.backend)
    if cls.needs_root:
        from labtool import doctor

        doctor.require_root()
    return spec, state, cls(spec, state)


CUT_NOTE = "VRRP was cut between the load balancers (a split-brain scenario stopped half-way)"


def _uncut(backend: Backend) -> bool:
    """VRRP between the load balancers let through again; whether it had been cut."""
    try:
        return backend.cut_vrrp([n.name for n in backend.spec.by_role("lb")], False)
    except LabtoolError:
        return False


def up(
    spec: LabSpec,
    progress: Progress,
    *,
    backend_name: str = DEFAULT_BACKEND,
    bare: bool = False,
    wait_vip: bool = True,
    options: dict[str, str] | None = None,
    repair: Repair | None = None,
    checked: bool = False,
) -> UpReport:
    """Build the lab on a backend (netns, or vagrant with options provider and box). A lab
    that is up but not whole (a node off, a daemon dead) is mended by `repair`, which writes
    no file: what the student changed stays."""
    cls = backend_class(backend_name)
    if not checked:  # (the caller may have, before saying anything)
        check_machine(spec.name, backend_name, options)
    started = time.monotonic()
    report = UpReport(spec.name)
    with machine_lock():
        if LabState.load(spec.name) is not None:
            return _reopened(spec, report, repair)
        if _leftovers(spec.name):
            raise LabtoolError(
                Msg(
                    "lab '{name}' has processes left from an interrupted up. Fix: labtool "
                    "down --name {name}",
                    name=spec.name,
                )
            )
        for change in cls.make_room(spec):  # (the machine's, said: nothing hidden)
            progress.step(change)
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
            backend = cls(spec, state)
            built = build(spec, backend, progress, bare=bare)
            state.phase = "up"
            state.save()
        except BaseException as exc:
            _remove_half_made(cls, spec.name, exc)
            raise
    report.adaptations = built.adaptations
    report.nodes_s = time.monotonic() - started
    if not bare and wait_vip:
        wait_for_vip(spec, backend, progress, built.vrrp_started or started, started, report)
        wait_for_servers(spec, backend, progress, started)
    return report


def _reopened(spec: LabSpec, report: UpReport, repair: Repair | None) -> UpReport:
    """`up` on a lab that exists: nothing to do when it is whole, mended by `repair` when it
    is up but not whole, refused when it never came up."""
    _, existing, backend = open_lab(spec.name)  # (the state the backend keeps)
    waited = await_commands_left(backend)
    uncut = existing.phase == "up" and _uncut(backend)
    whole = existing.phase == "up" and not lab_missing(backend, bare=existing.bare)
    if whole and not uncut:
        report.already_up = True
        return report
    if existing.phase == "up" and repair is not None:
        report.already_up = True
        report.repaired = [CUT_NOTE] if uncut else []
        if waited:
            left = "; ".join(waited)
            report.repaired.append(f"awaited first what a killed labtool left ({left})")
        report.repaired += repair(backend.spec, existing, backend)
        return report
    raise LabtoolError(
        Msg(
            "lab '{name}' exists but is not whole (an earlier up was interrupted, "
            "or a node is down). Fix: labtool down --name {name}, then labtool up",
            name=spec.name,
        )
    )


def check_machine(name: str, backend_name: str, options: dict[str, str] | None) -> None:
    """Whether this machine can drive the backend with these options, or with the ones the lab
    `name` was made with, if it exists (its provider, not the command line's default)."""
    with contextlib.suppress(LabtoolError):
        existing = LabState.load(name)
        if existing is not None:
            backend_name, options = existing.backend, existing.options
    backend_class(backend_name).check_machine(options)


def _remove_half_made(cls: type[Backend], name: str, cause: BaseException) -> None:
    """Remove what a failed `up` made; where that fails too, the first cause is what the user
    sees, with how to remove the rest."""
    try:
        cls.destroy(name)
    except LabtoolError as exc:
        if isinstance(cause, LabtoolError):
            cause.message += (
                f". The half-made lab could not be removed ({exc.message}); labtool down "
                f"--name {name} tries again"
            )


def provision(name: str | None, via: str, progress: Progress) -> list[NodeChanges]:
    """Bring every node of a running lab to the lab's state (recipe, files, daemons) through
    its transport, or over real SSH; a second run changes nothing."""
    spec, _, backend = open_lab(resolve_name(name))
    transports = {
        n.name: backend.ssh_transport(n.name) if via == "ssh" else backend.transport(n.name)
        for n in spec.nodes
    }
    try:
        return converge(spec, transports, progress.adaptation)
    finally:
        for transport in transports.values():
            transport.close()


def status(name: str) -> LabStatus:
    spec, state, backend = open_lab(name)
    nodes: dict[str, NodeStatus] = {}

    def look(node: Node) -> None:
        nodes[node.name] = backend.node_status(node.name)

    for_each_node(spec.nodes, look)
    found = LabStatus(
        name,
        state.backend,
        state.phase,
        str(spec.vip),
        [nodes[n.name] for n in spec.nodes],
        backend.memory_kib(),
        list(state.halted),
    )
    if len(found.vip_holders) > 1:
        found.split_brain_cause = type(backend).split_brain_cause()
    return found


def down(name: str) -> int | None:
    """Remove the lab; None if there was nothing to remove."""
    if not lab_dir(name).exists() and not _leftovers(name):
        if other := someone_elses(name):
            raise EnvironmentProblem(other)
        return None
    try:
        state = LabState.load(name)
    except LabtoolError:
        state = None  # unreadable state: what is on this machine is still removed
    cls = backend_class(state.backend if state else DEFAULT_BACKEND)
    if cls.needs_root:
        from labtool import doctor

        doctor.require_root()
    with machine_lock():
        return cls.destroy(name)
