"""Provisioning through any transport (layer 4): roles to their desired state, idempotent.

The one provisioning path of every backend. Per node: the OS family's recipe from provision/
(packages, SELinux and firewalld where they apply) where the backend's machines install their
own packages; then, in one script through the node's transport, the role's files rendered from
the lab's own configs (written only where they differ), the lab's sysctls, and its daemons,
started or restarted only if needed, in the lab's order: keepalived on the intended MASTER
first, on the others once the MASTER's VRRP instance counts down. A second run changes nothing
and says so.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from labtool.i18n import Msg
from labtool.parallel import for_each_node
from labtool.provision.files import (
    Adaptation,
    Versions,
    adaptations,
    render_hosts,
    render_node_files,
)
from labtool.provision.node import (
    NodeChanges,
    apply,
    local_versions,
    run_recipe,
    versions_on,
    wait_vrrp_started,
)
from labtool.spec import roles
from labtool.spec.model import LabSpec, Node
from labtool.transport.base import Transport

if TYPE_CHECKING:
    from labtool.backends.base import Backend


class Progress(Protocol):
    def step(self, text: str) -> None: ...
    def adaptation(self, change: Adaptation) -> None: ...
    def waiting(self, text: str, elapsed_s: float, expected_s: float) -> None: ...


Render = Callable[[LabSpec, Node, Versions], dict[str, str]]


@dataclass
class Built:
    """What a build did: per node, its changes; when the first MASTER's keepalived started."""

    changes: list[NodeChanges]
    adaptations: list[Adaptation]
    vrrp_started: float | None  # time.monotonic() of that start; None if none started


class Provisioner:
    """Brings nodes to their role's state, in the lab's order, through their transports."""

    def __init__(
        self,
        spec: LabSpec,
        transport_for: Callable[[str], Transport],
        *,
        installs_packages: bool,
        on_adaptation: Callable[[Adaptation], None] | None = None,
        fresh: bool = False,
        render: Render | None = None,
    ) -> None:
        self.spec = spec
        self.render = render or render_node_files  # the lab's files; a submission's, graded
        self.fresh = fresh  # nodes just made, nothing running: nothing to compare or ask
        self.transport_for = transport_for
        self.installs_packages = installs_packages
        self.on_adaptation = on_adaptation
        self.first, *self.others = spec.lb_start_order()
        self.versions: Versions | None = None
        self.adaptations: list[Adaptation] = []
        self.changes = {n.name: NodeChanges(n.name) for n in spec.nodes}
        self.vrrp_started: float | None = None
        self._early: threading.Thread | None = None
        self._rendered: dict[str, dict[str, str]] = {}  # node -> its files, rendered early
        self._told = False  # the adaptations said

    def read_versions_here(self) -> None:
        """Nodes that run this machine's daemons: read their versions here, and load the
        templates, while the first node is being made."""

        def early() -> None:
            self.versions = local_versions()
            self._rendered[self.first.name] = self.render(self.spec, self.first, self.versions)

        self._early = threading.Thread(target=early, daemon=True)
        self._early.start()

    def _learn_versions(self) -> Versions:
        if self._early is not None:
            self._early.join()  # (if it failed, versions are read on the node)
            self._early = None
        if self.versions is None:
            self.versions = versions_on(self.transport_for(self.first.name))
        if not self._told:
            self._told = True
            self.adaptations = adaptations(self.spec, self.versions)
            for change in self.adaptations:
                if self.on_adaptation:
                    self.on_adaptation(change)
        return self.versions

    def prepare(self, nodes: Sequence[Node]) -> None:
        """Recipe, files, sysctls and daemons of these nodes (the web nodes, then the load
        balancers, each group at once); keepalived only on the first MASTER, whose start is
        timed."""
        versions = self._learn_versions()

        def prepare(node: Node) -> None:
            transport = self.transport_for(node.name)
            changes = self.changes[node.name]
            if self.installs_packages:
                run_recipe(node, transport, changes)
            wanted = [
                s
                for s in roles.services(node.role)
                if s is not roles.KEEPALIVED or node == self.first
            ]
            files = self._rendered.pop(node.name, None) or self.render(self.spec, node, versions)
            apply(node, transport, changes, files, wanted, fresh=self.fresh)
            if node == self.first and any("keepalived" in s for s in changes.services):
                self.vrrp_started = time.monotonic()

        # The web nodes first: a HAProxy whose servers stay unreachable for fall x inter (6 s
        # with the lab's settings, e.g. behind a slow recipe over SSH) marks them DOWN, and
        # would serve from one web node only for its first seconds.
        for_each_node([n for n in nodes if n.role != "lb"], prepare)
        for_each_node([n for n in nodes if n.role == "lb"], prepare)

    def bare(self, nodes: Sequence[Node]) -> None:
        """A bare node gets only /etc/hosts from labtool."""
        for_each_node(
            nodes,
            lambda n: apply(
                n,
                self.transport_for(n.name),
                self.changes[n.name],
                {"/etc/hosts": render_hosts(self.spec, n)},
                (),
                sysctls={},  # the student sets them, as the lab's steps say
            ),
        )

    def finish(self) -> None:
        """keepalived on the other load balancers, once the MASTER's counts down."""
        if self.vrrp_started is not None:
            wait_vrrp_started(self.first, self.transport_for(self.first.name))

        def start(node: Node) -> None:
            changes = self.changes[node.name]
            changed = roles.KEEPALIVED.config in changes.files
            apply(
                node,
                self.transport_for(node.name),
                changes,
                {},
                (roles.KEEPALIVED,),
                (roles.KEEPALIVED,) if changed else (),
                sysctls={},  # (set with its files, in prepare)
            )

        for_each_node(self.others, start)

    def result(self) -> Built:
        return Built(
            [self.changes[n.name] for n in self.spec.nodes], self.adaptations, self.vrrp_started
        )


def converge(
    spec: LabSpec,
    transports: Mapping[str, Transport],
    on_adaptation: Callable[[Adaptation], None] | None = None,
    *,
    installs_packages: bool = True,
) -> list[NodeChanges]:
    """Provision every node of a lab that exists; returns what changed where (nothing, on a
    second run)."""
    provisioner = Provisioner(
        spec,
        transports.__getitem__,
        installs_packages=installs_packages,
        on_adaptation=on_adaptation,
    )
    provisioner.prepare(spec.nodes)
    provisioner.finish()
    return provisioner.result().changes


def build(
    spec: LabSpec,
    backend: Backend,
    progress: Progress,
    *,
    bare: bool,
    render: Render | None = None,
) -> Built:
    """Create the lab's nodes on the backend and provision them, in the batches the backend
    builds in: where nodes are made in a blink (namespaces), the first MASTER alone first, its
    keepalived started at once, so the rest is built during VRRP's own start-up wait."""
    provisioner = Provisioner(
        spec,
        backend.transport,
        installs_packages=backend.installs_packages,
        on_adaptation=progress.adaptation,
        fresh=not backend.installs_packages,
        render=render,
    )
    if not backend.installs_packages and not bare:
        provisioner.read_versions_here()
    backend.on_line = progress.step
    for batch in backend.build_batches(provisioner.first):
        progress.step(f"{backend.create_label} {', '.join(n.name for n in batch)}")
        backend.create(batch)
        if bare:
            provisioner.bare(batch)
            continue
        provisioner.prepare(batch)
        if provisioner.vrrp_started is not None and provisioner.first in batch:
            progress.step(
                Msg(
                    "keepalived started on {node}, the intended MASTER",
                    node=provisioner.first.name,
                )
            )
    if not bare:
        provisioner.finish()
        if provisioner.others:
            others = ", ".join(n.name for n in provisioner.others)
            progress.step(Msg("keepalived started on {nodes}", nodes=others))
        if backend.installs_packages:
            for node in provisioner.result().changes:
                progress.step(node.describe())
    return provisioner.result()
