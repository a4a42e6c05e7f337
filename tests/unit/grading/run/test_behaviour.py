"""Behaviour criteria (grade --run): the points per observed behaviour, and the evidence the
feedback quotes, from a Behaviour as the runs record it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from labtool.errors import LabFileError
from labtool.grading.run.behaviour import Behaviour, LoseLb, LoseWeb, StopHaproxy, evidence
from labtool.grading.score.exports import feedback
from labtool.grading.score.grade import grade_submission
from labtool.grading.score.rubric import BEHAVIOURS, DEFAULT_RUBRIC, load_rubric, parse_rubric
from labtool.grading.submission.archives import open_submission
from labtool.spec.load import default_spec
from tests.submissions import correct, write


def good() -> Behaviour:
    return Behaviour(
        vip="10.0.0.10",
        vip_answers=True,
        vip_holder="haproxy1",
        served_by=["web1", "web2"],
        requests=21,
        answered=21,
        lose_web1=LoseWeb("web1", 10.2, ["web2"], 0),
        lose_haproxy1=LoseLb("haproxy1", "haproxy2", 3.3, 60),
        failback=True,
        stop_haproxy=StopHaproxy("haproxy1", True, 1.2, "haproxy2"),
    )


def test_the_evidence_quotes_what_was_seen() -> None:
    b = good()
    assert all(evidence(b, check)[0] for check in BEHAVIOURS)
    assert evidence(b, "lose_haproxy1")[1] == (
        "haproxy1 powered off: your VIP moved to haproxy2; the client saw 3.3 s without an answer"
    )
    b.served_by = ["web1"]
    right, said = evidence(b, "load_balancing")
    assert not right and "web1" in said and "never answered" in said
    b.split_brain, b.split_brain_nodes = True, ["haproxy1", "haproxy2"]
    assert evidence(b, "no_split_brain") == (
        False,
        "haproxy1 and haproxy2 held the VIP at once (split brain)",
    )
    b.stop_haproxy = StopHaproxy("haproxy1", False, None, "haproxy1")
    assert "stayed there" in evidence(b, "track_haproxy")[1]
    b.stop_haproxy = StopHaproxy("haproxy1", False, None, None)
    assert "nobody took it" in evidence(b, "track_haproxy")[1]
    b.lose_web1 = LoseWeb("web1", None, ["web2"], 36)
    assert evidence(b, "lose_web1") == (
        False,
        "web1 powered off: 36 requests still failed at the end",
    )
    assert "bascul" not in evidence(good(), "lose_haproxy1", "fr")[1]
    assert "passée sur haproxy2" in evidence(good(), "lose_haproxy1", "fr")[1]


@pytest.fixture
def alice(tmp_path: Path):  # type: ignore[no-untyped-def]
    spec = default_spec()
    return open_submission(
        write(correct(), tmp_path / "alice"), tmp_path / "w", {n.name for n in spec.nodes}
    ), spec


def test_behaviour_criteria_count_only_with_a_run(alice) -> None:  # type: ignore[no-untyped-def]
    sub, spec = alice
    rubric = load_rubric()
    static = grade_submission(sub, spec, rubric, "en")
    assert not [c for c in static.criteria if c.id.startswith("run-")]
    ran = grade_submission(sub, spec, rubric, "en", behaviour=good())
    runs = [c for c in ran.criteria if c.id.startswith("run-")]
    assert len(runs) == 6 and all(c.points == c.max for c in runs)
    assert ran.max == static.max + 8
    assert ran.as_json()["behaviour"]["lose_haproxy1"]["outage_s"] == 3.3
    assert "the client saw 3.3 s without an answer" in feedback(ran, "en")


def test_a_cluster_that_does_not_boot_loses_every_behaviour_point(alice) -> None:  # type: ignore[no-untyped-def]
    sub, spec = alice
    broken = grade_submission(
        sub, spec, load_rubric(), "en", behaviour=Behaviour(error="keepalived did not start")
    )
    runs = [c for c in broken.criteria if c.id.startswith("run-")]
    assert runs and all(c.points == 0 for c in runs)
    assert "keepalived did not start" in runs[0].reasons[0].message


def test_a_refused_submission_keeps_its_static_grade(alice) -> None:  # type: ignore[no-untyped-def]
    sub, spec = alice
    rubric = load_rubric()
    static = grade_submission(sub, spec, rubric, "en")
    refused = grade_submission(
        sub, spec, rubric, "en", behaviour=Behaviour(refused="'lua-load': HAProxy would run Lua")
    )
    assert refused.grade == static.grade and refused.max == static.max
    assert any("behaviour not graded" in n.message for n in refused.notes)


def test_a_behaviour_criterion_names_what_it_observes() -> None:
    data = tomllib.loads(DEFAULT_RUBRIC.read_text())
    data["criterion"].append({"id": "x", "kind": "behaviour", "points": 1, "behaviour": "nope"})
    with pytest.raises(LabFileError, match="'behaviour' must be one of"):
        parse_rubric(data, "test")
    data["criterion"][-1]["behaviour"] = "failback"
    assert parse_rubric(data, "test").criteria[-1].behaviour == "failback"
