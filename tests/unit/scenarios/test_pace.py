"""Deadlines that follow the backend (labtool.scenarios.pace) and waits whose deadline covers
a few slow checks (labtool.scenarios.cluster.wait_for): pure, no lab."""

from __future__ import annotations

import itertools
import re
import time

import pytest

from labtool.errors import LabtoolError
from labtool.scenarios.cluster import wait_for
from labtool.scenarios.pace import MAX_EXTRA_S, MAX_FACTOR, Pace


def test_namespaces_keep_their_deadlines() -> None:
    """Figures measured on netns: an agent up in 0.23 s, its first 5 answers in 0.08 s."""
    pace = Pace.shown(0.23, 0.004, 0.084, {"haproxy1": 0.2, "haproxy2": 0.15})
    assert pace.factor == 1.0
    assert pace.deadline("baseline_s", 10.0) == 10.0
    assert pace.deadlines == {"baseline_s": 10.0}


def test_a_slow_backend_stretches_them_by_what_it_showed() -> None:
    by_start = Pace.shown(4.2, 0.3, 0.4, {})
    assert by_start.factor == pytest.approx(4.2)
    assert by_start.deadline("baseline_s", 10.0) == pytest.approx(42.0)
    by_answers = Pace.shown(0.5, 0.9, 2.0, {})  # starts fast, answers slowly
    assert by_answers.factor == pytest.approx(4.0)
    by_watcher = Pace.shown(0.5, 0.1, 0.2, {"haproxy2": 6.0})
    assert by_watcher.factor == pytest.approx(6.0)


def test_however_slow_a_deadline_stays_bounded() -> None:
    pace = Pace.shown(300.0, 30.0, 60.0, {})
    assert pace.factor == MAX_FACTOR
    assert pace.deadline("condition_s", 7.6) == pytest.approx(76.0)
    assert pace.deadline("restore_s", 100.0) == 100.0 + MAX_EXTRA_S


def test_a_wait_gives_a_slow_check_three_tries_and_rests_between() -> None:
    """A check that takes 0.3 s against a 0.1 s deadline: three looks at least, not one, and
    as long a rest after each (checks that log into machines load them)."""
    calls: list[float] = []

    def slow_false() -> bool:
        calls.append(time.monotonic())
        time.sleep(0.3)
        return False

    with pytest.raises(LabtoolError) as caught:
        wait_for(slow_false, 0.1, "the thing", detail=lambda: "seen: nothing")
    assert len(calls) >= 3
    assert all(b - a >= 0.55 for a, b in itertools.pairwise(calls))  # 0.3 s check + 0.3 s rest
    assert re.match(r"not within \d\.\d s: the thing; one check took up to", str(caught.value))
    assert str(caught.value).endswith("; seen: nothing")


def test_a_wait_on_a_fast_check_keeps_its_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a clock of the test's own (a check costs nothing, a rest what it asks): the wait
    gives up within one rest of its deadline, not later."""
    from labtool.scenarios import cluster

    now = [100.0]
    monkeypatch.setattr(cluster.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(cluster.time, "sleep", lambda s: now.__setitem__(0, now[0] + s))
    with pytest.raises(LabtoolError) as caught:
        wait_for(lambda: False, 0.2, "the thing")
    assert now[0] - 100.0 <= 0.2 + cluster.TICK_S + 1e-9
    assert str(caught.value) == "not within 0.2 s: the thing"


def test_a_wait_returns_when_the_condition_holds() -> None:
    results = iter([False, False, True])
    assert wait_for(lambda: next(results), 5.0, "x") < 1.0
