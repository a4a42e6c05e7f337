"""The probe agent's HTTP requests, run for real against servers on this machine's loopback
(127.0.0.1 only): an answer, a request its timer gives up on, one left unfinished at its stop."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from labtool.probes.agent_options import parse_args


def _run_agent(
    port: int, *, rate: float, duration: float, timeout: float
) -> list[dict[str, object]]:
    argv = [
        sys.executable,
        "-S",
        "labtool/probes/agent.py",
        "--vip",
        "127.0.0.1",
        "--port",
        str(port),
        "--iface",
        "lo",
        "--rate",
        str(rate),
        "--duration",
        str(duration),
        "--max-requests",
        "100",
        "--timeout",
        str(timeout),
        "--grace",
        "0.1",
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True)
    return [json.loads(line) for line in done.stdout.splitlines()]


@pytest.fixture
def answering() -> Iterator[int]:
    """A server that answers every request with a page."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(4096)
                conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 9\r\n\r\ntest web1")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    server.close()


@pytest.fixture
def silent() -> Iterator[int]:
    """A server that accepts connections (the kernel does) and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    yield server.getsockname()[1]
    server.close()


def test_it_reports_each_answer(answering: int) -> None:
    events = _run_agent(answering, rate=20, duration=0.5, timeout=2)
    answers = [e for e in events if e["kind"] == "http"]
    assert answers, events
    assert all(e["status"] == 200 and e["body"] == "test web1" for e in answers)
    assert events[-1]["kind"] == "agent" and events[-1]["state"] == "stopped"
    assert events[-1]["requests"] == len(answers)


def test_a_request_past_its_timeout_is_reported_as_a_timeout(silent: int) -> None:
    """Sent at 0 and 0.5 s, each given up 0.3 s later, the agent stopping at 0.9 s: both
    timeouts, none unfinished (its timer, not the stop, ended them)."""
    events = _run_agent(silent, rate=2, duration=0.9, timeout=0.3)
    results = [e for e in events if e["kind"] == "http"]
    assert results and all(e["error"] == "timeout" for e in results), results
    assert all(0.3 <= float(str(e["latency_s"])) < 0.6 for e in results), results


def test_a_request_still_waiting_at_the_stop_is_reported_unfinished(silent: int) -> None:
    events = _run_agent(silent, rate=2, duration=0.6, timeout=10)
    results = [e for e in events if e["kind"] == "http"]
    assert results and all(e["error"] == "unfinished" for e in results), results


def test_its_options_default_to_the_lab() -> None:
    options = parse_args(["--vip", "10.0.0.10"])
    assert (options.iface, options.timeout) == ("eth1", 10.0)
