"""The lab spec: pure, frozen data describing one lab (layer 1).

The default is the lab's own topology (seed/tp-cluster-web.md) plus a `client` node for probes.
A lab file (TOML) changes any of it; `load_lab` merges it over the default and validates the
result, refusing bad input with one message that names the file, the field and the fix.
This module never touches the machine.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from labtool.errors import LabFileError

Role = Literal["lb", "web", "client"]
ROLES: tuple[Role, ...] = ("lb", "web", "client")

DEFAULT_LAB_NAME = "tp"
_ROLE_HINTS = {
    "loadbalancer": "lb",
    "load-balancer": "lb",
    "haproxy": "lb",
    "keepalived": "lb",
    "webserver": "web",
    "apache": "web",
    "apache2": "web",
    "httpd": "web",
    "probe": "client",
}
_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,14}$")  # also an interface name: at most 15 chars
_LAB_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,23}$")
_IFNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,14}$")
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
        raise LabFileError(f"no node named '{name}' in lab '{self.name}' (nodes: {known})")

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


def default_spec(name: str = DEFAULT_LAB_NAME) -> LabSpec:
    """The lab exactly as the seed describes it, plus the client node."""
    spec = LabSpec(name=name, nodes=DEFAULT_NODES)
    validate(spec, "the default lab")
    return spec


# --- reading a lab file -------------------------------------------------------------------

_TOP_KEYS = ("name", "subnet", "vip", "nic", "box", "vrrp", "nodes")
_VRRP_KEYS = ("virtual_router_id", "advert_int", "auth_type", "auth_pass", "track_haproxy")
_NODE_KEYS = ("role", "address", "state", "priority")


class FieldReader:
    """Turns one TOML table into typed values, naming the file and field on every error."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str, fix: str) -> LabFileError:
        return LabFileError(f"{self.source}: {where}: {problem}. Fix: {fix}")

    def check_keys(self, table: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                fix = f"did you mean '{close[0]}'?" if close else f"use one of {', '.join(allowed)}"
                raise self.fail(where, f"unknown key '{key}'", fix)

    def string(self, value: Any, where: str, fix: str) -> str:
        if not isinstance(value, str):
            raise self.fail(where, f"expected a string, got {value!r}", fix)
        return value

    def integer(self, value: Any, where: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(
                where,
                f"{value!r} is not a whole number from {low} to {high}",
                f"set a value from {low} to {high}",
            )
        return value

    def address(self, value: Any, where: str) -> ipaddress.IPv4Address:
        text = self.string(value, where, 'write an IPv4 address in quotes, e.g. "10.0.0.21"')
        try:
            return ipaddress.IPv4Address(text)
        except ValueError:
            raise self.fail(
                where, f"'{text}' is not an IPv4 address", 'write an IPv4 address, e.g. "10.0.0.21"'
            ) from None


def _table(reader: FieldReader, value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise reader.fail(where, f"expected a table, got {value!r}", f"write it as [{where}]")
    return value


def _merge_vrrp(reader: FieldReader, base: Vrrp, raw: Mapping[str, Any]) -> Vrrp:
    reader.check_keys(raw, _VRRP_KEYS, "[vrrp]")
    changes: dict[str, Any] = {}
    if "virtual_router_id" in raw:
        changes["virtual_router_id"] = reader.integer(
            raw["virtual_router_id"], "vrrp.virtual_router_id", 1, 255
        )
    if "advert_int" in raw:
        changes["advert_int"] = reader.integer(raw["advert_int"], "vrrp.advert_int", 1, 255)
    if "auth_type" in raw:
        auth_type = reader.string(raw["auth_type"], "vrrp.auth_type", 'use "PASS" or "AH"')
        if auth_type not in ("PASS", "AH"):
            raise reader.fail(
                "vrrp.auth_type",
                f"'{auth_type}' is not a keepalived auth_type",
                'use "PASS" or "AH"',
            )
        changes["auth_type"] = auth_type
    if "auth_pass" in raw:
        auth_pass = reader.string(raw["auth_pass"], "vrrp.auth_pass", "write it in quotes")
        if not 1 <= len(auth_pass) <= 8 or not auth_pass.isprintable() or " " in auth_pass:
            raise reader.fail(
                "vrrp.auth_pass",
                "keepalived uses 1 to 8 printable characters, no spaces",
                'choose a shorter password, e.g. "secret"',
            )
        changes["auth_pass"] = auth_pass
    if "track_haproxy" in raw:
        if not isinstance(raw["track_haproxy"], bool):
            raise reader.fail(
                "vrrp.track_haproxy",
                f"expected true or false, got {raw['track_haproxy']!r}",
                "write true or false",
            )
        changes["track_haproxy"] = raw["track_haproxy"]
    return replace(base, **changes)


def _merge_node(reader: FieldReader, name: str, base: Node | None, raw: Mapping[str, Any]) -> Node:
    where = f"[nodes.{name}]"
    reader.check_keys(raw, _NODE_KEYS, where)
    if not _NAME_RE.match(name):
        raise reader.fail(
            where,
            f"'{name}' is not a valid node name",
            "use 1-15 lowercase letters, digits or '-', starting with a letter",
        )
    if base is None and ("role" not in raw or "address" not in raw):
        raise reader.fail(
            where,
            "a new node needs a role and an address",
            'add e.g. role = "web" and address = "10.0.0.23"',
        )
    role = base.role if base else "web"
    if "role" in raw:
        text = reader.string(raw["role"], f"nodes.{name}.role", f"use one of {', '.join(ROLES)}")
        if text not in ROLES:
            close = _ROLE_HINTS.get(text.lower()) or next(
                iter(difflib.get_close_matches(text, ROLES, n=1)), None
            )
            hint = f"did you mean '{close}'? " if close else ""
            raise reader.fail(
                f"nodes.{name}.role",
                f"unknown role '{text}'",
                f"{hint}use one of {', '.join(ROLES)}",
            )
        role = text
    address = (
        reader.address(raw["address"], f"nodes.{name}.address")
        if "address" in raw
        else base.address
        if base
        else ipaddress.IPv4Address(0)
    )
    state = base.state if base and base.role == role else None
    priority = base.priority if base and base.role == role else None
    if "state" in raw:
        text = reader.string(raw["state"], f"nodes.{name}.state", 'use "MASTER" or "BACKUP"')
        if text not in ("MASTER", "BACKUP"):
            raise reader.fail(
                f"nodes.{name}.state",
                f"'{text}' is not a keepalived state",
                'use "MASTER" or "BACKUP"',
            )
        state = text  # type: ignore[assignment]
    if "priority" in raw:
        priority = reader.integer(raw["priority"], f"nodes.{name}.priority", 1, 255)
    if role == "lb":
        state = state or "BACKUP"
        priority = priority or 100
    elif "state" in raw or "priority" in raw:
        raise reader.fail(
            where,
            f"state and priority only apply to role 'lb', not '{role}'",
            'remove them or set role = "lb"',
        )
    else:
        state, priority = None, None
    return Node(name, role, address, state, priority)


def parse_lab(data: Mapping[str, Any], source: str, base: LabSpec | None = None) -> LabSpec:
    """Merge a parsed lab file over `base` (the default lab) and validate the result."""
    reader = FieldReader(source)
    spec = base or default_spec()
    reader.check_keys(data, _TOP_KEYS, "top level")
    changes: dict[str, Any] = {}
    if "name" in data:
        changes["name"] = reader.string(data["name"], "name", "write the lab name in quotes")
    if "subnet" in data:
        text = reader.string(data["subnet"], "subnet", 'write a network, e.g. "10.0.0.0/24"')
        try:
            changes["subnet"] = ipaddress.IPv4Network(text)
        except ValueError:
            raise reader.fail(
                "subnet",
                f"'{text}' is not an IPv4 network with its host bits zero",
                'write e.g. "10.0.0.0/24"',
            ) from None
    if "vip" in data:
        changes["vip"] = reader.address(data["vip"], "vip")
    for key in ("nic", "box"):
        if key in data:
            changes[key] = reader.string(data[key], key, "write it in quotes")
    if "vrrp" in data:
        changes["vrrp"] = _merge_vrrp(reader, spec.vrrp, _table(reader, data["vrrp"], "vrrp"))
    if "nodes" in data:
        nodes = {n.name: n for n in spec.nodes}
        for name, raw in _table(reader, data["nodes"], "nodes").items():
            nodes[name] = _merge_node(
                reader, name, nodes.get(name), _table(reader, raw, f"nodes.{name}")
            )
        changes["nodes"] = tuple(nodes.values())
    merged = replace(spec, **changes)
    validate(merged, source)
    return merged


def load_lab(path: Path | None, name: str | None = None) -> LabSpec:
    """The default lab, or the lab file at `path` merged over it; `name` overrides the name."""
    if path is None:
        spec = default_spec()
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise LabFileError(
                f"{path}: cannot read the lab file ({exc.strerror}). "
                "Fix: give the path of an existing TOML file"
            ) from None
        except UnicodeDecodeError:
            raise LabFileError(f"{path}: not UTF-8 text. Fix: save the lab file as UTF-8") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise LabFileError(
                f"{path}: not valid TOML ({exc}). Fix: correct the syntax at that line"
            ) from None
        spec = parse_lab(data, str(path))
    if name is not None:
        spec = replace(spec, name=name)
        validate(spec, "--name")
    return spec


def validate(spec: LabSpec, source: str) -> None:
    """Refuse a spec no cluster could be built from, naming the field and the fix."""

    def fail(where: str, problem: str, fix: str) -> LabFileError:
        return LabFileError(f"{source}: {where}: {problem}. Fix: {fix}")

    if not _LAB_NAME_RE.match(spec.name):
        raise fail(
            "name",
            f"'{spec.name}' is not a valid lab name",
            "use 1-24 lowercase letters, digits or '-'",
        )
    if not _IFNAME_RE.match(spec.nic):
        raise fail(
            "nic",
            f"'{spec.nic}' is not a valid interface name",
            'use a name of at most 15 characters, e.g. "eth1"',
        )
    hosts = spec.subnet
    if spec.subnet.prefixlen > 29:
        raise fail("subnet", f"{spec.subnet} is too small for a lab", "use a /24 or larger")
    if spec.subnet.is_loopback or spec.subnet.is_multicast or spec.subnet.is_link_local:
        raise fail(
            "subnet",
            f"{spec.subnet} is a reserved range",
            'use a private range, e.g. "10.0.0.0/24"',
        )

    def check_host(addr: ipaddress.IPv4Address, where: str) -> None:
        if addr not in hosts:
            raise fail(
                where,
                f"{addr} is outside the subnet {hosts}",
                f"choose an address inside {hosts} or change 'subnet'",
            )
        if addr in (hosts.network_address, hosts.broadcast_address):
            raise fail(
                where,
                f"{addr} is the network or broadcast address of {hosts}",
                "choose a host address",
            )

    check_host(spec.vip, "vip")
    if len(spec.nodes) > MAX_NODES:
        raise fail("nodes", f"{len(spec.nodes)} nodes", f"use at most {MAX_NODES}")
    used: dict[ipaddress.IPv4Address, str] = {spec.vip: "the VIP"}
    for node in spec.nodes:
        where = f"nodes.{node.name}.address"
        check_host(node.address, where)
        if node.address in used:
            raise fail(
                where,
                f"{node.address} is already used by {used[node.address]}",
                f"give {node.name} a free address in {hosts}",
            )
        used[node.address] = node.name
    counts = {role: len(spec.by_role(role)) for role in ROLES}
    if counts["lb"] < 1 or counts["web"] < 1:
        raise fail(
            "nodes",
            "the lab needs at least one 'lb' node and one 'web' node",
            "add the missing node under [nodes.NAME]",
        )
    if counts["client"] != 1:
        raise fail(
            "nodes",
            f"the lab needs exactly one 'client' node, found {counts['client']}",
            'keep one node with role = "client"',
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
