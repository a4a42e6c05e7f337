"""What in a submission's nodes could lead off the lab, read from their links and routing tables
before `labtool grade --run` breaks its cluster (no packet is sent). Its faults are measured by
the scenario engine's probes (grading/run/faults.py)."""

from __future__ import annotations

from labtool.backends.base import Backend
from labtool.spec.model import LabSpec


def routes_off_lab(spec: LabSpec, backend: Backend) -> dict[str, list[str]]:
    """Per node, what could lead off the lab, read from its links and routing table (no packet
    is sent): a link other than its loopback and its lab NIC, or a route through one."""
    found: dict[str, list[str]] = {}
    allowed = {"lo", spec.nic}
    for node in spec.nodes:
        if not backend.is_up(node.name):
            continue
        transport = backend.transport(node.name)
        links = transport.run(["ip", "-o", "link", "show"], timeout_s=10).stdout
        routes = transport.run(["ip", "-4", "route", "show", "table", "all"], timeout_s=10).stdout
        bad = [
            f"link {name}"
            for line in links.splitlines()
            if len(line.split(":")) > 2
            and (name := line.split(":")[1].strip().split("@")[0]) not in allowed
        ]
        for line in routes.splitlines():
            words = line.split()
            device = words[words.index("dev") + 1] if "dev" in words[:-1] else None
            if device not in allowed:
                bad.append(f"route {line.strip()}")
        if bad:
            found[node.name] = bad
    return found
