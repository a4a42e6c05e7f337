"""The lab `labtool grade --run` builds from one submission: its own plan (node names, addresses,
VIP, NIC), its keepalived.conf and haproxy.cfg on each load balancer, its pages on each web
node; or why it cannot be run. Pure: reading and deciding only; run_class.py builds it."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from labtool.grading.lint.daemons import FRONTEND_ADDRESS, adapt_for_2x
from labtool.grading.lint.refusals import refusals
from labtool.grading.run import confine
from labtool.grading.run.nodes import address_in, free_address, lb_nodes, node_name, web_nodes
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
from labtool.spec import roles
from labtool.spec.model import LabSpec, Node

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


def marked(page: str, node: str) -> str:
    """The page with the node's name first, as an HTML comment."""
    return f"<!-- {node} -->\n{page}"


def _told_apart(run: RunLab, webs: tuple[Node, ...] | list[Node], said: set[str]) -> None:
    """Web nodes serving the same page: each page marked with its node (the probes tell the
    web node that answered by its page), said."""
    page = "/var/www/html/index.html"
    texts = [run.files[n.name][page] for n in webs]
    alike = [n for n in webs if texts.count(run.files[n.name][page]) > 1]
    for node in alike:
        run.files[node.name][page] = marked(run.files[node.name][page], node.name)
    if alike:
        said.add(
            f"{', '.join(run.shown(n.name) or n.name for n in alike)} serve the same page: a "
            "comment naming the node put at its top, to tell which one answered"
        )


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
    lbs, refused = _runnable(configs, plan, lab)
    if refused is not None or plan.vip is None:
        return RunLab(refused=refused or "no VIP")
    net = ipaddress.IPv4Interface(f"{plan.vip}/24").network
    vip = ipaddress.IPv4Address(plan.vip)
    servers = _servers(plan, net)
    if isinstance(servers, str):
        return RunLab(refused=servers)
    used = {vip, *servers}
    taken: set[str] = set()
    run = RunLab(adaptations=[])
    nodes = web_nodes(plan, lab, net, servers, used, taken, run.names)
    lbs_made = lb_nodes(configs, plan, lbs, net, used, taken, run.names)
    client_name = "client" if "client" not in taken else node_name("probes", taken, "client")
    client = Node(client_name, "client", free_address(net, used, [100, 250]))
    run.spec = LabSpec(
        name=name,
        subnet=net,
        vip=vip,
        nic=plan.nics.get(lbs[0]) or lab.nic,
        vrrp=lab.vrrp,
        nodes=(*lbs_made, *nodes, client),
    )
    said: set[str] = set()
    for node, lb in zip(lbs_made, lbs, strict=True):
        run.files[node.name] = _lb_files(configs, plan, lb, root, versions, said, which)
    for node in nodes:
        raw = run.names[node.name]
        page = configs.pages.get(raw)
        if page is None:
            page = f"{raw}\n"
            said.add(f"{raw}: no page in the submission; labtool's names the node")
        run.files[node.name] = {"/var/www/html/index.html": page}
    _told_apart(run, nodes, said)
    run.adaptations = sorted(said)
    return run


def _runnable(configs: ConfigSet, plan: Plan, lab: LabSpec) -> tuple[list[str], str | None]:
    """Its load balancers, or why it is not run."""
    refused = refusals(configs)
    if refused:
        return [], "; ".join(f"{f.file}: {f.message}" for f in refused)
    lbs = [n for n in (plan.lbs or [x.name for x in lab.by_role("lb")]) if n in configs.keepalived]
    if not lbs:
        return [], "no keepalived.conf to run"
    missing = [n for n in lbs if n not in configs.haproxy]
    if missing:
        return [], f"{missing[0]} has no haproxy.cfg to run"
    if plan.vip is None or address_in(plan.vip, ipaddress.IPv4Network("0.0.0.0/0")) is None:
        return [], "no VIP (virtual_ipaddress) in its keepalived.conf"
    return lbs, None


def _servers(plan: Plan, net: ipaddress.IPv4Network) -> list[ipaddress.IPv4Address] | str:
    """The web nodes where its HAProxy sends requests, by their addresses; or why not run."""
    servers: list[ipaddress.IPv4Address] = []
    for _, text in plan.servers:
        try:
            address = ipaddress.IPv4Address(text)
        except ValueError:
            return f"its servers are named by host name ({text}): give addresses"
        if address not in net:
            return (
                f"its server {address} is not on the VIP's network {net} (labtool builds one LAN)"
            )
        if address not in servers:
            servers.append(address)
    return servers


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
    haproxy = confine.with_stats_socket(haproxy, roles.STATS_SOCKET)
    return {
        **_extra_files(root, lb),
        KEEPALIVED_CONF: keepalived,
        HAPROXY_CFG: haproxy,
    }
