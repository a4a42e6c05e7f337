"""What `labtool status` reports of a lab: per node, up, halted or down, its daemons and
addresses, and who holds the VIP."""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass, field

from labtool.backends.base import Backend, NodeStatus
from labtool.parallel import for_each_node
from labtool.spec.model import Node


def power_state(node: NodeStatus, halted: Collection[str]) -> str:
    """up, halted (by `labtool halt`) or down (its power lost another way)."""
    return "up" if node.up else "halted" if node.name in halted else "down"


@dataclass
class LabStatus:
    name: str
    backend: str
    phase: str
    vip: str
    nodes: list[NodeStatus]
    memory_kib: int
    halted: list[str] = field(default_factory=list)  # powered off by `labtool halt`
    # beside a VIP held twice: what of the machine may have split the brain (its backend's)
    split_brain_cause: str | None = None

    def state_of(self, node: NodeStatus) -> str:
        return power_state(node, self.halted)

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
            "split_brain_cause": self.split_brain_cause,
            "nodes": [
                {
                    "name": n.name,
                    "role": n.role,
                    "address": n.address,
                    "up": n.up,
                    "state": self.state_of(n),
                    "daemons": n.daemons,
                    "addresses": n.addresses,
                    "vip": self.vip in n.addresses,
                }
                for n in self.nodes
            ],
        }


def lab_missing(backend: Backend, *, bare: bool = False, one_holder: bool = True) -> list[str]:
    """What keeps a lab from being whole, every node looked at at once: nodes down, and (but
    on a bare lab, where the student starts the daemons) daemons stopped and not exactly one
    VIP holder (two is a split brain left by a scenario killed while VRRP was cut; not asked
    for with `one_holder` False: a submission's cluster may hold it twice, or never)."""
    statuses: dict[str, NodeStatus] = {}

    def look(node: Node) -> None:
        lb = node.role == "lb" and not bare
        statuses[node.name] = backend.node_status(node.name, addresses=lb)

    for_each_node(backend.spec.nodes, look)
    missing = []
    for node in backend.spec.nodes:
        status = statuses[node.name]
        if not status.up:
            missing.append(f"{node.name} is down")
        elif not bare:
            missing += [f"{node.name}: {d} stopped" for d, up in status.daemons.items() if not up]
    if not bare and one_holder:
        vip = str(backend.spec.vip)
        holders = [n for n, st in statuses.items() if vip in st.addresses]
        if len(holders) != 1:
            missing.append(f"VIP held by {holders or 'no node'}")
    return missing


COMMANDS_LEFT_S = 30.0  # the longest a killed labtool's last command is awaited


def await_commands_left(backend: Backend, deadline_s: float = COMMANDS_LEFT_S) -> list[str]:
    """Wait until the commands a killed labtool left running on the nodes have ended (a
    `systemctl stop keepalived` its scenario had started: the lab looked at before it ends
    seems whole, then is not). What was awaited, for a note."""
    seen: list[str] = []
    end = time.monotonic() + deadline_s
    while (left := backend.commands_left()) and time.monotonic() < end:
        seen += [command for command in left if command not in seen]
        time.sleep(0.05)
    return seen
