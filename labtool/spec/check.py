"""A whole lab checked (addresses free and in the subnet, names that make interfaces, one client,
two load balancers...), and a lab written back as lab-file data."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

from labtool.errors import LabFileError
from labtool.i18n import Msg
from labtool.spec.model import (
    MAX_NODES,
    ROLES,
    LabSpec,
)

_LAB_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,23}$")
_IFNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,14}$")


def field_error(source: str, where: str, problem: str, fix: str) -> LabFileError:
    """A lab file's field that cannot be: where, what is wrong, the fix."""
    return LabFileError(
        Msg(
            "{source}: {where}: {problem}. Fix: {fix}",
            source=source,
            where=where,
            problem=problem,
            fix=fix,
        )
    )


def validate(spec: LabSpec, source: str) -> None:
    """Refuse a spec no cluster could be built from, naming the field and the fix."""

    def fail(where: str, problem: str, fix: str) -> LabFileError:
        return field_error(source, where, problem, fix)

    if not _LAB_NAME_RE.match(spec.name):
        raise fail(
            "name",
            Msg("'{name}' is not a valid lab name", name=spec.name),
            Msg("use 1-24 lowercase letters, digits or '-'"),
        )
    if not _IFNAME_RE.match(spec.nic):
        raise fail(
            "nic",
            Msg("'{nic}' is not a valid interface name", nic=spec.nic),
            Msg('use a name of at most 15 characters, e.g. "eth1"'),
        )
    if spec.subnet.prefixlen > 29:
        raise fail(
            "subnet",
            Msg("{subnet} is too small for a lab", subnet=spec.subnet),
            Msg("use a /24 or larger"),
        )
    if spec.subnet.is_loopback or spec.subnet.is_multicast or spec.subnet.is_link_local:
        raise fail(
            "subnet",
            Msg("{subnet} is a reserved range", subnet=spec.subnet),
            Msg('use a private range, e.g. "10.0.0.0/24"'),
        )
    _addresses(spec, fail)
    _roles(spec, fail)


Fail = Callable[[str, str, str], LabFileError]


def _addresses(spec: LabSpec, fail: Fail) -> None:
    """The VIP and each node on a host address of the subnet, each address once."""
    hosts = spec.subnet

    def check_host(addr: ipaddress.IPv4Address, where: str) -> None:
        if addr not in hosts:
            raise fail(
                where,
                Msg("{addr} is outside the subnet {hosts}", addr=addr, hosts=hosts),
                Msg("choose an address inside {hosts} or change 'subnet'", hosts=hosts),
            )
        if addr in (hosts.network_address, hosts.broadcast_address):
            raise fail(
                where,
                Msg(
                    "{addr} is the network or broadcast address of {hosts}", addr=addr, hosts=hosts
                ),
                Msg("choose a host address"),
            )

    check_host(spec.vip, "vip")
    if len(spec.nodes) > MAX_NODES:
        raise fail(
            "nodes",
            Msg("{count} nodes", count=len(spec.nodes)),
            Msg("use at most {max_nodes}", max_nodes=MAX_NODES),
        )
    used: dict[ipaddress.IPv4Address, str] = {spec.vip: "the VIP"}
    for node in spec.nodes:
        where = f"nodes.{node.name}.address"
        check_host(node.address, where)
        if node.address in used:
            raise fail(
                where,
                Msg(
                    "{address} is already used by {value}",
                    address=node.address,
                    value=used[node.address],
                ),
                Msg("give {name} a free address in {hosts}", name=node.name, hosts=hosts),
            )
        used[node.address] = node.name


def _roles(spec: LabSpec, fail: Fail) -> None:
    counts = {role: len(spec.by_role(role)) for role in ROLES}
    if counts["lb"] < 1 or counts["web"] < 1:
        raise fail(
            "nodes",
            Msg("the lab needs at least one 'lb' node and one 'web' node"),
            Msg("add the missing node under [nodes.NAME]"),
        )
    if counts["client"] != 1:
        raise fail(
            "nodes",
            Msg("the lab needs exactly one 'client' node, found {client}", client=counts["client"]),
            Msg('keep one node with role = "client"'),
        )


def spec_to_dict(spec: LabSpec) -> dict[str, Any]:
    """The spec in lab-file form (what `parse_lab` reads back to an equal spec)."""
    nodes: dict[str, dict[str, Any]] = {}
    for node in spec.nodes:
        entry: dict[str, Any] = {"role": node.role, "address": str(node.address)}
        if node.role == "lb":
            entry.update(state=node.state, priority=node.priority)
        nodes[node.name] = entry
    return {
        "name": spec.name,
        "subnet": str(spec.subnet),
        "vip": str(spec.vip),
        "nic": spec.nic,
        "box": spec.box,
        "vrrp": {
            "virtual_router_id": spec.vrrp.virtual_router_id,
            "advert_int": spec.vrrp.advert_int,
            "auth_type": spec.vrrp.auth_type,
            "auth_pass": spec.vrrp.auth_pass,
            "track_haproxy": spec.vrrp.track_haproxy,
        },
        "nodes": nodes,
    }
