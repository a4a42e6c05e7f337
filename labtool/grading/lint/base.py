"""What every lint rule shares: the target plan, where a finding points, numbers as configs write
them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from labtool.configs.keepalived_model import Statement
from labtool.spec.model import LabSpec

SLOW_DETECT_S = 15.0  # a lost web node marked DOWN later than this is "slow to detect"
SLOW_TAKEOVER_S = 5.0  # a VIP that moves later than this after its master is lost is "slow"
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
SHELL = frozenset(
    {
        "sudo",
        "systemctl",
        "service",
        "vim",
        "vi",
        "nano",
        "cp",
        "mv",
        "echo",
        "yum",
        "dnf",
        "apt",
        "apt-get",
        "cat",
        "curl",
        "ip",
        "chmod",
        "setsebool",
        "firewall-cmd",
        "haproxy",
        "keepalived",
        "reboot",
        "$",
        "#!/bin/bash",
    }
)


@dataclass(frozen=True)
class Target:
    """What the configs are checked against: the lab's plan (`labtool lint` of a lab), or the
    plan a submission shows (`labtool grade`: its VIP, its NIC, its web nodes)."""

    vip: str | None
    nic: str | None  # None: any name, as long as both load balancers agree
    webs: dict[str, str] = field(default_factory=dict)  # address -> web node
    web_count: int = 2
    lb_addresses: dict[str, str] = field(default_factory=dict)  # load balancer -> address
    fragments: frozenset[str] = frozenset()  # haproxy.cfg labels that hold only edited parts
    real_nics: frozenset[str] = frozenset()  # the lab network's NIC, as an `ip a` shows it
    nat_nics: frozenset[str] = frozenset()  # Vagrant's NAT NIC on the students' machines

    @classmethod
    def of_spec(cls, spec: LabSpec) -> Target:
        return cls(
            str(spec.vip),
            spec.nic,
            {str(n.address): n.name for n in spec.by_role("web")},
            len(spec.by_role("web")),
            {n.name: str(n.address) for n in spec.by_role("lb")},
        )


def int_value(statement: Statement | None, low: int, high: int) -> int | None:
    if statement is None or not statement.args:
        return None
    try:
        value = int(statement.args[0])
    except ValueError:
        return None
    return value if low <= value <= high else None


def vips_of(instance: Statement) -> list[str]:
    block = instance.first("virtual_ipaddress")
    return sorted(c.keyword.split("/")[0] for c in (block.children or [])) if block else []


def is_dynamic(page: str) -> bool:
    """A page that prints which server answered (PHP's gethostname(), SSI...)."""
    return bool(re.search(r"<\?php|<!--#echo|\$_SERVER|gethostname|php_uname", page))
