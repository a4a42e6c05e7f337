"""One node brought to its role's state through its transport: the OS family's recipe, then one
script that writes the role's files where they differ, sets the lab's sysctls and starts (or
restarts) its daemons, saying what it changed."""

from __future__ import annotations

import base64
import shlex
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from labtool import runner
from labtool.errors import LabtoolError
from labtool.i18n import Msg
from labtool.provision.files import (
    Versions,
    parse_haproxy_version,
    parse_keepalived_version,
)
from labtool.resources import data_dir
from labtool.spec import roles
from labtool.spec.model import Node
from labtool.transport.base import Transport

REMOTE_DIR = "/var/tmp/labtool-provision"
RECIPE_FILES = ("common.sh", "selinux-firewalld.sh", "debian.sh", "el.sh", "centos7.sh")
VRRP_STARTED = "Entering BACKUP STATE"
VRRP_STARTED_TIMEOUT_S = 10.0


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

    def describe(self) -> str:
        what = self.recipe + [f"wrote {f}" for f in self.files] + self.services
        return f"{self.node} ({self.family or 'this machine'}): " + ("; ".join(what) or "no change")


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
        Msg(
            "no provisioning recipe for this system (ID={ident}). Fix: use a "
            "Debian, CentOS 7 or EL 8/9 box",
            ident=repr(ident),
        )
    )


VERSIONS_SCRIPT = (
    "haproxy -v 2>&1; echo @@; keepalived --version 2>&1; echo @@; "
    "test -e /proc/net/ip_vs && echo ipvs"
)


def _parse_versions(out: str) -> Versions:
    haproxy, _, rest = out.partition("@@")
    keepalived, _, ipvs = rest.partition("@@")
    return Versions(
        parse_haproxy_version(haproxy), parse_keepalived_version(keepalived), "ipvs" in ipvs
    )


def versions_on(transport: Transport) -> Versions:
    """The daemons' versions where they run, in one round trip."""
    return _parse_versions(transport.run(VERSIONS_SCRIPT).stdout)


def local_versions() -> Versions:
    """The daemons' versions on this machine (nodes that run this machine's daemons)."""
    return _parse_versions(runner.run(["/bin/sh", "-c", VERSIONS_SCRIPT], timeout_s=30).stdout)


def _check(result_ok: bool, node: str, what: str, detail: str) -> None:
    if not result_ok:
        raise LabtoolError(
            Msg("{node}: {what} failed: {detail}", node=node, what=what, detail=detail)
        )


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
    changes.recipe += [
        line.removeprefix("changed: ")
        for line in result.stdout.splitlines()
        if line.startswith("changed: ")
    ]


def _flag(service: roles.Service) -> str:
    return f"restart_{service.name}"


def apply_script(
    files: Mapping[str, str],
    sysctls: Mapping[str, str],
    services: Sequence[roles.Service],
    restart: Sequence[roles.Service] = (),
    *,
    fresh: bool = False,
) -> str:
    """One shell script that brings a node to its desired state and says what it changed
    (`wrote PATH`, `sysctl LINE`, `start UNIT`, `restart UNIT`, `enable UNIT`). Files are
    written in place (a node's /etc/hosts may be a bind-mounted file), only where they differ.
    On a `fresh` node, just made with no daemon running, nothing is compared or asked first.
    Its daemons end enabled, as the lab's steps leave them: a boot starts them again."""
    lines = ["set -u"]
    lines += [f"{_flag(s)}=1" for s in restart]
    for path, content in files.items():
        data = shlex.quote(base64.b64encode(content.encode()).decode())
        target = shlex.quote(path)
        watcher = next(
            (s for r in roles.ROLE_SERVICES.values() for s in r if s.config == path), None
        )
        on_change = f" && {_flag(watcher)}=1" if watcher else ""
        differs = "true" if fresh else f"! printf %s {data} | base64 -d | cmp -s - {target}"
        mode = "755" if content.startswith("#!") else "644"  # a script: executable
        lines.append(
            f"if {differs}; then "
            f"mkdir -p $(dirname {target}) && printf %s {data} | base64 -d > {target} "
            f"&& chmod {mode} {target} && echo wrote {target}{on_change} "
            f"|| {{ echo 'cannot write {path}' >&2; exit 1; }}; fi"
        )
    if sysctls:
        lines.append("touch /etc/sysctl.conf")
        for key, value in sysctls.items():
            line = shlex.quote(f"{key}={value}")
            lines.append(
                f"grep -qx {line} /etc/sysctl.conf || {{ echo {line} >> /etc/sysctl.conf "
                f"&& echo sysctl {line}; }}"
            )
        settings = " ".join(shlex.quote(f"{k}={v}") for k, v in sysctls.items())
        lines.append(f"sysctl -qw {settings} || exit 1")
    # On a fresh load balancer, keepalived need not wait for HAProxy to finish starting, only
    # for its process to exist: its track script (`killall -0 haproxy`) runs at once, and a
    # first failure would hold VRRP's start back a whole interval.
    overlap = fresh and [s for s in services if s in (roles.HAPROXY, roles.KEEPALIVED)] == [
        roles.HAPROXY,
        roles.KEEPALIVED,
    ]
    for service in services:
        block = _service_block(service, fresh)
        if overlap and service is roles.HAPROXY:
            lines += ["(", *block, ") & tracked=$!"]
            lines.append(
                "n=0; until killall -0 haproxy 2>/dev/null || [ $n -ge 400 ]; "
                "do n=$((n + 1)); sleep 0.005; done"
            )
        else:
            lines += block
    if overlap:
        lines.append("wait $tracked || exit 1")
    for service in services:  # enabled, as the lab's steps do: a boot starts them again
        lines.append(service.unit_script())
        enable = 'systemctl enable --quiet $unit >/dev/null 2>&1 && echo "enable $unit"'
        check = "" if fresh else "systemctl is-enabled --quiet $unit 2>/dev/null || "
        lines.append(f"{check}{{ {enable}; }} || :")  # (a boot's concern: never fails the run)
    return "\n".join(lines) + "\n"


def _service_block(service: roles.Service, fresh: bool) -> list[str]:
    """Shell that starts the service if it is stopped, restarts it if its flag is set."""
    flag = _flag(service)
    return [
        service.unit_script(),
        "if false; then" if fresh else "if systemctl is-active --quiet $unit; then",
        f'  if [ -n "${{{flag}:-}}" ]; then verb=restart; else verb=; fi',
        "else verb=start; fi",
        'if [ -n "$verb" ]; then',
        '  if out=$(systemctl $verb $unit 2>&1); then echo "$verb $unit"',
        '  else echo "systemctl $verb $unit failed: $out" >&2;'
        " (journalctl -u $unit -n 8 --no-pager 2>/dev/null"
        " || systemctl status $unit 2>&1 | tail -n 8) >&2; exit 1; fi",
        "fi",
    ]


def apply(
    node: Node,
    transport: Transport,
    changes: NodeChanges,
    files: Mapping[str, str],
    services: Sequence[roles.Service],
    restart: Sequence[roles.Service] = (),
    sysctls: Mapping[str, str] | None = None,
    *,
    fresh: bool = False,
) -> None:
    """Run the node's desired-state script through its transport; record what changed.
    The role's sysctls unless others are given."""
    if sysctls is None:
        sysctls = roles.ROLE_SYSCTLS[node.role]
    script = apply_script(files, sysctls, services, restart, fresh=fresh)
    # As the command itself, not its stdin (Fabric feeds stdin one byte at a time).
    result = transport.run(script, timeout_s=180)
    if not result.succeeded:
        raise LabtoolError(
            Msg(
                "{name}: {value}",
                name=node.name,
                value=result.stderr.strip() or result.describe_failure(),
            )
        )
    for line in result.stdout.splitlines():
        verb, _, what = line.partition(" ")
        if verb == "wrote":
            changes.files.append(what)
        elif verb == "sysctl":
            changes.recipe.append(f"{what} in /etc/sysctl.conf")
        elif verb in ("start", "restart", "enable"):
            changes.services.append(line)


def systemctl(transport: Transport, node: str, verb: str, name: str) -> None:
    """`systemctl VERB` of a role's service by any of its names, under the node's unit name."""
    try:
        service = roles.service_named(name)
        command = f"{service.unit_script()}; systemctl {shlex.quote(verb)} $unit"
    except KeyError:
        command = shlex.join(["systemctl", verb, name])
    result = transport.run(command, timeout_s=60)
    if not result.succeeded:
        raise LabtoolError(
            Msg(
                "{node}: systemctl {verb} {name} failed: {why}",
                node=node,
                verb=verb,
                name=name,
                why=result.describe_failure(),
            )
        )


def wait_vrrp_started(
    node: Node, transport: Transport, timeout_s: float = VRRP_STARTED_TIMEOUT_S
) -> None:
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
        time.sleep(0.025)
    log = transport.run("tail -n 5 /var/log/keepalived.log 2>/dev/null").stdout.strip()
    raise LabtoolError(
        f"{node.name}: keepalived did not start its VRRP instance within {timeout_s:.0f} s"
        + (f". Its log says:\n{log}" if log else "")
    )
