"""The engine's walk of its named phases, without root: a stand-in cluster and stand-in probes
record what each phase asks of them (the real daemons are in tests/integration/
test_scenarios.py). What is tested here is the order, the restore that always runs, and what
each action kind tells the probes."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from labtool.errors import LabtoolError
from labtool.probes.recorder import Recorder
from labtool.scenarios import engine, phases
from labtool.scenarios.actions import ACTIONS, apply
from labtool.scenarios.model import Action, load_scenario
from labtool.spec.load import default_spec

NAMES = [
    "preconditions",
    "probes ready",
    "baseline",
    "fault",
    "observing",
    "settling",
]


class StandIn:
    """A cluster and its backend, and the probes: each call written down."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.notes: list[str] = []
        self.spec = default_spec()
        self.preferred: str | None = None  # (equal priorities: the VIP stays where it is)
        self.one_holder = True
        self.holders = [["haproxy1"]]  # what vip_nodes() answers, in turn (the last, then on)
        self.backend = SimpleNamespace(
            is_up=lambda node: True,
            power_off=lambda node: self.calls.append(("power_off", node)),
            set_link=lambda node, up: self.calls.append(("link", node, str(up))),
            cut_vrrp=lambda nodes, cut: self.calls.append(("cut_vrrp", *nodes, str(cut))),
            transport=lambda node: SimpleNamespace(
                run=lambda argv: self.calls.append(("run", node, *argv))
            ),
        )

    def boot(self, node: str) -> None:
        self.calls.append(("boot", node))

    def systemctl(self, node: str, verb: str, service: str) -> None:
        self.calls.append(("systemctl", node, verb, service))

    def make_whole(self, deadline_s: float, on_tick: Any = None) -> None:
        self.calls.append(("make_whole",))

    def vip_nodes(self) -> list[str]:
        self.calls.append(("vip_nodes",))
        return self.holders.pop(0) if len(self.holders) > 1 else self.holders[0]

    # the probes' side
    def node_lost(self, node: str) -> None:
        self.calls.append(("probes: lost", node))

    def watch(self, node: str) -> None:
        self.calls.append(("probes: watch", node))

    def lb_names(self) -> list[str]:
        return ["haproxy1", "haproxy2"]


def test_each_action_kind_does_its_part_and_tells_the_probes() -> None:
    stand = StandIn()
    for act in (
        Action("power_off", ("haproxy1",)),
        Action("power_on", ("haproxy1", "web1")),
        Action("link_down", ("web1",)),
        Action("stop_service", ("haproxy1",), "haproxy"),
        Action("kill_service", ("haproxy1",), "haproxy"),
        Action("cut_vrrp", ("haproxy1", "haproxy2")),
    ):
        apply(stand, act, stand)  # type: ignore[arg-type]
    assert stand.calls == [
        ("power_off", "haproxy1"),
        ("probes: lost", "haproxy1"),
        ("boot", "haproxy1"),
        ("boot", "web1"),
        ("probes: watch", "haproxy1"),  # a load balancer back is watched again; web1 not
        ("link", "web1", "False"),
        ("systemctl", "haproxy1", "stop", "haproxy"),
        ("run", "haproxy1", "killall", "-9", "haproxy"),
        ("cut_vrrp", "haproxy1", "haproxy2", "True"),
    ]
    # a restore's actions tell no probes
    stand.calls.clear()
    apply(stand, Action("power_off", ("web2",)))  # type: ignore[arg-type]
    assert stand.calls == [("power_off", "web2")]


def test_every_scenario_file_names_registered_actions() -> None:
    for name in ("lose-web1", "lose-haproxy1", "split-brain", "stop-haproxy-haproxy1"):
        scenario = load_scenario(name)
        assert all(a.kind in ACTIONS for a in (*scenario.fault, *scenario.restore))


def _walk(monkeypatch: pytest.MonkeyPatch, failing: str | None) -> tuple[Any, list[str]]:
    walked: list[str] = []

    def phase(name: str) -> phases.Phase:
        def do(scene: phases.Scene, run: phases.Run) -> None:
            walked.append(name)
            if name == failing:
                raise LabtoolError(f"{name} never came")

        return do

    monkeypatch.setattr(engine, "PHASES", tuple((n, phase(n)) for n in NAMES))
    monkeypatch.setattr(engine, "restore", lambda scene, run: walked.append("restore"))
    stopped: list[str] = []
    probes = SimpleNamespace(
        request_stop=lambda: stopped.append("asked"), stop=lambda: stopped.append("stopped")
    )
    scene = phases.Scene(StandIn(), load_scenario("lose-web1"), {}, 5.0, probes)  # type: ignore[arg-type]
    run = phases.Run(scene.scenario, Recorder(default_spec()), None)
    error = engine._walk(scene, run)
    assert stopped == ["asked", "stopped"]
    return (error, run), walked


def test_the_phases_are_walked_in_order_then_the_restore(monkeypatch: pytest.MonkeyPatch) -> None:
    (error, run), walked = _walk(monkeypatch, None)
    assert error is None
    assert walked == [*NAMES, "restore"]
    assert list(run.phases_s) == [
        "theory",
        *NAMES,
        "restoring",
        "stopping probes",
    ]


def test_a_phase_that_fails_stops_the_walk_and_the_restore_still_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (error, _), walked = _walk(monkeypatch, "baseline")
    assert error == "baseline never came"
    assert walked == ["preconditions", "probes ready", "baseline", "restore"]


def test_the_restore_skips_its_actions_when_no_fault_was_applied() -> None:
    stand = StandIn()
    scenario = load_scenario("lose-web1")
    scene = phases.Scene(
        stand, scenario, {"vrrp_master_down_s": 3.6, "haproxy_recover_max_s": -1.9}, 5.0, None
    )  # type: ignore[arg-type]
    run = phases.Run(scenario, Recorder(default_spec()), None)
    phases.restore(scene, run)
    assert stand.calls == [("make_whole",)]  # (equal priorities: the VIP not awaited)
    run.fault_t = 1.0
    phases.restore(scene, run)
    assert ("boot", "web1") in stand.calls and stand.calls[-1] == ("make_whole",)
    # its condition (HAProxy sees web1 UP again), not seen by these stand-ins: a note
    assert "the restore's condition" in run.notes[0]


def test_a_window_counts_from_the_fault_done_a_booted_node_is_watched_for_all_of_it() -> None:
    """restore-haproxy1: haproxy1's boot may take seconds on a loaded machine; the window in
    which it may take the VIP back starts once it is back (its keepalived started)."""
    import time

    stand = StandIn()
    booting_s = 0.4
    stand.boot = lambda node: time.sleep(booting_s)  # type: ignore[method-assign]
    scenario = load_scenario("restore-haproxy1")
    within = 0.3
    scene = phases.Scene(stand, scenario, {}, within, None)  # type: ignore[arg-type]
    run = phases.Run(scenario, Recorder(default_spec()), None)
    phases.fault(scene, run)
    phases.observe(scene, run)
    assert run.fault_t is not None and run.applied_t is not None
    assert run.applied_t - run.fault_t >= booting_s
    assert time.monotonic() - run.applied_t >= within


def test_the_restore_awaits_the_vip_back_where_the_configs_give_it_back() -> None:
    """haproxy1's priority the highest: it takes the VIP back once whole; the restore waits
    for that, so that the next scenario finds it there, steady. Equal priorities: no wait."""
    stand = StandIn()
    stand.preferred = "haproxy1"
    stand.holders = [["haproxy2"], ["haproxy2"], ["haproxy1"]]
    scenario = load_scenario("lose-haproxy1")
    values = {"vrrp_master_down_s": 3.6, "track_interval_s": 1.0}
    scene = phases.Scene(stand, scenario, values, 5.0, None)  # type: ignore[arg-type]
    run = phases.Run(scenario, Recorder(default_spec()), None)
    phases.restore(scene, run)
    assert "VIP back" in run.phases_s or run.phase == "VIP back"
    assert stand.calls.count(("vip_nodes",)) == 3 and stand.holders == [["haproxy1"]]
    # a scenario that does not start from the VIP on haproxy1: nothing awaited
    stand.calls.clear()
    stand.holders = [["haproxy2"]]
    other = load_scenario("restore-haproxy1")
    phases.restore(phases.Scene(stand, other, values, 5.0, None), run)  # type: ignore[arg-type]
    assert ("vip_nodes",) not in stand.calls


def test_a_lab_just_booted_need_not_hold_the_vip_a_master_down_time_more() -> None:
    """The VIP taken at a lab's start-up: once every keepalived's start-up timer has run out
    (`quiet_after`), a new holder cannot come from the start-up; before that, and on a lab
    not just booted, the VIP must have stayed a master-down time on one node."""
    import time

    stand = StandIn()
    recorder = Recorder(stand.spec)
    scenario = load_scenario("lose-web1")
    recorder.add("vip", t=time.monotonic(), node="haproxy1", action="added")
    booted = phases.Scene(stand, scenario, {}, 5.0, None, time.monotonic() - 0.1)  # type: ignore[arg-type]
    assert phases.vip_settled(booted, recorder, steady_s=3.61)
    still_booting = phases.Scene(stand, scenario, {}, 5.0, None, time.monotonic() + 60)  # type: ignore[arg-type]
    assert not phases.vip_settled(still_booting, recorder, steady_s=3.61)
    not_booted = phases.Scene(stand, scenario, {}, 5.0, None)  # type: ignore[arg-type]
    assert not phases.vip_settled(not_booted, recorder, steady_s=3.61)
    assert phases.vip_settled(not_booted, recorder, steady_s=0.0)
    recorder.add("vip", t=time.monotonic(), node="haproxy1", action="removed")
    assert not phases.vip_settled(booted, recorder, steady_s=3.61)  # nobody holds it
