"""What `labtool status` reports of a lab: per node, up, halted or down, its daemons and
addresses, and who holds the VIP."""

from __future__ import annotations

from dataclasses import dataclass, field

from labtool.backends.base import NodeStatus


@dataclass
class LabStatus:
    name: str
    backend: str
    phase: str
    vip: str
    nodes: list[NodeStatus]
    memory_kib: int
    halted: list[str] = field(default_factory=list)  # powered off by `labtool halt`

    def state_of(self, node: NodeStatus) -> str:
        """up, halted (by `labtool halt`) or down (its power lost another way)."""
        return "up" if node.up else "halted" if node.name in self.halted else "down"

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
                    "state": self.state_of(n),
                    "daemons": n.daemons,
                    "addresses": n.addresses,
                    "vip": self.vip in n.addresses,
                }
                for n in self.nodes
            ],
        }
