"""The two steps that read a config: keepalived.conf (MASTER or BACKUP, the pair's VRID,
authentication and VIP) and haproxy.cfg (the lab's three edits), with labtool's own parsers."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from labtool.configs.haproxy import parse_haproxy
from labtool.configs.keepalived import parse_keepalived
from labtool.configs.keepalived_model import Statement
from labtool.spec.model import Node
from labtool.steps.model import Step

if TYPE_CHECKING:
    from labtool.steps.check import Checker

KEEPALIVED_CONF = "/etc/keepalived/keepalived.conf"
HAPROXY_CFG = "/etc/haproxy/haproxy.cfg"


def _instance(checker: Checker, node: str) -> Statement | None:
    text = checker.read(node, KEEPALIVED_CONF)
    if text is None:
        return None
    instances = parse_keepalived(text, f"{node}{KEEPALIVED_CONF}").instances()
    return instances[0] if instances else None


def _vip(instance: Statement) -> str | None:
    block = instance.first("virtual_ipaddress")
    children = block.children if block else None
    return children[0].keyword.split("/")[0] if children else None


def _auth(instance: Statement) -> tuple[str | None, str | None]:
    block = instance.first("authentication")
    return (block.value("auth_type"), block.value("auth_pass")) if block else (None, None)


def vrrp_missing(checker: Checker, step: Step, node: Node) -> list[str]:
    finding = checker.finding
    instance = _instance(checker, node.name)
    if instance is None:
        return [finding("no vrrp_instance in {file}", file=KEEPALIVED_CONF)]
    missing = []
    state = (instance.value("state") or "").upper()
    if state != step.args["state"]:
        missing.append(
            finding("state {state}, not {wanted}", state=state or "?", wanted=step.args["state"])
        )
    vip = _vip(instance)
    if vip != str(checker.spec.vip):
        missing.append(
            finding(
                "VIP {vip}, not the lab's ({lab_vip})", vip=vip or "?", lab_vip=checker.spec.vip
            )
        )
    nic = instance.value("interface")
    if nic != checker.spec.nic:
        missing.append(
            finding(
                "interface {nic}, not {lab_nic} (ip a)", nic=nic or "?", lab_nic=checker.spec.nic
            )
        )
    if step.args["state"] == "BACKUP":  # the pair: the same as the MASTER's
        first = checker.spec.by_role("lb")[0].name
        master = _instance(checker, first)
        if master is not None:
            for what, mine, theirs in (
                (
                    "virtual_router_id",
                    instance.value("virtual_router_id"),
                    master.value("virtual_router_id"),
                ),
                ("authentication", _auth(instance), _auth(master)),
            ):
                if mine != theirs:
                    missing.append(finding("{what} differs from {first}'s", what=what, first=first))
    return missing


def _port_80(words: list[str]) -> bool:
    return any(re.search(r"(^|:)80$", w.split(",")[0]) for w in words)


def haproxy_missing(checker: Checker, node: Node) -> list[str]:
    finding = checker.finding
    text = checker.read(node.name, HAPROXY_CFG)
    if text is None:
        return [finding("no {file}", file=HAPROXY_CFG)]
    config = parse_haproxy(text, f"{node.name}{HAPROXY_CFG}")
    missing = []
    fronts = config.frontends()
    if not any(
        _port_80(f.args) or any(_port_80(b.words[1:2]) for b in f.all("bind")) for f in fronts
    ):
        missing.append(finding("no frontend on port 80 (CentOS 7's listens on 5000)"))
    if any(line.words[:2] == ["use_backend", "static"] for f in fronts for line in f.lines):
        missing.append(finding("'use_backend static if url_static' is not commented out"))
    apps = [s for s in config.of_kind("backend") if s.name == "app"]
    if len(apps) > 1:
        missing.append(
            finding(
                "{count} 'backend app' sections: the lab's lines were added after CentOS 7's own "
                "instead of replacing it; HAProxy refuses two backends of one name",
                count=len(apps),
            )
        )
    elif not apps:
        missing.append(finding("no 'backend app'"))
    servers = [s for app in apps[-1:] for s in app.servers()]
    for web in checker.spec.by_role("web"):
        line = next((s for s in servers if s.words[2].split(":")[0] == str(web.address)), None)
        if line is None:
            missing.append(
                finding(
                    "backend app has no server {address} ({name})",
                    address=web.address,
                    name=web.name,
                )
            )
        elif "check" not in line.words[3:]:
            missing.append(finding("server {address} has no 'check'", address=web.address))
    return missing
