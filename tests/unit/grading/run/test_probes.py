"""What in a grade --run node's links and routes could lead off the lab (read, never sent to)."""

from __future__ import annotations

from types import SimpleNamespace

from labtool.grading.run import probes as run_probes
from labtool.runner import CommandResult
from labtool.spec.load import default_spec


class FakeTransport:
    def __init__(self, links: str, routes: str) -> None:
        self.out = {"link": links, "route": routes}

    def run(self, argv: list[str], timeout_s: float = 10) -> CommandResult:
        return CommandResult(tuple(argv), 0, self.out["link" if "link" in argv else "route"], "")


def test_a_node_with_only_its_lab_nic_has_no_way_off() -> None:
    spec = default_spec()
    links = "1: lo: <LOOPBACK,UP> mtu 65536\n2: eth1@if7: <BROADCAST,UP> mtu 1500\n"
    routes = (
        "10.0.0.0/24 dev eth1 proto kernel scope link src 10.0.0.11\n"
        "local 10.0.0.11 dev eth1 table local proto kernel scope host\n"
        "local 127.0.0.1 dev lo table local proto kernel scope host\n"
    )
    backend = SimpleNamespace(
        is_up=lambda n: True, transport=lambda n: FakeTransport(links, routes)
    )
    assert run_probes.routes_off_lab(spec, backend) == {}  # type: ignore[arg-type]
    links += "3: eth0: <BROADCAST,UP> mtu 1500\n"
    routes += "default via 192.168.1.1 dev eth0\n"
    backend = SimpleNamespace(
        is_up=lambda n: n == "web1", transport=lambda n: FakeTransport(links, routes)
    )
    found = run_probes.routes_off_lab(spec, backend)  # type: ignore[arg-type]
    assert list(found) == ["web1"]
    assert found["web1"] == ["link eth0", "route default via 192.168.1.1 dev eth0"]
