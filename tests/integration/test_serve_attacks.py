"""Students you do not trust, for real: `labtool serve --mode built` with two students, one
attacking from their own terminals as their node's root (a fork bomb, a memory hog, filling
their disk, reaching the server's port and beyond their LAN, writing this machine's /etc),
the other running the lab's `lose-haproxy1` meanwhile. Each attack stays in the attacker's
lab; the other lab's takeover stays within the theory; the server goes on answering."""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from labtool.backends.netns import bounds
from tests.integration.conftest import LAB_SUBNETS, labtool
from tests.integration.serve_client import Client, Terminal
from tests.integration.test_serve import Served, serving

ROSTER = (
    "id,name,email\nit-atk,Eve Attacker,eve@example.org\nit-vic,Victor Victim,vic@example.org\n"
)
LABS = ("class-it-atk", "class-it-vic")
AGENT = "labtool-eve-test"  # (her requests' user agent, told apart from the checks' curl)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("attacks") / "class"
    yield from serving(folder, ROSTER, LABS, "--mode", "built")


@pytest.fixture(scope="module")
def eve(served: Served) -> Iterator[Terminal]:
    """The attacker's terminal on her client node (her lab built by then)."""
    client = Client.student(served.url, served.codes["it-atk"])
    term = client.terminal("it-atk", "client")
    try:
        yield term
    finally:
        term.close()


def lose_haproxy1(lab: str) -> dict[str, Any]:
    run = labtool("scenario", "lose-haproxy1", "--name", lab, "--json", timeout_s=180)
    assert run.stdout, run.stderr
    result: dict[str, Any] = json.loads(run.stdout)
    return result


def within_theory(result: dict[str, Any]) -> None:
    metrics, theory = result["metrics"], result["theory"]
    assert result["verdict"] == "pass", result["checks"]
    assert metrics["vip_holder_after"] == "haproxy2"
    assert metrics["vip_takeover_s"] <= theory["vrrp_master_down_s"] + 0.3, (metrics, theory)


def victim_ready(served: Served) -> None:
    victor = Client.student(served.url, served.codes["it-vic"])
    victor.terminal("it-vic", "haproxy1").close()  # (his lab made, built)
    assert victor.state("it-vic", "status")["status"]["vip_holder"] == "haproxy1"


def test_filling_the_disk_fills_the_labs_own(served: Served) -> None:
    atk = Client.student(served.url, served.codes["it-atk"])
    web = atk.terminal("it-atk", "web1")
    try:
        said = web.run("dd if=/dev/zero of=/root/big bs=1M count=2000; echo DD$((3+3))", "DD6",
                       timeout_s=120)  # fmt: skip
        assert "No space left on device" in said
        size = web.run("echo SIZE=$(du -sm /root/big | cut -f1) SZ$((1+6))", "SZ7")
        mib = int(re.findall(r"SIZE=(\d+)", size)[-1])
        assert 0 < mib <= bounds.Bounds().disk_mib, size
        web.run("rm -f /root/big; echo RM$((4+4))", "RM8")
    finally:
        web.close()


def test_no_way_to_the_server_this_machine_or_its_etc(served: Served) -> None:
    atk = Client.student(served.url, served.codes["it-atk"])
    web = atk.terminal("it-atk", "web1")
    port = served.url.rsplit(":", 1)[1]
    try:
        said = web.run(f"curl -sS -m 3 http://127.0.0.1:{port}/ ; echo C1$((9+1))", "C110")
        assert "Connection refused" in said or "Failed to connect" in said, said
        for address in host_addresses():
            said = web.run(f"curl -sS -m 3 http://{address}:{port}/ ; echo C2$((9+2))", "C211")
            assert "unreachable" in said.lower() or "Failed to connect" in said, said
        routes = web.run("ip -4 route; echo RT$((9+3))", "RT12")
        assert "default" not in routes, routes
        victim_ready(served)  # (another student's lab, at the same addresses)
        before = {lab: served_requests(lab) for lab in LABS}
        web.run(f"for i in 1 2 3 4 5; do curl -s -m 2 -A {AGENT} -o /dev/null http://10.0.0.22/;"
                " done; echo V$((9+5))", "V14")  # fmt: skip
        assert served_requests("class-it-vic") == before["class-it-vic"]  # (not his...)
        assert served_requests("class-it-atk") == before["class-it-atk"] + 5  # (...her own)
        said = web.run("echo pwned >> /etc/passwd; touch /etc/labtool-pwned; echo E$((9+4))",
                       "E13")  # fmt: skip
        assert "Read-only file system" in said or "Permission denied" in said, said
        assert not Path("/etc/labtool-pwned").exists()
        assert "pwned" not in Path("/etc/passwd").read_text()
    finally:
        web.close()


def test_a_memory_hog_and_a_fork_bomb_leave_the_other_lab_on_time(
    served: Served, eve: Terminal
) -> None:
    """(Last: the attacker's lab is reset after it, its processes all used up.)"""
    victim_ready(served)
    atk = Client.student(served.url, served.codes["it-atk"])
    teacher = Client.instructor(served.instructor_url)
    web = atk.terminal("it-atk", "web2")
    try:
        said = web.run("python3 -c 'b=[bytearray(10**7) for _ in range(3000)]'; echo HOG$((2+2))",
                       "HOG4", timeout_s=120)  # fmt: skip
        assert "Killed" in said or "MemoryError" in said, said
        assert "memory" in bounds.hit_limits("class-it-atk")
        eve.run("(f(){ f | f & }; f) 2>/dev/null & echo BOMB$((1+1))", "BOMB2")
        time.sleep(3)
        assert "processes" in bounds.hit_limits("class-it-atk")
        within_theory(lose_haproxy1("class-it-vic"))  # (the bomb still going)
        assert bounds.hit_limits("class-it-vic") == []
        started = time.monotonic()
        assert teacher.json("GET", "/api/class")[0] == 200
        assert time.monotonic() - started < 2.0  # (the server answers as before)
    finally:
        web.close()
        status, _ = teacher.json("POST", "/api/students/it-atk/reset", {"keep_files": False})
        assert status == 200


def served_requests(lab: str) -> int:
    """The test's own requests web2's Apache has logged in that lab (its user agent)."""
    logs = "/var/log/apache2/access.log /var/log/httpd/access_log"
    run = labtool("exec", "--name", lab, "web2", "--", "sh", "-c",
                  f"cat {logs} 2>/dev/null | grep -c {AGENT} || true")  # fmt: skip
    assert run.returncode == 0, run.stderr
    return int(run.stdout.strip() or 0)


def host_addresses() -> list[str]:
    """This machine's own IPv4 addresses beyond loopback and the lab subnets (never sent to:
    a node has no route to them)."""
    import ipaddress

    found = set()
    for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
        address = str(info[4][0])
        ip = ipaddress.IPv4Address(address)
        if not ip.is_loopback and not any(ip in net for net in LAB_SUBNETS):
            found.add(address)
    return sorted(found)
