"""`up` waits, after the VIP answers, until every HAProxy sees every web node UP: a stand-in
stats socket (a real UNIX socket answering `show stat` as HAProxy 2.6 does) plays a HAProxy
that checked web1 before it served; the real daemons are in the integration tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from labtool.probes.readers import servers_unsettled
from labtool.provision import answers
from labtool.spec.load import default_spec

HEADER = "# pxname,svname,status,\n"


def show_stat(statuses: dict[str, str]) -> str:
    rows = ["main,FRONTEND,OPEN,\n"] + [f"app,{s},{st},\n" for s, st in statuses.items()]
    return HEADER + "".join(rows) + "app,BACKEND,UP,\n"


class StatsSocket:
    """Answers `show stat` with the statuses of its moment; counts the questions."""

    def __init__(self, path: Path, answers: list[dict[str, str]]) -> None:
        self.answers = answers
        self.asked = 0
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(8)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                conn.recv(1024)
                answer = self.answers[min(self.asked, len(self.answers) - 1)]
                self.asked += 1
                conn.sendall(show_stat(answer).encode())


@pytest.fixture
def sockets(tmp_path: Path) -> Iterator[dict[str, StatsSocket]]:
    made: dict[str, StatsSocket] = {}
    yield made
    for sock in made.values():
        sock.server.close()


def test_a_server_down_or_between_states_is_unsettled(
    tmp_path: Path, sockets: dict[str, StatsSocket]
) -> None:
    spec = default_spec()
    up = {"app1": "UP", "app2": "UP"}
    sockets["haproxy1"] = StatsSocket(tmp_path / "h1", [{"app1": "DOWN", "app2": "UP 1/3"}])
    sockets["haproxy2"] = StatsSocket(tmp_path / "h2", [up])
    paths = {"haproxy1": tmp_path / "h1", "haproxy2": tmp_path / "h2"}
    assert servers_unsettled(spec, paths) == ["haproxy1: web1 DOWN", "haproxy1: web2 UP 1/3"]
    # no stats socket (a config without one): nothing to wait for
    assert servers_unsettled(spec, {"haproxy1": tmp_path / "none"}) == []


def test_up_waits_until_every_haproxy_sees_every_web_node_up(
    tmp_path: Path, sockets: dict[str, StatsSocket], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = default_spec()
    down = {"app1": "DOWN 1/2", "app2": "UP"}
    up = {"app1": "UP", "app2": "UP"}
    sockets["haproxy1"] = StatsSocket(tmp_path / "h1", [down, down, down, up])
    sockets["haproxy2"] = StatsSocket(tmp_path / "h2", [up])
    backend = SimpleNamespace(local_path=lambda node, path: tmp_path / node.replace("aproxy", ""))
    said: list[str] = []
    progress = SimpleNamespace(waiting=lambda text, elapsed, expected: said.append(text))
    answers.wait_for_servers(spec, backend, progress, time.monotonic())  # type: ignore[arg-type]
    assert sockets["haproxy1"].asked == 4  # asked until web1 was UP, then no more
    assert said and "haproxy1: web1 DOWN 1/2" in said[0]
    # bounded: a server that stays DOWN is left for the student to see
    sockets["haproxy2"].answers = [down]
    monkeypatch.setattr(answers, "SERVERS_SETTLE_MAX_S", 0.3)
    started = time.monotonic()
    answers.wait_for_servers(spec, backend, progress, started)  # type: ignore[arg-type]
    assert time.monotonic() - started < 5
