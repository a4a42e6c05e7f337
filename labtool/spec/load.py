"""Lab files (TOML): merged over the default lab and validated; bad input is refused with one
message that names the file, the field and the fix. Never touches the machine."""

from __future__ import annotations

import difflib
import ipaddress
import re
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from labtool.errors import LabFileError
from labtool.spec.check import validate
from labtool.spec.model import (
    DEFAULT_LAB_NAME,
    DEFAULT_NODES,
    ROLES,
    LabSpec,
    Node,
    Vrrp,
)

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


def default_spec(name: str = DEFAULT_LAB_NAME) -> LabSpec:
    """The lab exactly as the seed describes it, plus the client node."""
    spec = LabSpec(name=name, nodes=DEFAULT_NODES)
    validate(spec, "the default lab")
    return spec


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
