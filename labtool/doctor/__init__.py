"""What this machine needs to run a lab, checked before anything is created.

`labtool doctor` prints every check; `require()` raises one message naming what is missing and
the exact command that installs it. Only reads the machine (plus a throwaway namespace test).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from labtool import ids, runner
from labtool.errors import EnvironmentProblem
from labtool.i18n import Msg

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


ROOT_FOR_GRADING = "grading by running needs root: each submission's lab is bounded by a cgroup"
ROOT_FOR_SERVING = (
    "serving a class needs root: each student's lab is bounded by cgroups of its own and "
    "given ids of its own"
)


def check_root(why: str = ROOT_FOR_GRADING) -> Check:
    """Root only where root is needed (grade --run's bounds, serve's); see check_user for
    labs."""
    if os.geteuid() == 0:
        return Check("root", True, "running as root")
    return Check("root", False, why, "run it as root, e.g. 'sudo labtool ...'")


# What refuses a normal user's user namespaces: (file, refusing value, setting, allowing value)
USERNS_SYSCTLS = (
    ("/proc/sys/user/max_user_namespaces", "0", "user.max_user_namespaces", "15000"),
    (
        "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
        "1",
        "kernel.apparmor_restrict_unprivileged_userns",
        "0",
    ),
    ("/proc/sys/kernel/unprivileged_userns_clone", "0", "kernel.unprivileged_userns_clone", "1"),
)


def userns_refused(sysctls: tuple[tuple[str, str, str, str], ...] = USERNS_SYSCTLS) -> str | None:
    """Why this kernel refuses a normal user's user namespaces, with both fixes; None if not."""
    for path, refusing, name, allowing in sysctls:
        try:
            value = Path(path).read_text().strip()
        except OSError:
            continue
        if value == refusing:
            return (
                f"this kernel refuses user namespaces to normal users ({name}={value}), and a "
                f"lab without root is made of them. Fix: sudo sysctl -w {name}={allowing} (to "
                f"keep it: echo '{name}={allowing}' | sudo tee /etc/sysctl.d/60-labtool.conf), "
                "or run the lab as root: sudo labtool up"
            )
    return None


def check_user() -> list[Check]:
    """Who runs the labs: root, or a normal user through user namespaces (and their ids)."""
    if os.geteuid() == 0:
        return [Check("user", True, "root: each lab's nodes run as a block of unused ids")]
    refused = userns_refused()
    if refused:
        detail, _, fix = refused.partition(". Fix: ")
        return [Check("user namespaces", False, detail, fix)]
    try:
        mapped = ids.for_user(os.geteuid(), os.getegid())
    except EnvironmentProblem as exc:
        detail, _, fix = exc.message.partition(". Fix: ")
        return [Check("user namespaces", False, detail, fix)]
    first = mapped.uids[1]
    return [
        Check(
            "user namespaces",
            True,
            f"not root: labs run in a user namespace of yours (its root is you; ids 1-"
            f"{first[2]} are your range from {first[1]})",
        )
    ]


def check_binaries() -> list[Check]:
    checks = []
    for binary, (package, purpose) in NETNS_BINARIES.items():
        path = runner.which(binary)
        if path:
            checks.append(Check(binary, True, f"{path} ({purpose})"))
        else:
            checks.append(Check(binary, False, f"missing: {purpose}", install_command([package])))
    return checks


def check_namespaces() -> Check:
    """Make (and drop at once) a throwaway node-like namespace set with a veth pair in it, in
    a user namespace as a lab's are."""
    result = runner.run(
        [
            "unshare",
            "--user",
            "--map-root-user",
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
            "namespaces",
            True,
            "user, network, mount, PID, UTS and IPC namespaces and veth links work",
        )
    return Check(
        "namespaces",
        False,
        f"cannot create namespaces: {result.describe_failure()}",
        "run on a Linux kernel with user namespaces enabled, outside a container that "
        "forbids unshare",
    )


def versions() -> list[Check]:
    checks = []
    for argv in (["keepalived", "--version"], ["haproxy", "-v"], ["apache2ctl", "-v"]):
        path = runner.which(argv[0])
        if path:
            out = runner.run([path, *argv[1:]], timeout_s=10)
            lines = (out.stdout + out.stderr).strip().splitlines()
            # (apache2ctl says first, to a normal user, that it cannot make /var/run/apache2)
            said = [line for line in lines if "version" in line.lower()] or lines
            checks.append(Check(f"{argv[0]} version", True, said[0] if said else "?"))
    return checks


def all_checks() -> list[Check]:
    user = check_user()
    checks = [*user, *check_binaries()]
    if all(c.ok for c in user) and all(c.ok for c in checks if c.name in ("unshare", "ip")):
        checks.append(check_namespaces())
    return checks + versions()


def require() -> None:
    """Refuse to start a lab on a machine that cannot run it (one message, nothing created)."""
    for check in check_user():
        if not check.ok:
            raise EnvironmentProblem(
                Msg("{detail}. Fix: {fix}", detail=check.detail, fix=check.fix)
            )
    missing = [c for c in check_binaries() if not c.ok]
    if missing:
        packages = [NETNS_BINARIES[c.name][0] for c in missing]
        names = ", ".join(c.name for c in missing)
        raise EnvironmentProblem(
            Msg(
                "missing on this machine: {names}. Fix: {install_command}",
                names=names,
                install_command=install_command(packages),
            )
        )


def require_root(why: str = ROOT_FOR_GRADING) -> None:
    root = check_root(why)
    if not root.ok:
        raise EnvironmentProblem(Msg("{detail}. Fix: {fix}", detail=root.detail, fix=root.fix))
