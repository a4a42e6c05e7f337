"""The classroom's sweep: a large class's periodic checks spread over time (issue 23's
benchmark: 200 students' checks every 2 minutes kept a third of the machine busy)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from labtool.serve import classroom as module
from labtool.serve.classroom import Classroom, Live
from labtool.serve.roster import Student
from labtool.serve.store import Store


def test_a_sweep_starts_a_few_periodic_checks_the_longest_unchecked_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Of 12 labs due (looked at, unchecked for longer than PERIOD_S), one sweep checks
    PERIODIC_PER_SWEEP, the oldest; one not looked at, or checked lately, is not due."""
    classroom = Classroom(Store(tmp_path), placement=None, bare=True)  # type: ignore[arg-type]
    checked: list[str] = []

    async def check(live: Live) -> None:
        checked.append(live.student.slug)

    monkeypatch.setattr(classroom, "check", check)

    async def sweep() -> None:
        now = module.time.monotonic()
        for i in range(14):
            live = classroom.of(Student(str(i), f"S{i}", "", f"s{i:02d}"))
            live.phase, live.watchers = "up", 1
            live.last_check = now - module.PERIOD_S - 100 + i  # (s00 the longest unchecked)
        classroom.live["s12"].watchers = 0  # (no page: not due)
        classroom.live["s13"].last_check = now  # (checked now: not due)
        classroom.sweep()
        await asyncio.gather(*classroom.tasks)

    try:
        asyncio.run(sweep())
    finally:
        classroom.close()
    assert module.PERIODIC_PER_SWEEP == 5
    assert checked == ["s00", "s01", "s02", "s03", "s04"]
