"""Provisioning through any transport (layer 4): roles to their desired state, idempotent.

Per node: the OS family's recipe from provision/ (packages, the lab's sysctls, SELinux and
firewalld where they apply), then the role's files rendered from the lab's own configs
(written only where they differ), then its daemons, started or restarted only if needed and
in the lab's order (keepalived on the intended MASTER first). A second run changes nothing
and says so. The same code provisions netns nodes over SSH and Vagrant machines.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from labtool.errors import LabtoolError
from labtool.parallel import for_each_node
from labtool.provisioning import (
    Adaptation,
    Versions,
    adaptations,
    parse_haproxy_version,
    parse_keepalived_version,
    render_node_files,
)
from labtool.resources import data_dir
from labtool.spec import LabSpec, Node
from labtool.transport.base import Transport

REMOTE_DIR = "/var/tmp/labtool-provision"
RECIPE_FILES = ("common.sh", "selinux-firewalld.sh", "debian.sh", "el.sh", "centos7.sh")
SERVICES = {"web": ("httpd",), "lb": ("haproxy", "keepalived"), "client": ()}
# which files a running daemon must re-read
RESTART_ON = {
    "/etc/haproxy/haproxy.cfg": "haproxy",
    "/etc/keepalived/keepalived.conf": "keepalived",
}
VRRP_STARTED = "Entering BACKUP STATE"


@dataclass
class NodeChanges:
    node: str
    family: str = ""
    recipe: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.recipe or self.files or self.services)


def os_family(os_release: str) -> str:
    """debian, centos7 or el, from /etc/os-release."""
    fields = dict(line.split("=", 1) for line in os_release.splitlines() if "=" in line)
    ident = fields.get("ID", "").strip('"')
    version = fields.get("VERSION_ID", "").strip('"').split(".")[0]
    like = fields.get("ID_LIKE", "").strip('"').split()
    if ident == "centos" and version == "7":
        return "centos7"
    if ident in ("debian", "ubuntu") or "debian" in like:
        return "debian"
    if ident in ("almalinux", "rocky", "rhel", "centos", "fedora") or "rhel" in like:
        return "el"
    raise LabtoolError(
        f"no provisioning recipe for this system (ID={ident!r}). Fix: use a "
        "Debian, CentOS 7 or EL 8/9 box"
    )


def versions_on(transport: Transport) -> Versions:
    """The daemons' versions where they run (not on this machine)."""
    haproxy = transport.run("haproxy -v 2>&1")
    keepalived = transport.run("keepalived --version 2>&1")
    ipvs = transport.run(["test", "-e", "/proc/net/ip_vs"]).succeeded
    return Versions(
        parse_haproxy_version(haproxy.stdout), parse_keepalived_version(keepalived.stdout), ipvs
    )


def _check(result_ok: bool, node: str, what: str, detail: str) -> None:
    if not result_ok:
        raise LabtoolError(f"{node}: {what} failed: {detail}")


def run_recipe(node: Node, transport: Transport, changes: NodeChanges) -> None:
    changes.family = os_family(transport.run(["cat", "/etc/os-release"]).stdout)
    made = transport.run(["mkdir", "-p", REMOTE_DIR])
    _check(made.succeeded, node.name, f"mkdir {REMOTE_DIR}", made.describe_failure())
    folder = data_dir("provision")
    for name in RECIPE_FILES:
        transport.put(f"{REMOTE_DIR}/{name}", (folder / name).read_text(), 0o755)
    script = f"{REMOTE_DIR}/{changes.family}.sh"
    result = transport.run(f"bash {shlex.quote(script)} {node.role}", timeout_s=1800)
    _check(result.succeeded, node.name, f"the {changes.family} recipe", result.describe_failure())
    changes.recipe = [
        line.removeprefix("changed: ")
        for line in result.stdout.splitlines()
        if line.startswith("changed: ")
    ]


def write_files(
    node: Node, transport: Transport, files: Mapping[str, str], changes: NodeChanges
) -> None:
    for path, content in files.items():
        current = transport.run(["cat", path])
        if current.succeeded and current.stdout == content:
            continue
        transport.put(path, content)
        changes.files.append(path)


def unit_name(transport: Transport, service: str) -> str:
    """The lab says httpd (CentOS); Debian's unit is apache2 and has no httpd alias."""
    if (
        service == "httpd"
        and transport.run(["test", "-e", "/lib/systemd/system/apache2.service"]).succeeded
    ):
        return "apache2"
    return service


def journal_tail(transport: Transport, service: str) -> str:
    """The daemon's last words, for an error message a student can act on."""
    out = transport.run(
        f"journalctl -u {shlex.quote(service)} -n 8 --no-pager 2>/dev/null "
        f"|| systemctl status {shlex.quote(service)} 2>&1 | tail -n 8"
    )
    return out.stdout.strip()


def _is_active(transport: Transport, service: str) -> bool:
    return transport.run(["systemctl", "is-active", "--quiet", service]).succeeded


def ensure_services(
    node: Node, transport: Transport, changes: NodeChanges, only: tuple[str, ...] | None = None
) -> None:
    """Start what is stopped; restart what must re-read a changed file."""
    restart = {RESTART_ON[f] for f in changes.files if f in RESTART_ON}
    for service in SERVICES[node.role]:
        if only is not None and service not in only:
            continue
        service = unit_name(transport, service)
        if not _is_active(transport, service):
            verb = "start"
        elif service in restart:
            verb = "restart"
        else:
            continue
        result = transport.run(["systemctl", verb, service], timeout_s=120)
        _check(
            result.succeeded,
            node.name,
            f"systemctl {verb} {service}",
            result.describe_failure() + "\n" + journal_tail(transport, service),
        )
        changes.services.append(f"{verb} {service}")


def wait_vrrp_started(node: Node, transport: Transport, timeout_s: float = 10.0) -> None:
    """Until the MASTER's keepalived counts down (its log; the journal on systemd hosts)."""
    probe = (
        f"grep -qs '{VRRP_STARTED}' /var/log/keepalived.log /var/log/messages "
        f"/var/log/syslog || journalctl -u keepalived --no-pager 2>/dev/null | "
        f"grep -q '{VRRP_STARTED}'"
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if transport.run(probe).succeeded:
            return
        time.sleep(0.05)
    raise LabtoolError(
        f"{node.name}: keepalived did not start its VRRP instance within {timeout_s:.0f} s"
    )


def converge(
    spec: LabSpec,
    transports: Mapping[str, Transport],
    on_adaptation: Callable[[Adaptation], None] | None = None,
) -> list[NodeChanges]:
    """Provision every node; returns what changed where (nothing, on a second run)."""
    lbs = spec.lb_start_order()
    versions = versions_on(transports[lbs[0].name])
    for change in adaptations(spec, versions):
        if on_adaptation:
            on_adaptation(change)
    found = {n.name: NodeChanges(n.name) for n in spec.nodes}

    def prepare(node: Node) -> None:
        transport = transports[node.name]
        run_recipe(node, transport, found[node.name])
        write_files(node, transport, render_node_files(spec, node, versions), found[node.name])
        ensure_services(
            node, transport, found[node.name], only=None if node.role != "lb" else ("haproxy",)
        )

    for_each_node(spec.nodes, prepare)
    first, *others = lbs
    ensure_services(first, transports[first.name], found[first.name], only=("keepalived",))
    if any(s.endswith("keepalived") for s in found[first.name].services):
        wait_vrrp_started(first, transports[first.name])
    for node in others:
        ensure_services(node, transports[node.name], found[node.name], only=("keepalived",))
    return [found[n.name] for n in spec.nodes]
