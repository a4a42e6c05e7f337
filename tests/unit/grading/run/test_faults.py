"""grade --run's faults: which scenarios a rubric's behaviour criteria need, and what the scenario
engine's results (built here as the engine writes them: events relative to the fault) say of a
submission's cluster, as its Behaviour."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from labtool.grading.run import faults
from labtool.grading.run.behaviour import Behaviour, behaviour_reasons
from labtool.grading.run.lab import RunLab, marked
from labtool.grading.score.rubric import BEHAVIOURS, parse_rubric
from labtool.scenarios.model import list_scenarios, load_scenario


def result(events: list[dict[str, Any]], **facts: Any) -> Any:
    base = {
        "vip_holder_before": "lb1",
        "vip_holder_after": "lb1",
        "outage_s": 0.0,
        "outage_ongoing": False,
        "failed_requests": 0,
        "takeover_s": None,
        "haproxy_detect_s": {},
        "vip_gained": [],
    }
    return SimpleNamespace(
        events=events,
        facts=SimpleNamespace(**{**base, **facts}),
        verdict="pass",
        checks=[],
        notes=[],
        error=None,
    )


def http(sent: float, status: int = 200, node: str | None = "srv-a") -> dict[str, Any]:
    return {
        "t": sent + 0.01,
        "kind": "http",
        "sent": sent,
        "status": status,
        "node": node,
        "latency_s": 0.01,
    }


def vip(t: float, node: str, action: str = "added") -> dict[str, Any]:
    return {"t": t, "kind": "vip", "node": node, "action": action}


RUN = RunLab(names={"lb1": "LB-1", "lb2": "LB-2", "srv-a": "A", "srv-b": "B"})
NAMES = {"haproxy1": "lb1", "haproxy2": "lb2", "web1": "srv-a", "web2": "srv-b"}


def test_every_fault_is_a_scenario_file_and_every_behaviour_has_its_measure() -> None:
    known = faults.faults()
    assert {f.scenario for f in known} <= set(list_scenarios())
    for fault in known:
        load_scenario(fault.scenario)  # (a scenario the engine reads)
    measured = {b for f in known for b in f.behaviours}
    assert measured == set(faults.MEASURES)
    # the rest is read from every run: its baseline and its events
    assert set(BEHAVIOURS) - measured == {"vip_answers", "load_balancing", "no_split_brain"}


def test_only_the_faults_the_rubric_grades_are_run_and_named_scenarios_after() -> None:
    names = [f.scenario for f in faults.to_run(BEHAVIOURS)]
    assert names == ["stop-haproxy-haproxy1", "lose-haproxy1", "restore-haproxy1", "lose-web1"]
    assert [f.scenario for f in faults.to_run(["lose_haproxy1"])] == ["lose-haproxy1"]
    # no fault graded: one run all the same, whose baseline shows the VIP and who serves
    assert [f.scenario for f in faults.to_run(["vip_answers"])] == ["stop-haproxy-haproxy1"]
    both = faults.to_run(["lose_web1"], ["lose-both-web", "lose-web1", "lose-both-web"])
    assert [f.scenario for f in both] == ["lose-web1", "lose-both-web"]


def test_the_first_baseline_says_whether_the_vip_answers_and_who_serves() -> None:
    b = Behaviour()
    before = [http(-1.0 + i * 0.02, node=("srv-a", "srv-b")[i % 2]) for i in range(20)]
    assert faults._first(b, result([*before, http(0.5, 0, None)]), RUN)
    assert (b.vip_answers, b.vip_holder, b.served_by) == (True, "LB-1", ["A", "B"])
    assert (b.requests, b.answered) == (20, 20)
    refused = Behaviour()
    assert not faults._first(refused, result([http(-1.0 + i, 0, None) for i in range(5)]), RUN)
    assert refused.served_by == [] and refused.answered == 0


def test_lose_web1_is_detected_when_the_client_is_answered_again_for_good() -> None:
    b = Behaviour()
    events = [http(0.1 * i, 0 if i < 80 else 200, None if i < 80 else "srv-b") for i in range(140)]
    events[90] = http(9.0, 503, None)  # (a failure: the good run starts again after it)
    events[95] = {
        **http(9.5, node="srv-b"),
        "latency_s": 3.2,
    }  # (held 3 s by HAProxy retrying web1: failed)
    events[100] = {**http(10.0, node="srv-b"), "latency_s": 1.5}  # (slow, answered: good)
    events.append({**http(13.95, 0, None), "error": "unfinished"})  # cut by the end: no answer
    faults._lose_web1(b, result(events), RUN, NAMES)
    assert b.lose_web1 is not None
    assert (b.lose_web1.node, b.lose_web1.detected_s) == ("A", 9.6)
    assert (b.lose_web1.served_after, b.lose_web1.failed_after) == (["B"], 0)


def test_lose_web1_never_detected_keeps_failing_at_the_end() -> None:
    b = Behaviour()
    events = [http(0.1 * i, (0, 200)[i % 2], (None, "srv-b")[i % 2]) for i in range(140)]
    # the requests HAProxy holds on web1 at the end: cut by the end of the measure, but held
    # longer than a client waits (failed)
    for i in range(90, 140, 2):
        events[i] = {**events[i], "error": "unfinished", "latency_s": 14.0 - 0.1 * i}
    faults._lose_web1(b, result(events), RUN, NAMES)
    assert b.lose_web1 is not None and b.lose_web1.detected_s is None
    # the last 3 s of those whose fate is known (sent 2 s before the last): every other one
    assert b.lose_web1.failed_after == 15
    assert b.lose_web1.served_after == ["B"]


def test_lose_haproxy1_moved_or_lost() -> None:
    b = Behaviour()
    moved = result([], vip_holder_after="lb2", outage_s=3.1234, failed_requests=150)
    faults._lose_haproxy1(b, moved, RUN, NAMES)
    assert b.lose_haproxy1 is not None
    assert (b.lose_haproxy1.vip_holder_after, b.lose_haproxy1.outage_s) == ("LB-2", 3.12)
    lost = result([], vip_holder_after=None, outage_s=7.6, outage_ongoing=True)
    faults._lose_haproxy1(b, lost, RUN, NAMES)
    assert (b.lose_haproxy1.vip_holder_after, b.lose_haproxy1.outage_s) == (None, None)


def test_stop_haproxy_moved_stayed_or_dropped() -> None:
    b = Behaviour()
    faults._track_haproxy(b, result([], vip_holder_after="lb2", takeover_s=1.514), RUN, NAMES)
    assert b.stop_haproxy is not None
    assert (b.stop_haproxy.node, b.stop_haproxy.vip_moved) == ("LB-1", True)
    assert (b.stop_haproxy.moved_s, b.stop_haproxy.vip_holder_after) == (1.51, "LB-2")
    faults._track_haproxy(b, result([], vip_holder_after="lb1"), RUN, NAMES)
    assert (b.stop_haproxy.vip_moved, b.stop_haproxy.vip_holder_after) == (False, "LB-1")
    faults._track_haproxy(b, result([], vip_holder_after=None), RUN, NAMES)
    assert (b.stop_haproxy.vip_moved, b.stop_haproxy.vip_holder_after) == (False, None)


def test_failback_is_the_first_taking_the_vip_back() -> None:
    b = Behaviour()
    faults._failback(b, result([], vip_gained=["lb1"]), RUN, NAMES)
    assert b.failback is True
    faults._failback(b, result([], vip_gained=[]), RUN, NAMES)
    assert b.failback is False


def test_a_split_brain_is_two_holders_for_a_second_not_a_handover() -> None:
    handover = result([vip(-5, "lb1"), vip(0.2, "lb2"), vip(0.25, "lb1", "removed"), http(3)])
    assert faults._split_brain([handover]) == []
    both = result([vip(-5, "lb1"), vip(-4.5, "lb2"), http(0.0)])
    assert faults._split_brain([handover, both]) == ["lb1", "lb2"]
    short = result([vip(-5, "lb1"), vip(-0.5, "lb2")])  # the run ended 0.5 s later
    assert faults._split_brain([short]) == []


def test_a_rubric_may_grade_any_scenario_by_its_verdict_when_run() -> None:
    rubric = parse_rubric(
        {
            "total": 2,
            "criterion": [
                {
                    "id": "both-web",
                    "title": {"en": "Run: both web nodes lost"},
                    "kind": "behaviour",
                    "scenario": "lose-both-web",
                    "points": 2,
                }
            ],
        },
        "rubric.toml",
    )
    criterion = rubric.criteria[0]
    b = Behaviour(scenarios={"lose-both-web": {"verdict": "pass", "checks": []}})
    assert behaviour_reasons(criterion, b, "en") == []
    b.scenarios["lose-both-web"] = {
        "verdict": "fail",
        "checks": [
            {"fact": "outage_ongoing", "observed": False, "expected": "= true", "ok": False}
        ],
    }
    [lost] = behaviour_reasons(criterion, b, "en")
    assert lost.points_lost == 2 and "outage_ongoing" in lost.message
    [lost] = behaviour_reasons(criterion, Behaviour(), "en")  # not run (one load balancer)
    assert lost.points_lost == 2


@pytest.mark.parametrize(
    ("item", "said"),
    [
        ({"scenario": "no-such-one"}, "must name one scenario of scenarios/"),
        ({"scenario": "lose-web1", "behaviour": "lose_web1"}, "instead of 'behaviour'"),
        ({"behaviour": "lose_web9"}, "'behaviour' must be one of"),
    ],
)
def test_a_behaviour_criterion_naming_what_does_not_exist_is_refused(
    item: dict[str, Any], said: str
) -> None:
    from labtool.errors import LabFileError

    raw = {"id": "x", "title": {"en": "x"}, "kind": "behaviour", "points": 1, **item}
    with pytest.raises(LabFileError, match=said):
        parse_rubric({"total": 1, "criterion": [raw]}, "rubric.toml")


def test_the_web_node_that_answered_is_told_by_its_whole_page_or_its_name() -> None:
    from labtool.probes.packets import page_digest
    from labtool.probes.recorder import Recorder, pages_served
    from labtool.spec.load import default_spec

    recorder = Recorder(default_spec())
    long_a = "<!DOCTYPE html><html><head><title>" + "x" * 90 + "</title></head>A</html>\n"
    long_b = long_a.replace(">A<", ">B<")
    recorder.pages = pages_served({"web1": long_a, "web2": long_b})
    seen = long_b.strip()[:80]  # (the agent's body: the page's first 80 characters)
    assert recorder.served_by(seen, page_digest(long_b.encode())) == "web2"
    assert recorder.served_by(seen, page_digest(long_a.encode())) == "web1"
    assert recorder.served_by(seen) is None
    assert recorder.served_by("test web1", "other") == "web1"  # the lab's pages name them
    assert recorder.served_by("web2, twin of web1") == "web2"  # the first name in the page
    assert pages_served({"web1": "same", "web2": "same"}) == {}


def test_web_nodes_serving_the_same_page_get_it_marked_and_said() -> None:
    from labtool.grading.run.lab import _told_apart
    from labtool.spec.load import default_spec

    webs = default_spec().by_role("web")
    page = "/var/www/html/index.html"
    run = RunLab(names={"web1": "s1", "web2": "s2"})
    run.files = {"web1": {page: "Hello\n"}, "web2": {page: "Hello\n"}}
    said: set[str] = set()
    _told_apart(run, webs, said)
    assert run.files["web1"][page] == marked("Hello\n", "web1")
    assert run.files["web2"][page].startswith("<!-- web2 -->\n")
    assert said == {
        "s1, s2 serve the same page: a comment naming the node put at its top, to tell "
        "which one answered"
    }
    run.files = {"web1": {page: "test web1\n"}, "web2": {page: "test web2\n"}}
    said.clear()
    _told_apart(run, webs, said)
    assert run.files["web1"][page] == "test web1\n" and not said


def test_haproxy_servers_are_known_by_address_whatever_their_names() -> None:
    from labtool.probes.recorder import server_names
    from labtool.spec.load import default_spec

    theirs = (
        "frontend http_front\n    bind *:80\n    default_backend http_back\n"
        "backend http_back\n    balance roundrobin\n"
        "    server srv-a 10.0.0.21:80 check  # the first\n"
        "    server srv-b 10.0.0.22 check\n"
        "    server other 10.0.0.99:80 check\n"
    )
    names = server_names(default_spec(), theirs)
    assert names[("http_back", "srv-a")] == "web1" and names[("http_back", "srv-b")] == "web2"
    assert ("http_back", "other") not in names
    assert names[("app", "app1")] == "web1"  # (the lab's own, always)


def test_lose_web1_is_watched_long_enough_after_the_detection_to_see_the_client_served() -> None:
    """Its answers after the window must hold a run of good ones (STREAK_S) whose fate is
    known (ANSWER_S before the last), at the rate of a submission's run."""
    [web] = [f for f in faults.faults() if f.scenario == "lose-web1"]
    assert web.settle_s is not None and web.settle_requests is not None
    assert web.settle_requests / faults.RATE >= faults.STREAK_S + faults.ANSWER_S
    assert web.settle_requests > load_scenario("lose-web1").settle_requests
