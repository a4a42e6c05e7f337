"""Lab actions and checks the scenario engine needs, over any backend; and waiting, with a
deadline, for a condition to hold (never a blind sleep)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

from labtool.backends.base import Backend
from labtool.errors import LabtoolError
from labtool.facts.theory import Theory, preferred_holder, theory_from_configs
from labtool.i18n import Msg
from labtool.parallel import for_each_node
from labtool.probes.recorder import pages_served, server_names
from labtool.provision.lab_status import await_commands_left, lab_missing
from labtool.provision.node import systemctl
from labtool.provision.power import power_up
from labtool.spec import roles
from labtool.spec.model import LabSpec, Node
from labtool.state import LabState

TICK_S = 0.05
KEEPALIVED_CONF = "/etc/keepalived/keepalived.conf"
HAPROXY_CFG = "/etc/haproxy/haproxy.cfg"
WEB_PAGE = "/var/www/html/index.html"
MIN_CHECKS = 3
MAX_REST_S = 2.0
MAX_STRETCH_S = 120.0


REPAIR_WITHIN_S = 60.0  # `labtool up` on a lab that is not whole
MEND_AGAIN_S = 3.0  # a mend that did not take is tried again after this


class Cluster:
    """Lab actions and checks the engine needs, over any backend."""

    def __init__(self, spec: LabSpec, backend: Backend, *, one_holder: bool = True) -> None:
        """`one_holder` False: the cluster is whole without a single VIP holder (a
        submission's own cluster, whose VRRP is what is being graded)."""
        self.spec = spec
        self.backend = backend
        self.one_holder = one_holder
        self.preferred: str | None = None  # the load balancer VRRP gives the VIP back to
        self.servers = server_names(spec)  # HAProxy's (backend, server) -> web node
        self.pages: dict[str, str] = {}  # a page's digest -> its web node
        self.notes: list[str] = []  # what a wait found on its way, for the result

    def systemctl(self, node: str, verb: str, service: str) -> None:
        self.spec.node(node)
        systemctl(self.backend.transport(node), node, verb, service)

    def boot(self, node: str) -> None:
        """Power back on and start the node's daemons, as its boot would."""
        target = self.spec.node(node)
        self.backend.power_on(node)
        for service in roles.services(target.role):
            self.systemctl(node, "start", service.unit)

    def node_ready(self, node: str) -> bool:
        status = self.backend.node_status(node, addresses=False)
        return status.up and all(status.daemons.values())

    def vip_nodes(self) -> list[str]:
        return [
            n.name
            for n in self.spec.by_role("lb")
            if str(self.spec.vip) in self.backend.node_status(n.name).addresses
        ]

    def not_ready(self) -> list[str]:
        """What keeps the cluster from being whole: nodes down, daemons stopped, no single
        VIP holder (every node looked at once)."""
        return lab_missing(self.backend, one_holder=self.one_holder)

    def all_ready(self) -> bool:
        return not self.not_ready()

    def make_whole(self, deadline_s: float, on_tick: Callable[[], None] | None = None) -> None:
        """Every node up with its daemons, VRRP uncut, one VIP holder (after a Ctrl-C too).
        What was not whole at first look is kept in `notes`."""
        waited = await_commands_left(self.backend)  # (a labtool killed mid-way: its last)
        if waited:
            self.notes.append(f"awaited what an interrupted labtool left running: {waited}")
        with contextlib.suppress(LabtoolError):
            self.backend.cut_vrrp([n.name for n in self.spec.by_role("lb")], False)
        seen = [self.not_ready()]
        if not seen[0]:
            return  # (the usual case: one look at every node, nothing to mend)

        failed: list[str] = []

        def mend(node: Node) -> None:
            try:
                status = self.backend.node_status(node.name, addresses=False)
                if not status.up:
                    self.boot(node.name)
                    return
                for daemon, running in status.daemons.items():
                    if not running:
                        self.systemctl(node.name, "start", roles.service_named(daemon).unit)
            except LabtoolError as exc:  # (tried again below: e.g. a restore killed with
                failed.append(str(exc))  # labtool still finishing its own start meanwhile)

        for_each_node(self.spec.nodes, mend)
        mended_at = time.monotonic()

        def whole() -> bool:
            nonlocal mended_at
            seen.append(self.not_ready())
            if seen[-1] and time.monotonic() - mended_at > MEND_AGAIN_S:
                for_each_node(self.spec.nodes, mend)  # what is still missing, once more
                mended_at = time.monotonic()
            return not seen[-1]

        try:
            wait_for(
                whole,
                deadline_s,
                "the whole cluster back (every node up with its daemons, one VIP holder)",
                on_tick,
                detail=lambda: "; ".join(seen[-1] + failed[-1:]),
            )
        finally:
            if len(seen) > 1:
                self.notes.append(
                    f"the whole cluster took {len(seen)} looks; at first: {'; '.join(seen[0])}"
                )

    def read(self, node: str, path: str) -> str:
        result = self.backend.transport(node).run(["cat", path])
        return result.stdout if result.succeeded else ""

    def theory(self) -> Theory:
        """What the configs in use predict; their HAProxy servers (`servers`) and the web
        nodes' pages (`pages`) are kept. Every node's files are read at once."""
        files = {"lb": (KEEPALIVED_CONF, HAPROXY_CFG), "web": (WEB_PAGE,)}
        read: dict[tuple[str, str], str] = {}

        def read_node(node: Node) -> None:
            for path in files[node.role]:
                read[(node.name, path)] = self.read(node.name, path)

        lbs, webs = self.spec.by_role("lb"), self.spec.by_role("web")
        for_each_node([*lbs, *webs], read_node)
        haproxy = [read[(n.name, HAPROXY_CFG)] for n in lbs]
        self.servers = server_names(self.spec, *haproxy)
        self.pages = pages_served({n.name: read[(n.name, WEB_PAGE)] for n in webs})
        keepalived = {n.name: read[(n.name, KEEPALIVED_CONF)] for n in lbs}
        self.preferred = preferred_holder(keepalived)
        return theory_from_configs(self.spec, keepalived, haproxy[0])


def wait_for(
    condition: Callable[[], bool],
    deadline_s: float,
    what: str,
    on_tick: Callable[[], None] | None = None,
    detail: Callable[[], str] | None = None,
) -> float:
    """Wait until `condition` holds; its time, or a LabtoolError after `deadline_s` naming what
    was awaited (and `detail()`, what was seen). Where one check of the condition is itself
    slow (a machine reached over SSH), the deadline stretches to give it MIN_CHECKS checks,
    within MAX_STRETCH_S: a deadline shorter than a few checks would decide on one look. It
    also rests between checks as long as the last one took: checks that log into machines
    over and over load them (under emulation, enough to delay VRRP's adverts)."""
    started = time.monotonic()
    longest = took = 0.0
    while True:
        if on_tick:
            on_tick()
        checked = time.monotonic()
        if condition():
            return time.monotonic() - started
        took = time.monotonic() - checked
        longest = max(longest, took)
        per_check = longest + max(TICK_S, min(longest, MAX_REST_S))  # the check, its rest
        allowed = max(deadline_s, min(MIN_CHECKS * per_check, deadline_s + MAX_STRETCH_S))
        if time.monotonic() - started > allowed:
            slow = f"; one check took up to {longest:.1f} s" if allowed > deadline_s else ""
            seen = f"; {detail()}" if detail is not None else ""
            raise LabtoolError(
                Msg(
                    "not within {allowed:.1f} s: {what}{slow}{seen}",
                    allowed=allowed,
                    what=what,
                    slow=slow,
                    seen=seen,
                )
            )
        time.sleep(max(TICK_S, min(took, MAX_REST_S)))


def repair(spec: LabSpec, state: LabState, backend: Backend) -> list[str]:
    """A lab that is up but not whole, mended as `labtool up` does: its nodes powered on
    (halted ones too), its daemons started (on a bare lab: those the student enabled, as a
    boot does); no file is written. What it found missing, in words."""
    cluster = Cluster(spec, backend)
    missing = cluster.not_ready()
    if state.bare:
        missing = [m for m in missing if m.endswith(" is down")]
        for node in spec.nodes:
            if not backend.is_up(node.name) or node.name in state.halted:
                power_up(spec, state, backend, node.name)
        return missing
    cluster.make_whole(REPAIR_WITHIN_S)
    if state.halted:
        state.halted.clear()
        state.save()
    return missing
