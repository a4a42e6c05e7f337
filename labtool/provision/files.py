"""Provisioning (layer 4): each role's files rendered from the lab's own configs.

The templates in provision/templates/ are the seed's configs. They are changed only where the
installed versions require it, and each change is an `Adaptation` that labtool prints, so the
student learns why. Rendering is pure; applying the files is the backend's job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from labtool.resources import data_dir
from labtool.spec.model import LabSpec, Node

if TYPE_CHECKING:
    import jinja2


@dataclass(frozen=True)
class Versions:
    """What is installed where the daemons run (None: not installed)."""

    haproxy: tuple[int, int] | None
    keepalived: tuple[int, int, int] | None
    ipvs: bool  # the ip_vs kernel module is loaded (keepalived's LVS sync daemon needs it)

    @property
    def haproxy_text(self) -> str:
        return ".".join(map(str, self.haproxy)) if self.haproxy else "?"

    @property
    def keepalived_text(self) -> str:
        return ".".join(map(str, self.keepalived)) if self.keepalived else "?"


@dataclass(frozen=True)
class Adaptation:
    """One change to the lab's own config, and why the installed version needs it."""

    file: str
    lab_line: str
    used_lines: str
    reason: str


def parse_haproxy_version(text: str) -> tuple[int, int] | None:
    match = re.search(r"(?:HAProxy|HA-Proxy) version (\d+)\.(\d+)", text)
    return (int(match[1]), int(match[2])) if match else None


def parse_keepalived_version(text: str) -> tuple[int, int, int] | None:
    match = re.search(r"Keepalived v(\d+)\.(\d+)\.(\d+)", text)
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def needs_frontend_bind(versions: Versions) -> bool:
    """HAProxy >= 1.6 no longer reads an address on the `frontend` line... 2.x refuses it."""
    return versions.haproxy is None or versions.haproxy >= (2, 0)


def keeps_lvs_sync(versions: Versions) -> bool:
    """keepalived 1.x takes `lvs_sync_daemon_interface`; 2.x fails to start without IPVS."""
    return (versions.keepalived is not None and versions.keepalived < (2, 0, 0)) or versions.ipvs


def adaptations(spec: LabSpec, versions: Versions) -> list[Adaptation]:
    """The changes made to the lab's configs for these versions, with their reasons."""
    changes: list[Adaptation] = []
    if needs_frontend_bind(versions):
        changes.append(
            Adaptation(
                "/etc/haproxy/haproxy.cfg",
                "frontend  main *:80",
                "frontend  main\n    bind *:80",
                f"HAProxy {versions.haproxy_text} refuses an address on the 'frontend' line "
                "(\"please use the 'bind' keyword\"); HAProxy 1.5, the lab's, accepted it",
            )
        )
    if not keeps_lvs_sync(versions):
        changes.append(
            Adaptation(
                "/etc/keepalived/keepalived.conf",
                f"lvs_sync_daemon_interface {spec.nic}",
                "(removed)",
                f"keepalived {versions.keepalived_text} declares it deprecated and fails to start "
                "where IPVS is absent; it syncs LVS connections, which HAProxy does not use",
            )
        )
    return changes


def _environment() -> jinja2.Environment:
    import jinja2  # (here: `labtool up` imports it while its first node is made)

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_dir("provision") / "templates")),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render_node_files(spec: LabSpec, node: Node, versions: Versions) -> dict[str, str]:
    """Absolute path on the node -> content, for every file the node's role needs."""
    env = _environment()
    context = {
        "spec": spec,
        "node": node,
        "nodes": spec.nodes,
        "webs": spec.by_role("web"),
        "vrrp": spec.vrrp,
        "vip": spec.vip,
        "nic": spec.nic,
        "broadcast": spec.subnet.broadcast_address,
        "frontend_bind": needs_frontend_bind(versions),
        "lvs_sync": keeps_lvs_sync(versions),
        "haproxy_version": versions.haproxy_text,
        "keepalived_version": versions.keepalived_text,
    }
    files = {"/etc/hosts": env.get_template("hosts.j2").render(context)}
    if node.role == "lb":
        files["/etc/keepalived/keepalived.conf"] = env.get_template("keepalived.conf.j2").render(
            context
        )
        files["/etc/haproxy/haproxy.cfg"] = env.get_template("haproxy.cfg.j2").render(context)
    elif node.role == "web":
        files["/var/www/html/index.html"] = env.get_template("index.html.j2").render(context)
    return files


def render_hosts(spec: LabSpec, node: Node) -> str:
    """/etc/hosts alone (a bare node gets only this from labtool)."""
    return (
        _environment()
        .get_template("hosts.j2")
        .render({"node": node, "nodes": spec.nodes, "vip": spec.vip})
    )
