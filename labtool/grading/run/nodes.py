"""The nodes of a submission's lab as `labtool grade --run` builds it: node names a Linux
interface and labtool accept, addresses on the VIP's network (the submission's own where it
shows them, else the lab's, else free ones), its web nodes and load balancers."""

from __future__ import annotations

import ipaddress
import re

from labtool.grading.submission.configset import ConfigSet
from labtool.grading.submission.plan_base import Plan
from labtool.spec.model import LabSpec, Node

NAME = re.compile(r"^[a-z][a-z0-9-]{0,14}$")
RESERVED = ("lan", "client")  # the LAN's holder, and the probes' node


def node_name(raw: str, taken: set[str], role: str) -> str:
    name = re.sub(r"[^a-z0-9-]", "-", raw.lower()).strip("-")[:15]
    if not NAME.match(name) or name in RESERVED:
        name = (role + "-" + name)[:15].rstrip("-") if name else role
    base, n = name, 2
    while name in taken or not NAME.match(name):
        name = f"{base[:12]}-{n}"
        n += 1
    taken.add(name)
    return name


def address_in(text: str | None, net: ipaddress.IPv4Network) -> ipaddress.IPv4Address | None:
    try:
        address = ipaddress.IPv4Address((text or "").strip())
    except ValueError:
        return None
    return address if address in net else None


def free_address(
    net: ipaddress.IPv4Network, used: set[ipaddress.IPv4Address], wanted: list[int]
) -> ipaddress.IPv4Address:
    for host in [*wanted, *range(254, 1, -1)]:
        address = ipaddress.IPv4Address(int(net.network_address) + host)
        if address not in used and address in net and address != net.broadcast_address:
            used.add(address)
            return address
    raise ValueError(f"no free address left on {net}")


def web_nodes(
    plan: Plan,
    lab: LabSpec,
    net: ipaddress.IPv4Network,
    servers: list[ipaddress.IPv4Address],
    used: set[ipaddress.IPv4Address],
    taken: set[str],
    names: dict[str, str],
) -> list[Node]:
    """Its web nodes: its servers' addresses first, then its own or the lab's, else free."""
    lab_webs = [n.address for n in lab.by_role("web")]
    webs = plan.webs or [n.name for n in lab.by_role("web")]
    web_addresses = list(servers)
    for i, web in enumerate(webs):
        if i < len(web_addresses):
            continue
        shown = address_in(plan.addresses.get(web), net)
        candidate = shown or (lab_webs[i] if i < len(lab_webs) and lab_webs[i] in net else None)
        if candidate is None or candidate in used:
            candidate = free_address(net, used, [21 + i])
        used.add(candidate)
        web_addresses.append(candidate)
    nodes = []
    for i, address in enumerate(web_addresses):
        raw = webs[i] if i < len(webs) else f"web{i + 1}"
        nodes.append(Node(node_name(raw, taken, "web"), "web", address))
        names[nodes[-1].name] = raw
    return nodes


def lb_nodes(
    configs: ConfigSet,
    plan: Plan,
    lbs: list[str],
    net: ipaddress.IPv4Network,
    used: set[ipaddress.IPv4Address],
    taken: set[str],
    names: dict[str, str],
) -> list[Node]:
    """Its load balancers, with the state and priority of their first VRRP instance."""
    lb_nodes: list[Node] = []
    for i, lb in enumerate(lbs):
        instance = next(iter(configs.keepalived[lb].instances()), None)
        state = (instance.value("state") or "BACKUP").upper() if instance else "BACKUP"
        try:
            priority = int(instance.value("priority") or 100) if instance else 100
        except ValueError:
            priority = 100
        shown = address_in(plan.addresses.get(lb), net)
        address = (
            shown if shown is not None and shown not in used else free_address(net, used, [11 + i])
        )
        used.add(address)
        node = Node(
            node_name(lb, taken, "lb"),
            "lb",
            address,
            "MASTER" if state == "MASTER" else "BACKUP",
            max(1, min(priority, 255)),
        )
        lb_nodes.append(node)
        names[node.name] = lb
    return lb_nodes
