"""The address watcher the load balancers run where HAProxy's stats are polled from here: the
agent's events for the NIC's addresses, without asyncio (half the agent's memory per node)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from labtool.probes.argv import watcher_program


def test_it_reports_the_addresses_ticks_and_stops_when_its_stdin_closes() -> None:
    """Run for real on this namespace's loopback (a netlink socket needs no root)."""
    argv = ["--vip", "127.0.0.1", "--iface", "lo", "--watch-addr", "--rate", "0"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "labtool.probes.watcher", *argv, "--duration", "30"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    started = json.loads(proc.stdout.readline())
    assert started["kind"] == "agent" and started["state"] == "started"
    assert "127.0.0.1" in started["addresses"]
    assert json.loads(proc.stdout.readline())["kind"] == "tick"
    asked = time.monotonic()
    proc.stdin.close()
    rest = [json.loads(line) for line in proc.stdout]
    assert proc.wait(timeout=10) == 0 and time.monotonic() - asked < 5
    assert rest[-1] == {**rest[-1], "kind": "agent", "state": "stopped"}


def test_it_does_not_load_asyncio() -> None:
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, labtool.probes.watcher; print('asyncio' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "False"


def test_its_program_is_beside_the_agent() -> None:
    assert watcher_program(None)[-2:] == ["-m", "labtool.probes.watcher"]
    copy = ["/usr/bin/python3", "/var/tmp/labtool-agent/agent.py"]
    assert watcher_program(copy) == ["/usr/bin/python3", "/var/tmp/labtool-agent/watcher.py"]


def test_an_agent_polling_its_stats_does_so_at_the_backends_pace() -> None:
    """The Vagrant backend's agents poll HAProxy twice a second (an emulated VM loaded by ten
    polls a second timed out the lab's track script); netns polls from here (no option)."""
    from labtool.backends.vagrant import VagrantBackend
    from labtool.probes.argv import agent_argv
    from labtool.spec.load import default_spec

    spec = default_spec()
    argv = agent_argv(
        spec,
        rate=0,
        duration_s=10,
        timeout_s=1,
        watch_addr=True,
        stats_socket="/var/lib/haproxy/stats",
        stats_interval_s=VagrantBackend.stats_interval_s,
    )
    assert argv[argv.index("--stats-interval") + 1] == "0.5"
    assert "--stats-interval" not in agent_argv(spec, rate=0, duration_s=10, timeout_s=1)
