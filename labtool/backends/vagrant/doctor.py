"""What the machine needs for the Vagrant backend: vagrant, a compatible provider, and a
host-only network range the provider accepts. Reads only; prints nothing."""

from __future__ import annotations

import contextlib
import ipaddress
import re
import shutil
from pathlib import Path

from labtool import runner
from labtool.backends.vagrant.host import Host, host_checks
from labtool.doctor import Check
from labtool.errors import EnvironmentProblem
from labtool.i18n import Msg
from labtool.spec.model import LabSpec

VBOX_DEFAULT_RANGE = ipaddress.IPv4Network("192.168.56.0/21")
VBOX_NETWORKS_CONF = Path("/etc/vbox/networks.conf")
# VirtualBox release -> the first Vagrant release that drives it.
VBOX_NEEDS_VAGRANT = {(7, 1): (2, 4, 2)}


def version_of(text: str, parts: int) -> tuple[int, ...] | None:
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", text)
    if not match:
        return None
    return tuple(int(x or 0) for x in match.groups()[:parts])


def check_vagrant() -> tuple[Check, tuple[int, ...] | None]:
    if not shutil.which("vagrant"):
        return Check(
            "vagrant",
            False,
            "vagrant is not installed",
            "apt-get install -y --no-install-recommends vagrant (Debian), or the "
            "release from HashiCorp for a newer one",
        ), None
    out = runner.run(
        ["vagrant", "--version"],
        timeout_s=60,
        env={"VAGRANT_CHECKPOINT_DISABLE": "1", "PATH": "/usr/bin:/bin"},
    )
    version = version_of(out.stdout, 3)
    return Check("vagrant", True, out.stdout.strip() or "vagrant (version unknown)"), version


def check_provider(provider: str, vagrant: tuple[int, ...] | None) -> list[Check]:
    if provider == "virtualbox":
        if not shutil.which("VBoxManage"):
            return [
                Check(
                    "virtualbox",
                    False,
                    "VirtualBox is not installed (no VBoxManage)",
                    "install VirtualBox from virtualbox.org, or use another provider: "
                    "labtool up --backend vagrant --provider libvirt",
                )
            ]
        text = runner.run(["VBoxManage", "--version"], timeout_s=30).stdout.strip()
        found = version_of(text, 2)
        needed = VBOX_NEEDS_VAGRANT.get((found[0], found[1])) if found else None
        if needed and vagrant and vagrant < needed:
            return [
                Check(
                    "virtualbox",
                    False,
                    f"VirtualBox {text} needs Vagrant >= "
                    f"{'.'.join(map(str, needed))}, this is "
                    f"{'.'.join(map(str, vagrant))}",
                    "install a newer Vagrant from HashiCorp, or an older VirtualBox",
                )
            ]
        return [Check("virtualbox", True, f"VirtualBox {text}")]
    if provider == "libvirt":
        checks = []
        plugins = runner.run(
            ["vagrant", "plugin", "list"],
            timeout_s=60,
            env={"VAGRANT_CHECKPOINT_DISABLE": "1", "PATH": "/usr/bin:/bin"},
        )
        checks.append(
            Check(
                "vagrant-libvirt",
                "vagrant-libvirt" in plugins.stdout,
                "vagrant-libvirt plugin"
                + (" present" if "vagrant-libvirt" in plugins.stdout else " missing"),
                "apt-get install -y --no-install-recommends vagrant-libvirt",
            )
        )
        virsh = shutil.which("virsh")
        checks.append(
            Check(
                "libvirt",
                bool(virsh),
                "libvirt " + ("present" if virsh else "missing"),
                "apt-get install -y --no-install-recommends libvirt-daemon-system "
                "libvirt-clients qemu-system-x86",
            )
        )
        return checks
    return [Check(provider, True, "not checked by labtool: follow the provider's own guide")]


def check_hostonly_range(spec: LabSpec, provider: str) -> Check:
    """VirtualBox >= 6.1.28 only allows host-only networks in 192.168.56.0/21 unless
    /etc/vbox/networks.conf allows more."""
    if provider != "virtualbox":
        return Check("host-only range", True, f"{spec.subnet}: no range limit for {provider}")
    allowed = [VBOX_DEFAULT_RANGE]
    if VBOX_NETWORKS_CONF.exists():
        for line in VBOX_NETWORKS_CONF.read_text().splitlines():
            if line.strip().startswith("*"):
                for word in line.split()[1:]:
                    with contextlib.suppress(ValueError):
                        allowed.append(ipaddress.IPv4Network(word, strict=False))
    if any(spec.subnet.subnet_of(net) for net in allowed):
        return Check("host-only range", True, f"{spec.subnet} is allowed by VirtualBox")
    return Check(
        "host-only range",
        False,
        f"{spec.subnet} is outside VirtualBox's allowed host-only range "
        f"({', '.join(map(str, allowed))})",
        f'echo "* {spec.subnet.supernet(new_prefix=8)} {VBOX_DEFAULT_RANGE}" | '
        f"sudo tee -a {VBOX_NETWORKS_CONF}   (or move the lab: labtool up --lab "
        "examples/virtualbox-range.toml)",
    )


# The boxes labtool knows, the python3 the probe agent runs on there, and what ran on each.
BOXES = (
    "CentOS 7 (the lab's centos7-custom, centos/7): python3 3.6 from its base repository (the "
    "vault), installed by the recipe; the agent's code is held to 3.6 (vermin), not yet run "
    "on a CentOS 7 VM here",
    "AlmaLinux/Rocky 9: python3 3.9; Vagrantfile validated, not booted here",
    "Debian 12: python3 3.11; every scenario runs on it in the end-to-end test",
    "Ubuntu 22.04: python3 3.10; not booted here",
)


def box_check(box: str) -> Check:
    """What is known of the lab's box (information, never a failure)."""
    return Check("boxes", True, f"this lab's box: {box}. Known: " + "; ".join(BOXES))


def vagrant_checks(spec: LabSpec, provider: str, host: Host | None = None) -> list[Check]:
    checks = host_checks(host or Host.here(), provider)
    checks.append(box_check(spec.box))
    vagrant, version = check_vagrant()
    checks.append(vagrant)
    if vagrant.ok:
        checks += check_provider(provider, version)
    checks.append(check_hostonly_range(spec, provider))
    return checks


def require(provider: str) -> None:
    """Refuse, in one message with its fix, a machine without vagrant or the provider."""
    vagrant, version = check_vagrant()
    checks = [vagrant]
    if vagrant.ok:
        checks += check_provider(provider, version)
    for check in checks:
        if not check.ok:
            raise EnvironmentProblem(
                Msg("{detail}. Fix: {fix}", detail=check.detail, fix=check.fix)
            )
