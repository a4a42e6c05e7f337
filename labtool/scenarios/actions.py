"""The kinds of action a scenario's fault and restore may take, as a registry: each kind one
small function that does it on the cluster, and, where the probes must know (a node lost, a
load balancer back), what it tells them. A new kind is one function here, registered with
`@action(name)`; scenario files name it (`action = "power_off"`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labtool.scenarios.cluster import Cluster
    from labtool.scenarios.model import Action
    from labtool.scenarios.probes import Probes

Do = Callable[["Cluster", "Action"], None]
Tell = Callable[["Probes", "Action"], None]


@dataclass(frozen=True)
class ActionKind:
    name: str
    do: Do
    tell: Tell | None = None  # what the probes are told once it is done
    needs_service: bool = False


ACTIONS: dict[str, ActionKind] = {}


def action(
    name: str, *, tell: Tell | None = None, needs_service: bool = False
) -> Callable[[Do], Do]:
    def register(do: Do) -> Do:
        ACTIONS[name] = ActionKind(name, do, tell, needs_service)
        return do

    return register


def apply(cluster: Cluster, act: Action, probes: Probes | None = None) -> None:
    """Do one action of a scenario; tell the probes, if any, what they must know."""
    kind = ACTIONS[act.kind]
    kind.do(cluster, act)
    if probes is not None and kind.tell is not None:
        kind.tell(probes, act)


def _lost(probes: Probes, act: Action) -> None:
    for node in act.nodes:
        probes.node_lost(node)  # (a machine's watcher may not say so: its SSH hangs)


def _back(probes: Probes, act: Action) -> None:
    for node in act.nodes:
        if node in probes.lb_names():
            probes.watch(node)


@action("power_off", tell=_lost)
def power_off(cluster: Cluster, act: Action) -> None:
    for node in act.nodes:
        cluster.backend.power_off(node)


@action("power_on", tell=_back)
def power_on(cluster: Cluster, act: Action) -> None:
    for node in act.nodes:
        cluster.boot(node)


@action("link_down")
def link_down(cluster: Cluster, act: Action) -> None:
    for node in act.nodes:
        cluster.backend.set_link(node, False)


@action("link_up")
def link_up(cluster: Cluster, act: Action) -> None:
    for node in act.nodes:
        cluster.backend.set_link(node, True)


@action("stop_service", needs_service=True)
def stop_service(cluster: Cluster, act: Action) -> None:
    for node in act.nodes:
        cluster.systemctl(node, "stop", act.service or "")


@action("start_service", needs_service=True)
def start_service(cluster: Cluster, act: Action) -> None:
    for node in act.nodes:
        cluster.systemctl(node, "start", act.service or "")


@action("kill_service", needs_service=True)
def kill_service(cluster: Cluster, act: Action) -> None:
    for node in act.nodes:
        cluster.backend.transport(node).run(["killall", "-9", act.service or ""])


@action("cut_vrrp")
def cut_vrrp(cluster: Cluster, act: Action) -> None:
    cluster.backend.cut_vrrp(list(act.nodes), True)


@action("uncut_vrrp")
def uncut_vrrp(cluster: Cluster, act: Action) -> None:
    cluster.backend.cut_vrrp(list(act.nodes), False)
