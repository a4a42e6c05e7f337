"""What this machine needs to run a lab, checked before anything is created.

`labtool doctor` prints every check; `require()` raises one message naming what is missing and
the exact command that installs it. Only reads the machine (plus a throwaway namespace test).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

from labtool import runner
from labtool.errors import EnvironmentProblem

# binary -> (Debian package, what the lab uses it for)
NETNS_BINARIES: dict[str, tuple[str, str]] = {
    "unshare": ("util-linux", "creates each node's namespaces"),
    "nsenter": ("util-linux", "runs commands inside a node"),
    "ip": ("iproute2", "builds the lab LAN (bridge, veth, addresses)"),
    "tini": ("tini", "PID 1 of each node: reaps its orphans"),
    "keepalived": ("keepalived", "VRRP: the VIP on the load balancers"),
    "haproxy": ("haproxy", "load balancing to the web nodes"),
    "apache2ctl": ("apache2", "the web servers"),
    "killall": ("psmisc", "the lab's track_script 'killall -0 haproxy'"),
    "sysctl": ("procps", "the lab's ip_forward and ip_nonlocal_bind settings"),
    "curl": ("curl", "HTTP from the client node through the VIP"),
    "bash": ("bash", "'labtool shell'"),
    "nft": ("nftables", "the split-brain scenario: cuts VRRP between the load balancers"),
}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def install_command(packages: list[str]) -> str:
    return "apt-get install -y " + " ".join(sorted(set(packages)))


def check_root() -> Check:
    if os.geteuid() == 0:
        return Check("root", True, "running as root")
    return Check(
        "root",
        False,
        "labtool needs root to create namespaces and start daemons",
        "run it as root, e.g. 'sudo labtool ...'",
    )


def check_binaries() -> list[Check]:
    checks = []
    for binary, (package, purpose) in NETNS_BINARIES.items():
        path = shutil.which(binary)
        if path:
            checks.append(Check(binary, True, f"{path} ({purpose})"))
        else:
            checks.append(Check(binary, False, f"missing: {purpose}", install_command([package])))
    return checks


def check_namespaces() -> Check:
    """Make (and drop at once) a throwaway node-like namespace set with a veth pair in it."""
    result = runner.run(
        [
            "unshare",
            "--net",
            "--mount",
            "--pid",
            "--uts",
            "--ipc",
            "--fork",
            "--kill-child",
            "--",
            "ip",
            "link",
            "add",
            "ltcheck0",
            "type",
            "veth",
            "peer",
            "name",
            "ltcheck1",
        ],
        timeout_s=20,
    )
    if result.succeeded:
        return Check(
            "namespaces", True, "network, mount, PID, UTS and IPC namespaces and veth links work"
        )
    return Check(
        "namespaces",
        False,
        f"cannot create namespaces: {result.describe_failure()}",
        "run on a Linux kernel with namespaces enabled, as root, outside a "
        "container that forbids unshare",
    )


def versions() -> list[Check]:
    checks = []
    for argv in (["keepalived", "--version"], ["haproxy", "-v"], ["apache2ctl", "-v"]):
        if shutil.which(argv[0]):
            out = runner.run(argv, timeout_s=10)
            first = (out.stdout + out.stderr).strip().splitlines()
            checks.append(Check(f"{argv[0]} version", True, first[0] if first else "?"))
    return checks


def all_checks() -> list[Check]:
    root = check_root()
    checks = [root, *check_binaries()]
    if root.ok and all(c.ok for c in checks if c.name in ("unshare", "ip")):
        checks.append(check_namespaces())
    return checks + versions()


def require() -> None:
    """Refuse to start a lab on a machine that cannot run it (one message, nothing created)."""
    root = check_root()
    if not root.ok:
        raise EnvironmentProblem(f"{root.detail}. Fix: {root.fix}")
    missing = [c for c in check_binaries() if not c.ok]
    if missing:
        packages = [NETNS_BINARIES[c.name][0] for c in missing]
        names = ", ".join(c.name for c in missing)
        raise EnvironmentProblem(
            f"missing on this machine: {names}. Fix: {install_command(packages)}"
        )


def require_root() -> None:
    root = check_root()
    if not root.ok:
        raise EnvironmentProblem(f"{root.detail}. Fix: {root.fix}")
