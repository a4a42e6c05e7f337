"""A submission's own plan (its node names, addresses, VIP, NIC) and what reading one needs: file
names a report or a page may have, natural order, same-subnet test."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path

from labtool.configs.common import decode
from labtool.grading.submission.configset import (
    MAX_FILE_BYTES,
    Reader,
)
from labtool.spec.model import LabSpec

PAGE_FOLDERS = ("/var/www/html", "/usr/share/nginx/html", "/var/www")
INDEX_NAMES = ("index.html", "index.htm", "index.php", "index.nginx-debian.html")
REPORT_NAMES = (
    "report.md",
    "rapport.md",
    "compte-rendu.md",
    "compte_rendu.md",
    "cr.md",
    "readme.md",
    "report.txt",
    "rapport.txt",
)


SHARED_WORDS = (
    "both",
    "deux",
    "les 2",
    "the 2",
    "identique",
    "same",
    "meme",
    "pareil",
    "tous",
    "each",
    "chaque",
    "commun",
)


LOCAL = ("127.", "localhost", "0.0.0.0")


def natural(name: str) -> tuple[object, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name.lower()))


@dataclass
class Plan:
    """The submission's lab as its files show it."""

    lbs: list[str] = field(default_factory=list)  # load balancers, the intended MASTER first
    webs: list[str] = field(default_factory=list)  # web nodes, in order
    vip: str | None = None
    nics: dict[str, str] = field(default_factory=dict)  # load balancer -> its VRRP interface
    servers: list[tuple[str, str]] = field(default_factory=list)  # serving backend: name, addr
    addresses: dict[str, str] = field(default_factory=dict)  # node -> address (if shown)
    shared: bool = False  # one file for both load balancers (loose or pasted once)
    fragments: set[str] = field(default_factory=set)  # haproxy.cfg labels: only the edited part
    shown_nics: dict[str, list[str]] = field(default_factory=dict)  # `ip a` pasted: NIC -> IPs
    # machines with no NAT NIC, as its Vagrantfile or report says (Hyper-V: eth0, their one
    # NIC, is on the switch the other machines are on)
    without_nat: bool = False
    report: str | None = None  # the answer sheet's file name in the submission (its label)
    report_files: list[str] = field(default_factory=list)  # what it is read from, in order

    @property
    def nic(self) -> str | None:
        found = set(self.nics.values())
        return found.pop() if len(found) == 1 else None

    def web_addresses(self, spec: LabSpec) -> dict[str, str]:
        """What the web nodes should be: address -> name. The lab's when the submission uses
        the lab's network, else the addresses it shows for its web nodes, else its servers."""
        names = self.webs or [n.name for n in spec.by_role("web")]
        lab = [str(n.address) for n in spec.by_role("web")]
        if self.vip is not None and same_net(self.vip, str(spec.vip)):
            return {
                address: (names[i] if i < len(names) else f"web{i + 1}")
                for i, address in enumerate(lab)
            }
        shown = [self.addresses[w] for w in self.webs if w in self.addresses]
        if len(shown) >= max(2, len(self.webs)):
            return {a: w for w, a in zip(self.webs, shown, strict=False)}
        return {
            address: (names[i] if i < len(names) else name)
            for i, (name, address) in enumerate(self.servers)
        }

    def real_nics(self) -> frozenset[str]:
        """The NICs an `ip a` pasted in the submission shows on the VIP's network: the
        machines' real NIC for the lab's network."""
        if self.vip is None:
            return frozenset()
        return frozenset(
            nic
            for nic, addresses in self.shown_nics.items()
            if any(same_net(a, self.vip) and a != self.vip for a in addresses)
        )

    def nat_nics(self, lab_nic: str) -> frozenset[str]:
        """The NICs that are Vagrant's NAT on the students' machines, where no advert reaches
        the other load balancer: those an `ip a` pasted shows on Vagrant's NAT networks
        (VirtualBox's 10.0.2.0/24, vagrant-libvirt's 192.168.121.0/24), and eth0, the NAT on
        a Vagrant lab whose own network is on another NIC, unless the `ip a` shows the lab's
        network on it, or the machines have no NAT (Hyper-V)."""
        nat = {
            nic
            for nic, addresses in self.shown_nics.items()
            if any(a.startswith(("10.0.2.", "192.168.121.")) for a in addresses)
        }
        if lab_nic != "eth0" and "eth0" not in self.real_nics() and not self.without_nat:
            nat.add("eth0")
        return frozenset(nat - self.real_nics())

    def web_count(self, spec: LabSpec) -> int:
        return max(len(self.webs), len(spec.by_role("web")))

    def is_labs(self, spec: LabSpec) -> bool:
        served = {a for _, a in self.servers}
        labs = {str(n.address) for n in spec.by_role("web")}
        return (self.vip in (None, str(spec.vip))) and (not served or served <= labs)


def same_net(a: str, b: str) -> bool | None:
    """Two addresses in one /24 (the lab's networks are), or None when one is not an address."""
    try:
        return (
            ipaddress.ip_interface(f"{a}/24").network == ipaddress.ip_interface(f"{b}/24").network
        )
    except ValueError:
        return None


def entries_of(root: Path) -> list[str]:
    try:
        return sorted(
            (
                p.name
                for p in root.iterdir()
                if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")
            ),
            key=natural,
        )
    except OSError:
        return []


def page_of(read: Reader, node: str) -> tuple[str, bytes] | None:
    for folder in PAGE_FOLDERS:
        for name in INDEX_NAMES:
            data = read(node, f"{folder}/{name}")
            if data is not None:
                return f"{folder}/{name}", data
    return None


def read_text_quietly(path: Path) -> str:
    if path.is_symlink() or not path.is_file():
        return ""
    with path.open("rb") as handle:
        return decode(handle.read(MAX_FILE_BYTES))


def markdown_names(root: Path) -> list[str]:
    try:
        return sorted(
            p.name
            for p in root.iterdir()
            if p.is_file()
            and not p.is_symlink()
            and p.suffix.lower() in (".md", ".txt", ".markdown")
        )
    except OSError:
        return []


def lab_lbs(spec: LabSpec) -> list[str]:
    return [n.name for n in spec.by_role("lb")]
