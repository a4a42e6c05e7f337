"""The lab spec: pure, frozen data describing one lab (layer 1): its nodes, addresses, VIP, NIC and
VRRP settings. The default is the lab's own topology (seed/tp-cluster-web.md) plus a `client`
node for probes."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Literal

from labtool.errors import LabFileError
from labtool.i18n import Msg

Role = Literal["lb", "web", "client"]
ROLES: tuple[Role, ...] = ("lb", "web", "client")
DEFAULT_LAB_NAME = "tp"
MAX_NODES = 32
_DEFAULT_SUBNET = ipaddress.IPv4Network("10.0.0.0/24")
_DEFAULT_VIP = ipaddress.IPv4Address("10.0.0.10")


@dataclass(frozen=True)
class Node:
    """One machine of the lab."""

    name: str
    role: Role
    address: ipaddress.IPv4Address
    state: Literal["MASTER", "BACKUP"] | None = None  # lb only: the keepalived `state`
    priority: int | None = None  # lb only: the keepalived `priority`


@dataclass(frozen=True)
class Vrrp:
    """The keepalived VRRP instance shared by the load balancers."""

    virtual_router_id: int = 100
    advert_int: int = 1
    auth_type: Literal["PASS", "AH"] = "PASS"
    auth_pass: str = "secret"
    track_haproxy: bool = True  # the lab's `track_script { reload_haproxy }`

    def startup_wait_s(self, priority: int) -> float:
        """How long a starting keepalived waits before it takes the VIP (RFC 5798 master down
        interval: 3 x advert_int + skew, skew = (256 - priority) / 256; none at 255)."""
        if priority >= 255:
            return 0.0
        return 3 * self.advert_int + (256 - priority) / 256


@dataclass(frozen=True)
class LabSpec:
    """A whole lab: addresses, VIP, NIC name, VRRP settings and nodes."""

    name: str = DEFAULT_LAB_NAME
    subnet: ipaddress.IPv4Network = _DEFAULT_SUBNET
    vip: ipaddress.IPv4Address = _DEFAULT_VIP
    nic: str = "eth1"
    box: str = "centos7-custom"
    vrrp: Vrrp = field(default_factory=Vrrp)
    nodes: tuple[Node, ...] = ()

    def node(self, name: str) -> Node:
        for node in self.nodes:
            if node.name == name:
                return node
        known = ", ".join(n.name for n in self.nodes)
        raise LabFileError(
            Msg(
                "no node named '{name}' in lab '{name2}' (nodes: {known})",
                name=name,
                name2=self.name,
                known=known,
            )
        )

    def by_role(self, role: Role) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if n.role == role)

    def describe(self) -> str:
        """Its nodes and addresses, then the VIP, on one line."""
        return ", ".join(f"{n.name} {n.address}" for n in self.nodes) + f", VIP {self.vip}"

    @property
    def client(self) -> Node:
        return self.by_role("client")[0]

    def lb_start_order(self) -> tuple[Node, ...]:
        """Load balancers in the order their keepalived must start: the intended MASTER first,
        then by priority, as the lab's steps do (equal priorities: the first one up keeps it)."""
        lbs = self.by_role("lb")
        return tuple(
            sorted(lbs, key=lambda n: (n.state != "MASTER", -(n.priority or 0), lbs.index(n)))
        )


def _ip(text: str) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(text)


DEFAULT_NODES: tuple[Node, ...] = (
    Node("haproxy1", "lb", _ip("10.0.0.11"), "MASTER", 100),
    Node("haproxy2", "lb", _ip("10.0.0.12"), "BACKUP", 100),
    Node("web1", "web", _ip("10.0.0.21")),
    Node("web2", "web", _ip("10.0.0.22")),
    Node("client", "client", _ip("10.0.0.100")),
)
