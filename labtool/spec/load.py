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
from labtool.i18n import Msg
from labtool.spec.check import field_error, validate
from labtool.spec.model import (
    DEFAULT_LAB_NAME,
    DEFAULT_NODES,
    ROLES,
    LabSpec,
    Node,
    Role,
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
        return field_error(self.source, where, problem, fix)

    def check_keys(self, table: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                fix = (
                    Msg("did you mean '{key}'?", key=close[0])
                    if close
                    else Msg("use one of {keys}", keys=", ".join(allowed))
                )
                raise self.fail(where, Msg("unknown key '{key}'", key=key), fix)

    def string(self, value: Any, where: str, fix: str) -> str:
        if not isinstance(value, str):
            raise self.fail(where, Msg("expected a string, got {value}", value=repr(value)), fix)
        return value

    def integer(self, value: Any, where: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(
                where,
                Msg(
                    "{value} is not a whole number from {low} to {high}",
                    value=repr(value),
                    low=low,
                    high=high,
                ),
                Msg("set a value from {low} to {high}", low=low, high=high),
            )
        return value

    def address(self, value: Any, where: str) -> ipaddress.IPv4Address:
        text = self.string(value, where, Msg('write an IPv4 address in quotes, e.g. "10.0.0.21"'))
        try:
            return ipaddress.IPv4Address(text)
        except ValueError:
            raise self.fail(
                where,
                Msg("'{text}' is not an IPv4 address", text=text),
                Msg('write an IPv4 address, e.g. "10.0.0.21"'),
            ) from None


def _table(reader: FieldReader, value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise reader.fail(
            where,
            Msg("expected a table, got {value}", value=repr(value)),
            Msg("write it as [{where}]", where=where),
        )
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
        auth_type = reader.string(raw["auth_type"], "vrrp.auth_type", Msg('use "PASS" or "AH"'))
        if auth_type not in ("PASS", "AH"):
            raise reader.fail(
                "vrrp.auth_type",
                Msg("'{auth_type}' is not a keepalived auth_type", auth_type=auth_type),
                Msg('use "PASS" or "AH"'),
            )
        changes["auth_type"] = auth_type
    if "auth_pass" in raw:
        auth_pass = reader.string(raw["auth_pass"], "vrrp.auth_pass", Msg("write it in quotes"))
        if not 1 <= len(auth_pass) <= 8 or not auth_pass.isprintable() or " " in auth_pass:
            raise reader.fail(
                "vrrp.auth_pass",
                Msg("keepalived uses 1 to 8 printable characters, no spaces"),
                Msg('choose a shorter password, e.g. "secret"'),
            )
        changes["auth_pass"] = auth_pass
    if "track_haproxy" in raw:
        if not isinstance(raw["track_haproxy"], bool):
            raise reader.fail(
                "vrrp.track_haproxy",
                Msg(
                    "expected true or false, got {track_haproxy}",
                    track_haproxy=repr(raw["track_haproxy"]),
                ),
                Msg("write true or false"),
            )
        changes["track_haproxy"] = raw["track_haproxy"]
    return replace(base, **changes)


def _role(reader: FieldReader, name: str, raw: Any) -> Role:
    text = reader.string(
        raw, f"nodes.{name}.role", Msg("use one of {roles}", roles=", ".join(ROLES))
    )
    if text not in ROLES:
        close = _ROLE_HINTS.get(text.lower()) or next(
            iter(difflib.get_close_matches(text, ROLES, n=1)), None
        )
        hint = Msg("did you mean '{close}'? ", close=close) if close else ""
        raise reader.fail(
            f"nodes.{name}.role",
            Msg("unknown role '{text}'", text=text),
            Msg("{hint}use one of {join}", hint=hint, join=", ".join(ROLES)),
        )
    return text


def _merge_node(reader: FieldReader, name: str, base: Node | None, raw: Mapping[str, Any]) -> Node:
    where = f"[nodes.{name}]"
    reader.check_keys(raw, _NODE_KEYS, where)
    if not _NAME_RE.match(name):
        raise reader.fail(
            where,
            Msg("'{name}' is not a valid node name", name=name),
            Msg("use 1-15 lowercase letters, digits or '-', starting with a letter"),
        )
    if base is None and ("role" not in raw or "address" not in raw):
        raise reader.fail(
            where,
            Msg("a new node needs a role and an address"),
            Msg('add e.g. role = "web" and address = "10.0.0.23"'),
        )
    role = _role(reader, name, raw["role"]) if "role" in raw else base.role if base else "web"
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
        text = reader.string(raw["state"], f"nodes.{name}.state", Msg('use "MASTER" or "BACKUP"'))
        if text not in ("MASTER", "BACKUP"):
            raise reader.fail(
                f"nodes.{name}.state",
                Msg("'{text}' is not a keepalived state", text=text),
                Msg('use "MASTER" or "BACKUP"'),
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
            Msg("state and priority only apply to role 'lb', not '{role}'", role=role),
            Msg('remove them or set role = "lb"'),
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
        changes["name"] = reader.string(data["name"], "name", Msg("write the lab name in quotes"))
    if "subnet" in data:
        text = reader.string(data["subnet"], "subnet", Msg('write a network, e.g. "10.0.0.0/24"'))
        try:
            changes["subnet"] = ipaddress.IPv4Network(text)
        except ValueError:
            raise reader.fail(
                "subnet",
                Msg("'{text}' is not an IPv4 network with its host bits zero", text=text),
                Msg('write e.g. "10.0.0.0/24"'),
            ) from None
    if "vip" in data:
        changes["vip"] = reader.address(data["vip"], "vip")
    for key in ("nic", "box"):
        if key in data:
            changes[key] = reader.string(data[key], key, Msg("write it in quotes"))
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
                Msg(
                    "{path}: cannot read the lab file ({strerror}). Fix: give the path of "
                    "an existing TOML file",
                    path=path,
                    strerror=exc.strerror,
                )
            ) from None
        except UnicodeDecodeError:
            raise LabFileError(
                Msg("{path}: not UTF-8 text. Fix: save the lab file as UTF-8", path=path)
            ) from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise LabFileError(
                Msg(
                    "{path}: not valid TOML ({exc}). Fix: correct the syntax at that line",
                    path=path,
                    exc=exc,
                )
            ) from None
        spec = parse_lab(data, str(path))
    if name is not None:
        spec = replace(spec, name=name)
        validate(spec, "--name")
    return spec
