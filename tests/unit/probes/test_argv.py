"""How labtool starts the probes on a node: the agent's command line, the helper beside it."""

from __future__ import annotations

from labtool.backends.vagrant import VagrantBackend
from labtool.probes.argv import agent_argv, handover_program
from labtool.spec.load import default_spec


def test_the_helper_is_beside_the_agent() -> None:
    assert handover_program(None)[-2:] == ["-m", "labtool.probes.handover"]
    copy = ["/usr/bin/python3", "-S", "/usr/local/sbin/.labtool-agent/agent.py"]
    assert handover_program(copy) == [
        "/usr/bin/python3",
        "-S",
        "/usr/local/sbin/.labtool-agent/handover.py",
    ]


def test_an_agent_polling_its_stats_does_so_at_the_backends_pace() -> None:
    """The Vagrant backend's agents poll HAProxy twice a second (an emulated VM loaded by ten
    polls a second timed out the lab's track script); netns polls from here (no option)."""
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
