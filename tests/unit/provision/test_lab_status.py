"""lab_missing: what `labtool up` and the scenarios look at to say a lab is whole (a stand-in
backend answers node_status here; the real netns backend is in the integration tests)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from labtool.backends.base import NodeStatus
from labtool.provision.lab_status import lab_missing
from labtool.spec.load import default_spec

VIP = "10.0.0.10"


def backend_with(
    down: set[str] = frozenset(),
    dead: set[str] = frozenset(),  # type: ignore[assignment]
    holders: set[str] = frozenset({"haproxy1"}),
):  # type: ignore[assignment]
    spec = default_spec()
    asked: list[tuple[str, bool]] = []

    def node_status(name: str, addresses: bool = True) -> NodeStatus:
        asked.append((name, addresses))
        node = spec.node(name)
        daemons = {
            d: d not in dead
            for d in (["keepalived", "haproxy"] if node.role == "lb" else ["httpd"])
        }
        addrs = [str(node.address)] + ([VIP] if name in holders and addresses else [])
        return NodeStatus(name, node.role, str(node.address), name not in down, daemons, addrs)

    return SimpleNamespace(spec=spec, node_status=node_status, asked=asked)


def test_a_whole_lab_misses_nothing() -> None:
    assert lab_missing(backend_with()) == []  # type: ignore[arg-type]


def test_each_thing_missing_is_named() -> None:
    backend = backend_with(down={"web1"}, dead={"haproxy"}, holders=set())
    missing = lab_missing(backend)  # type: ignore[arg-type]
    assert "web1 is down" in missing
    assert "haproxy1: haproxy stopped" in missing and "haproxy2: haproxy stopped" in missing
    assert "VIP held by no node" in missing


def test_two_vip_holders_is_a_split_brain() -> None:
    missing = lab_missing(backend_with(holders={"haproxy1", "haproxy2"}))  # type: ignore[arg-type]
    assert missing == ["VIP held by ['haproxy1', 'haproxy2']"]


def test_a_bare_lab_needs_only_its_nodes_up() -> None:
    backend = backend_with(dead={"keepalived", "haproxy", "httpd"}, holders=set())
    assert lab_missing(backend, bare=True) == []  # type: ignore[arg-type]
    assert not any(addresses for _, addresses in backend.asked)  # (no address looked up)
    assert lab_missing(backend_with(down={"haproxy2"}), bare=True) == ["haproxy2 is down"]  # type: ignore[arg-type]


def test_a_vip_held_twice_says_what_of_the_machine_may_have_split_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """status on a split brain: the backend's word on the machine (netns: the neighbour table
    full since boot, with the fix); nothing said with one holder."""
    from labtool.backends.netns import NetnsBackend
    from labtool.doctor import Check
    from labtool.provision import lab

    class Split(SimpleNamespace):
        @classmethod
        def split_brain_cause(cls) -> str | None:
            return NetnsBackend.split_brain_cause()

        def memory_kib(self) -> int:
            return 1

    full = Check("neighbour table", False, "full 3 time(s) since boot", "as root, sysctl -w x=1")
    monkeypatch.setattr("labtool.backends.netns.neighbours_check", lambda: full)
    state = SimpleNamespace(backend="netns", phase="up", halted=[])
    for holders, said in (({"haproxy1", "haproxy2"}, True), ({"haproxy1"}, False)):
        stand_in = backend_with(holders=holders)
        backend = Split(node_status=stand_in.node_status)
        opened = (stand_in.spec, state, backend)
        monkeypatch.setattr(lab, "open_lab", lambda name, opened=opened: opened)
        found = lab.status("tp")
        cause = found.as_dict()["split_brain_cause"]
        assert (cause is not None) == said
        if said:
            assert "full 3 time(s)" in str(cause) and "Fix: as root, sysctl -w x=1" in str(cause)
