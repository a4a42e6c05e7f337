"""The lab `labtool grade --run` builds from one submission: its own plan (node names, addresses,
VIP, NIC), its keepalived.conf and haproxy.cfg on each load balancer, its pages on each web
node; or why it cannot be run. Pure: reading and deciding only; run_class.py builds it."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from labtool.grading.lint.daemons import FRONTEND_ADDRESS, adapt_for_2x
from labtool.grading.lint.refusals import refusals
from labtool.grading.run import confine
from labtool.grading.submission.configset import (
    HAPROXY_CFG,
    KEEPALIVED_CONF,
    MAX_FILE_BYTES,
    ConfigSet,
)
from labtool.grading.submission.plan_base import Plan
from labtool.provision.files import (
    Versions,
    keeps_lvs_sync,
    needs_frontend_bind,
    render_hosts,
    render_node_files,
)
from labtool.spec.model import LabSpec, Node

NAME = re.compile(r"^[a-z][a-z0-9-]{0,14}$")
RESERVED = ("lan", "client")  # the LAN's holder, and the probes' node
OWN_FOLDERS = ("/etc/keepalived", "/etc/haproxy")  # a node's other files there are laid too
MAX_EXTRA_FILES = 20


@dataclass
class RunLab:
    """A submission's lab, ready to build; or `refused`, why it is not run."""

    spec: LabSpec | None = None
    files: dict[str, dict[str, str]] = field(default_factory=dict)  # node -> path -> text
    names: dict[str, str] = field(default_factory=dict)  # lab node -> the submission's name
    adaptations: list[str] = field(default_factory=list)
    refused: str | None = None

    def shown(self, node: str | None) -> str | None:
        """A node as the submission names it."""
        return None if node is None else self.names.get(node, node)

    def render(self, spec: LabSpec, node: Node, versions: Versions) -> dict[str, str]:
        """The provisioning path's files for a node: the submission's (the lab's /etc/hosts)."""
        own = self.files.get(node.name)
        if own is None:  # the probes' client
            return render_node_files(spec, node, versions)
        return {"/etc/hosts": render_hosts(spec, node), **own}


def _name(raw: str, taken: set[str], role: str) -> str:
    name = re.sub(r"[^a-z0-9-]", "-", raw.lower()).strip("-")[:15]
    if not NAME.match(name) or name in RESERVED:
        name = (role + "-" + name)[:15].rstrip("-") if name else role
    base, n = name, 2
    while name in taken or not NAME.match(name):
        name = f"{base[:12]}-{n}"
        n += 1
    taken.add(name)
    return name


def _ip(text: str | None, net: ipaddress.IPv4Network) -> ipaddress.IPv4Address | None:
    try:
        address = ipaddress.IPv4Address((text or "").strip())
    except ValueError:
        return None
    return address if address in net else None


def _free(
    net: ipaddress.IPv4Network, used: set[ipaddress.IPv4Address], wanted: list[int]
) -> ipaddress.IPv4Address:
    for host in [*wanted, *range(254, 1, -1)]:
        address = ipaddress.IPv4Address(int(net.network_address) + host)
        if address not in used and address in net and address != net.broadcast_address:
            used.add(address)
            return address
    raise ValueError(f"no free address left on {net}")


def _extra_files(root: Path | None, node: str) -> dict[str, str]:
    """Other files the submission has in the node's keepalived and haproxy folders (its
    track scripts, included files), laid beside its configs."""
    found: dict[str, str] = {}
    if root is None:
        return found
    for folder in OWN_FOLDERS:
        base = root / node / folder.lstrip("/")
        if not base.is_dir() or base.is_symlink():
            continue
        for path in sorted(base.rglob("*")):
            if len(found) >= MAX_EXTRA_FILES:
                return found
            relative = "/" + str(path.relative_to(root / node))
            if (
                path.is_symlink()
                or not path.is_file()
                or relative in (KEEPALIVED_CONF, HAPROXY_CFG)
            ):
                continue
            if any(part.startswith(".") for part in path.relative_to(base).parts):
                continue
            with path.open("rb") as handle:
                data = handle.read(MAX_FILE_BYTES)
            found[relative] = data.decode("utf-8", "replace")
    return found


def prepare(
    configs: ConfigSet,
    plan: Plan,
    lab: LabSpec,
    versions: Versions,
    root: Path | None = None,
    name: str = "grade",
    which: Callable[[str], str | None] | None = None,
) -> RunLab:
    """The submission's lab as a spec and files per node, or why it is not run."""
    refused = refusals(configs)
    if refused:
        return RunLab(refused="; ".join(f"{f.file}: {f.message}" for f in refused))
    lbs = [n for n in (plan.lbs or [x.name for x in lab.by_role("lb")]) if n in configs.keepalived]
    if not lbs:
        return RunLab(refused="no keepalived.conf to run")
    missing = [n for n in lbs if n not in configs.haproxy]
    if missing:
        return RunLab(refused=f"{missing[0]} has no haproxy.cfg to run")
    if plan.vip is None or _ip(plan.vip, ipaddress.IPv4Network("0.0.0.0/0")) is None:
        return RunLab(refused="no VIP (virtual_ipaddress) in its keepalived.conf")
    net = ipaddress.IPv4Interface(f"{plan.vip}/24").network
    vip = ipaddress.IPv4Address(plan.vip)
    used = {vip}
    # The web nodes where its HAProxy sends requests: its servers' addresses first.
    servers: list[ipaddress.IPv4Address] = []
    for _, text in plan.servers:
        try:
            address = ipaddress.IPv4Address(text)
        except ValueError:
            return RunLab(refused=f"its servers are named by host name ({text}): give addresses")
        if address not in net:
            return RunLab(
                refused=f"its server {address} is not on the VIP's network {net} (labtool "
                "builds one LAN)"
            )
        if address not in servers:
            servers.append(address)
    used |= set(servers)
    lab_webs = [n.address for n in lab.by_role("web")]
    webs = plan.webs or [n.name for n in lab.by_role("web")]
    taken: set[str] = set()
    nodes: list[Node] = []
    run = RunLab(adaptations=[])
    web_addresses: list[ipaddress.IPv4Address] = list(servers)
    for i, web in enumerate(webs):
        if i < len(web_addresses):
            continue
        shown = _ip(plan.addresses.get(web), net)
        candidate = shown or (lab_webs[i] if i < len(lab_webs) and lab_webs[i] in net else None)
        if candidate is None or candidate in used:
            candidate = _free(net, used, [21 + i])
        used.add(candidate)
        web_addresses.append(candidate)
    for i, address in enumerate(web_addresses):
        raw = webs[i] if i < len(webs) else f"web{i + 1}"
        nodes.append(Node(_name(raw, taken, "web"), "web", address))
        run.names[nodes[-1].name] = raw
    lb_nodes: list[Node] = []
    for i, lb in enumerate(lbs):
        instance = next(iter(configs.keepalived[lb].instances()), None)
        state = (instance.value("state") or "BACKUP").upper() if instance else "BACKUP"
        try:
            priority = int(instance.value("priority") or 100) if instance else 100
        except ValueError:
            priority = 100
        shown = _ip(plan.addresses.get(lb), net)
        address = shown if shown is not None and shown not in used else _free(net, used, [11 + i])
        used.add(address)
        node = Node(
            _name(lb, taken, "lb"),
            "lb",
            address,
            "MASTER" if state == "MASTER" else "BACKUP",
            max(1, min(priority, 255)),
        )
        lb_nodes.append(node)
        run.names[node.name] = lb
    client_name = "client" if "client" not in taken else _name("probes", taken, "client")
    client = Node(client_name, "client", _free(net, used, [100, 250]))
    nic = plan.nics.get(lbs[0]) or lab.nic
    run.spec = LabSpec(
        name=name,
        subnet=net,
        vip=vip,
        nic=nic,
        vrrp=lab.vrrp,
        nodes=(*lb_nodes, *nodes, client),
    )
    said: set[str] = set()
    for node, lb in zip(lb_nodes, lbs, strict=True):
        run.files[node.name] = _lb_files(configs, plan, lb, root, versions, said, which)
    for node in nodes:
        raw = run.names[node.name]
        page = configs.pages.get(raw)
        if page is None:
            page = f"{raw}\n"
            said.add(f"{raw}: no page in the submission; labtool's names the node")
        run.files[node.name] = {"/var/www/html/index.html": page}
    run.adaptations = sorted(said)
    return run


def _lb_files(
    configs: ConfigSet,
    plan: Plan,
    lb: str,
    root: Path | None,
    versions: Versions,
    said: set[str],
    which: Callable[[str], str | None] | None,
) -> dict[str, str]:
    keepalived = configs.text_of(lb, "keepalived").decode("utf-8", "replace")
    haproxy = configs.text_of(lb, "haproxy").decode("utf-8", "replace")
    if not keeps_lvs_sync(versions):
        keepalived, had = confine.without_lvs_sync(keepalived)
        if had:
            said.add(
                f"lvs_sync_daemon_interface left out: keepalived {versions.keepalived_text} "
                "refuses to start with it where IPVS is absent (as labtool up does)"
            )
    keepalived, changes = (
        confine.confine_keepalived(keepalived, which)
        if which
        else confine.confine_keepalived(keepalived)
    )
    said.update(changes)
    if configs.haproxy[lb].file in plan.fragments:
        from labtool.spec.load import default_spec

        lab = default_spec()
        full = render_node_files(lab, lab.by_role("lb")[0], versions)[HAPROXY_CFG]
        head = full[: full.index("\nfrontend")]
        haproxy = head + "\n\n" + haproxy
        said.add("haproxy.cfg is only its frontend/backend: the lab's global and defaults added")
    if needs_frontend_bind(versions) and any(
        FRONTEND_ADDRESS.match(line) for line in haproxy.splitlines()
    ):
        haproxy, _ = adapt_for_2x(haproxy)
        said.add(
            f"an address on a frontend/listen line made a 'bind' line: HAProxy "
            f"{versions.haproxy_text} refuses it, 1.5 (the lab's) took it (as labtool up does)"
        )
    haproxy, changes = confine.run_as_user(haproxy)
    said.update(changes)
    return {
        **_extra_files(root, lb),
        KEEPALIVED_CONF: keepalived,
        HAPROXY_CFG: haproxy,
    }
