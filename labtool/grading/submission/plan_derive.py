"""The plan as the submission's own configs and report show it: the addresses it uses, the VIP, the
NIC, the web nodes its HAProxy serves."""

from __future__ import annotations

import re
from collections import Counter

from labtool.configs.haproxy import HaproxyConfig, Section
from labtool.configs.keepalived_model import KeepalivedConfig
from labtool.grading.submission.configset import (
    ConfigSet,
)
from labtool.grading.submission.plan_base import LOCAL, Plan

IPV4 = r"(?<![\d.])((?:\d{1,3}\.){3}\d{1,3})(?![\d.])"


def _shown_addresses(texts: list[str], nodes: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for text in texts:
        for line in text.splitlines():  # a table row: | web1 | 192.168.56.21 |
            if not line.lstrip().startswith("|"):
                continue
            cells = [c.strip(" `*").lower() for c in line.strip().strip("|").split("|")]
            addresses = re.findall(IPV4, line)
            for node in nodes:
                if node.lower() in cells and len(addresses) == 1 and node not in found:
                    found[node] = addresses[0]
        current = None  # a Vagrantfile: config.vm.define "web1" ... ip: "..."
        for line in text.splitlines():
            define = re.search(r"""define\s+["'](\S+?)["']""", line)
            if define:
                current = define.group(1)
            ip = re.search(r"""ip:\s*["']""" + IPV4, line)
            if ip and current in nodes and current not in found:
                found[current] = ip.group(1)
    return found


IP_A_NIC = re.compile(r"^\s*\d+:\s+([A-Za-z][\w.-]{0,14})(?:@\S+)?:\s+<")
IP_A_INET = re.compile(r"^\s*inet\s+" + IPV4 + r"/\d+")


# Vagrant's providers whose machines have no NAT NIC: Hyper-V's (its `config.vm.provider`, or
# the report naming it)
WITHOUT_NAT = re.compile(r"hyper-?v(?![a-z])", re.I)


def _ip_a(texts: list[str]) -> dict[str, list[str]]:
    """`ip a` output pasted in a report: each NIC and its IPv4 addresses."""
    found: dict[str, list[str]] = {}
    current = None
    for text in texts:
        for line in text.splitlines():
            nic = IP_A_NIC.match(line)
            if nic:
                current = nic.group(1)
                found.setdefault(current, [])
                continue
            inet = IP_A_INET.match(line)
            if inet and current is not None:
                found[current].append(inet.group(1))
    return {nic: addresses for nic, addresses in found.items() if nic != "lo"}


def serving_backends(config: HaproxyConfig) -> list[Section]:
    """The sections that serve the site: the frontends' default_backend/use_backend targets
    and the listen sections with servers (a stats-only listen serves nothing)."""
    found: list[Section] = []
    for section in config.frontends():
        if section.kind == "listen":
            if section.servers():
                found.append(section)
            continue
        names = [ln.words[1] for ln in section.all("default_backend") if len(ln.words) > 1]
        names += [ln.words[1] for ln in section.all("use_backend") if len(ln.words) > 1]
        for name in names:  # (every section of that name: HAProxy refuses two, see lint)
            found += [b for b in config.backends() if b.name == name and b not in found]
    if not found:  # a fragment with only a backend
        found = [b for b in config.of_kind("backend") if b.servers()][:1]
    return found


def derive(configs: ConfigSet, plan: Plan, texts: list[str]) -> None:
    vips: Counter[str] = Counter()
    for node in plan.lbs:
        config: KeepalivedConfig | None = configs.keepalived.get(node)
        if config is None:
            continue
        instances = config.instances()
        if not instances:
            continue
        first = instances[0]
        nic = first.value("interface")
        if nic:
            plan.nics[node] = nic
        block = first.first("virtual_ipaddress")
        for child in (block.children or [])[:1] if block else []:
            vips[child.keyword.split("/")[0]] += 1
        src = first.value("unicast_src_ip")
        if src:
            plan.addresses.setdefault(node, src)
    if vips:
        plan.vip = vips.most_common(1)[0][0]
    for label, config_h in configs.haproxy.items():
        if not config_h.of_kind("global") and not config_h.of_kind("defaults"):
            plan.fragments.add(config_h.file)
        if not plan.servers and label in plan.lbs[:1]:
            for backend in serving_backends(config_h):
                plan.servers += [
                    (s.words[1], s.words[2].rsplit(":", 1)[0])
                    for s in backend.servers()
                    if not s.words[2].startswith(LOCAL)
                ]
    for node, address in _shown_addresses(texts, plan.lbs + plan.webs).items():
        plan.addresses.setdefault(node, address)
    plan.shown_nics = _ip_a(texts)
    plan.without_nat = any(WITHOUT_NAT.search(text) for text in texts)
