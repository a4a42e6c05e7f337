"""A node's addresses read from here (probes.addresses), run for real on this namespace's
loopback: a sleeping process stands for the node (its end, the node's); a netlink socket on
loopback needs no root. Both ways the socket is opened: entering the network namespace from a
thread (root), and the helper that hands it over (a normal user; forced here for root)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from labtool.backends.base_types import NodeHere
from labtool.probes import addresses
from labtool.probes.addresses import AddressWatch
from labtool.probes.argv import handover_program

HELPER = handover_program([sys.executable, "-S", "labtool/probes/agent.py"])


@pytest.fixture
def node() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(["sleep", "60"])
    yield proc
    proc.kill()
    proc.wait()


def _watch(
    node: subprocess.Popen[bytes], lines: list[dict[str, object]], log: Path
) -> AddressWatch:
    here = NodeHere(Path(f"/proc/{node.pid}/ns/net"), os.pidfd_open(node.pid))
    return AddressWatch(
        "watcher on lo",
        lambda fd: [*HELPER, "lo", str(fd)],
        {"PATH": os.environ["PATH"]},
        lambda line: lines.append(json.loads(line)),
        here,
        "lo",
        duration_s=30,
        log=log,
    )


def _until(condition: object, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.02)


@pytest.fixture(params=["entered", "handed over"])
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "handed over" or os.geteuid() != 0:

        def refused(here: NodeHere, nic: str) -> object:
            raise PermissionError(1, "not root")

        monkeypatch.setattr(addresses, "opened_in", refused)
    return str(request.param)


def test_it_reports_the_addresses_then_ends_when_the_node_goes(
    way: str, node: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    lines: list[dict[str, object]] = []
    watch = _watch(node, lines, tmp_path / "watch.log")
    ended: list[bool] = []
    watch.on_end = lambda: ended.append(True)
    _until(lambda: watch.ready_at is not None)
    assert lines[0]["kind"] == "agent" and "127.0.0.1" in lines[0]["addresses"]  # type: ignore[operator]
    assert watch.alive
    node.kill()
    _until(lambda: ended)
    assert not watch.alive and watch.exit_code == 0
    assert lines[-1] == {**lines[-1], "kind": "agent", "state": "stopped"}
    log = (tmp_path / "watch.log").read_text()
    assert ("handover.py lo" in log) == (way == "handed over")


def test_it_stops_when_asked(node: subprocess.Popen[bytes], tmp_path: Path) -> None:
    lines: list[dict[str, object]] = []
    watch = _watch(node, lines, tmp_path / "watch.log")
    _until(lambda: watch.ready_at is not None)
    watch.stop(timeout_s=5)
    assert not watch.alive and watch.exit_code == 0
    assert node.poll() is None  # the node is not its to stop


def test_a_helper_that_fails_is_told_with_its_errors(
    node: subprocess.Popen[bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(here: NodeHere, nic: str) -> object:
        raise PermissionError(1, "not root")

    monkeypatch.setattr(addresses, "opened_in", refused)
    here = NodeHere(Path(f"/proc/{node.pid}/ns/net"), os.pidfd_open(node.pid))
    watch = AddressWatch(
        "watcher on nic0",
        lambda fd: [*HELPER, "no-such-nic0", str(fd)],
        {"PATH": os.environ["PATH"]},
        lambda line: None,
        here,
        "no-such-nic0",
        duration_s=30,
        log=tmp_path / "watch.log",
    )
    watch.wait_end(timeout_s=30)
    assert not watch.alive and watch.exit_code == 1
    assert watch.ready_at is None
    assert any("no interface" in line.lower() for line in watch.errors_tail()), watch.errors_tail()
