"""A scenario's probes on a slow or dead backend, without VMs: the real netns lab and real
daemons, with the client's probe agent started late (as an SSH connection and a Python under
software emulation start it), or never. A slow agent is waited for and the scenario passes
with its deadlines stretched; a dead one fails with a message that names what was awaited,
and the cluster is whole afterwards either way.

The slowness is a `sleep` before the real agent, through a backend that differs from netns
only in how it runs the agent (the seam a Vagrant machine uses to run its own copy).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from labtool.backends.netns import NetnsBackend
from labtool.backends.netns.commands import AGENT_DIR
from labtool.backends.netns.layout import node_python
from labtool.provision import lab as labmod
from labtool.scenarios import engine, probes
from labtool.scenarios.model import load_scenario
from labtool.scenarios.result import ScenarioError
from tests.integration.conftest import lab_up_during, status

LAB = "it-slowprobes"
AGENT = [node_python(), f"{AGENT_DIR}/agent.py"]  # (the node's copy, as netns runs it)


@pytest.fixture(scope="module")
def slow_lab() -> Iterator[str]:
    yield from lab_up_during(LAB)


def backend_whose_client_agent_is(program: list[str]) -> tuple[object, NetnsBackend]:
    spec, state, _ = labmod.open_lab(LAB)

    class ClientAgentAs(NetnsBackend):
        def agent_program(self, node: str) -> list[str]:
            return program if node == spec.client.name else super().agent_program(node)

    return spec, ClientAgentAs(spec, state)


def assert_whole() -> None:
    data = status(LAB)
    for node in data["nodes"]:  # type: ignore[attr-defined]
        assert node["up"] and all(node["daemons"].values()), node
    assert data["vip_holder"] == "haproxy1"


def test_a_slow_agent_is_waited_for_and_stretches_the_deadlines(slow_lab: str) -> None:
    spec, backend = backend_whose_client_agent_is(["sh", "-c", 'sleep 4; exec "$0" "$@"', *AGENT])
    result = engine.run(spec, backend, load_scenario("stop-keepalived-haproxy1"))  # type: ignore[arg-type]
    assert result.verdict == "pass", ([c for c in result.checks if not c.ok], result.notes)
    pace = result.pace
    assert pace is not None
    assert pace["agent_start_s"] >= 4.0  # measured, not assumed
    assert pace["first_answer_s"] is not None and pace["answers_s"] is not None
    assert pace["factor"] >= 4.0
    assert pace["deadlines"]["baseline_s"] >= 4 * 13.6  # 10 s + 3.61 s on netns, stretched
    assert any("deadlines stretched" in note for note in result.notes)
    assert result.probes["agent on client"]["ready_s"] is not None
    # the lab is restored (stop-keepalived's restore, then the whole cluster again)
    data = status(LAB)
    assert len(data["vip_holders"]) == 1  # type: ignore[arg-type]


def test_answers_that_come_late_are_waited_for(slow_lab: str) -> None:
    """The agent starts at once, but labtool's "go" reaches it only 4 s after it was sent
    (held in a pipe, as a slow SSH channel would): the first answer is waited for, and the
    pace says so."""
    late = '{ read -r go; sleep 4; printf "%s\\n" "$go"; cat; } | "$0" "$@"'
    spec, backend = backend_whose_client_agent_is(["sh", "-c", late, *AGENT])
    result = engine.run(spec, backend, load_scenario("lose-web1"))  # type: ignore[arg-type]
    assert result.verdict == "pass", ([c for c in result.checks if not c.ok], result.notes)
    pace = result.pace
    assert pace is not None and pace["agent_start_s"] < 2.0
    assert pace["first_answer_s"] >= 4.0 and pace["answers_s"] >= 4.0
    assert pace["factor"] >= 7.0
    assert_whole()


def test_the_default_pace_leaves_netns_deadlines_as_they_were(slow_lab: str) -> None:
    spec, _, backend = labmod.open_lab(LAB)
    result = engine.run(spec, backend, load_scenario("lose-web1"))
    assert result.verdict == "pass", ([c for c in result.checks if not c.ok], result.notes)
    pace = result.pace
    assert pace is not None and pace["agent_start_s"] < 1.0 and pace["answers_s"] < 0.5
    assert pace["factor"] == 1.0  # 10 s for the answers + 3.61 s of a steady VIP:
    assert pace["deadlines"]["baseline_s"] == pytest.approx(13.609, abs=0.001)
    assert_whole()


def test_an_agent_that_dies_at_start_fails_naming_it(slow_lab: str) -> None:
    spec, backend = backend_whose_client_agent_is(
        ["sh", "-c", 'echo "agent: cannot open eth1" >&2; exit 3', "--"]
    )
    with pytest.raises(ScenarioError) as caught:
        engine.run(spec, backend, load_scenario("lose-web1"))  # type: ignore[arg-type]
    message = str(caught.value)
    assert "the probe agent on client ended before it started (exit 3)" in message
    assert "cannot open eth1" in message  # its own words, from its log
    assert caught.value.result.verdict == "error"
    assert caught.value.result.error == message
    assert_whole()


def test_an_agent_that_never_starts_fails_after_its_bound(
    slow_lab: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(probes, "AGENT_START_MAX_S", 3.0)
    spec, backend = backend_whose_client_agent_is(["sh", "-c", "read -r _", "--"])
    with pytest.raises(ScenarioError) as caught:
        engine.run(spec, backend, load_scenario("lose-web1"))  # type: ignore[arg-type]
    assert (
        "not within 3 s: the probe agent on client starting (awaited its start-up line; "
        "it printed nothing)" in str(caught.value)
    )
    assert_whole()


def test_an_agent_whose_answers_never_come_fails_naming_them(
    slow_lab: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(probes, "FIRST_ANSWER_MAX_S", 3.0)
    started = '{"t": 0, "kind": "agent", "state": "started", "vrrp_group": "224.0.0.18"}'
    spec, backend = backend_whose_client_agent_is(
        ["sh", "-c", f"echo '{started}'; while read -r _; do :; done", "--"]
    )  # "go": no answer
    with pytest.raises(ScenarioError) as caught:
        engine.run(spec, backend, load_scenario("lose-web1"))  # type: ignore[arg-type]
    assert (
        "not within 3 s: the first answer through the VIP 10.0.0.10 at the probe agent on "
        "client" in str(caught.value)
    )
    assert_whole()
