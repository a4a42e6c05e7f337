"""`labtool grade --run`: each submission's own cluster built as a throwaway, confined netns lab
(the one provisioning path, the submission's files), broken in the lab's ways, and removed;
several at once, each in its own namespaces with the same lab addresses.

Every lab is bounded: in time (LAB_TIME_S, then it is removed whatever it does), in processes
and memory (netns/bounds.py). It is removed when its run ends, fails, or the grader is
interrupted; labs left by a grader that was killed are removed by the next run."""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from labtool.backends import confining_backend
from labtool.backends.base import Backend
from labtool.errors import LabtoolError
from labtool.grading import work
from labtool.grading.run.behaviour import Behaviour
from labtool.grading.run.faults import Fault, observe, to_run
from labtool.grading.run.lab import RunLab
from labtool.grading.run.probes import routes_off_lab
from labtool.grading.score.rubric import BEHAVIOURS
from labtool.grading.submission.archives import Submission
from labtool.i18n import Msg
from labtool.provision.converge import build
from labtool.provision.files import Adaptation
from labtool.spec.check import spec_to_dict, validate
from labtool.spec.model import LabSpec
from labtool.state import LabState, known_labs

LAB_TIME_S = 150.0  # one submission's whole run, boot to removal
HIT_EVERY_S = 0.5  # how often a running lab's process and memory limits are read
PREFIX = "grade-"

Say = Callable[[str, str], None]  # (submission, what it is doing)


class _Quiet:
    """The build's progress, kept to the submission's line."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say

    def step(self, text: str) -> None:
        self.say(text)

    def adaptation(self, change: Adaptation) -> None:
        pass

    def waiting(self, text: str, elapsed_s: float, expected_s: float) -> None:
        pass


def lab_name(index: int) -> str:
    return f"{PREFIX}{os.getpid()}-{index}"


def leftover_labs() -> list[str]:
    """Grading labs whose grader is gone (killed): theirs to remove."""
    names = set(known_labs()) | confining_backend().running_labs()
    return [name for name in sorted(names) if work.grader_gone(name, PREFIX)]


def remove_leftovers() -> list[str]:
    """The labs, and the scratch folders, of graders that were killed."""
    removed = leftover_labs()
    for name in removed:
        confining_backend().destroy(name)
    return removed + [str(p) for p in work.remove_stale()]


class _Bounds:
    """One lab's bounds while it runs: the class's stop, its time (a watchdog removes the lab
    at LAB_TIME_S), its processes and memory (its backend's limits)."""

    def __init__(self, name: str, stop: threading.Event) -> None:
        self.name, self.stop = name, stop
        self.expired = threading.Event()
        self.removing = threading.Lock()  # the watchdog's removal and the run's, one at a time
        self.backend: Backend | None = None
        self.watchdog = threading.Timer(LAB_TIME_S, self._expire)
        self.watchdog.daemon = True
        self._hit: list[str] = []
        self._hit_at = -HIT_EVERY_S

    def _expire(self) -> None:
        self.expired.set()
        with self.removing, contextlib.suppress(LabtoolError, OSError):
            confining_backend().destroy(self.name)

    def hit(self) -> list[str]:
        """The limits the lab reached, read at most every HIT_EVERY_S (checked() runs at every
        tick of every scenario; a limit once reached stays reached in its counters)."""
        now = time.monotonic()
        if self.backend is not None and now - self._hit_at >= HIT_EVERY_S:
            self._hit_at, self._hit = now, self.backend.limits_hit()
        return self._hit

    def checked(self) -> None:
        """Raises once the lab must stop, saying why."""
        if self.stop.is_set():
            raise LabtoolError(Msg("the class run was interrupted"))
        if self.expired.is_set():
            raise LabtoolError(
                Msg("stopped at its time bound ({lab_time_s:.0f} s)", lab_time_s=LAB_TIME_S)
            )
        if hit := self.hit():
            raise LabtoolError(Msg("stopped at its bound on {join}", join=" and ".join(hit)))

    def __enter__(self) -> _Bounds:
        self.watchdog.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.watchdog.cancel()
        with self.removing:
            confining_backend().destroy(self.name)


def run_one(
    run: RunLab,
    name: str,
    say: Callable[[str], None],
    stop: threading.Event | None = None,
    faults: list[Fault] | None = None,
) -> Behaviour:
    """Build, break (with `faults`: every behaviour's by default) and remove one
    submission's lab (`stop`: the class was interrupted)."""
    stop = stop or threading.Event()
    faults = faults if faults is not None else to_run(BEHAVIOURS)
    if stop.is_set():
        return Behaviour(error="the class run was interrupted")
    if run.refused is not None or run.spec is None:
        return Behaviour(refused=run.refused or "nothing to run", adaptations=run.adaptations)
    started = time.monotonic()
    spec = replace(run.spec, name=name)
    try:
        validate(spec, "the submission's plan")
    except LabtoolError as exc:
        return Behaviour(refused=f"its plan cannot be built: {exc}")
    behaviour = Behaviour(vip=str(spec.vip), adaptations=list(run.adaptations))
    with _Bounds(name, stop) as bounds:
        try:
            backend = _built(spec, run, say, bounds)  # (its keepalived started by now)
            booted_at = time.monotonic()
            behaviour = observe(spec, backend, run, say, bounds.checked, faults, booted_at)
            behaviour.memory_kib = backend.peak_memory_kib() or backend.memory_kib()
            bounds.checked()
        except LabtoolError as exc:
            behaviour.error = _why(str(exc), bounds.expired.is_set(), bounds.hit())
    behaviour.seconds = round(time.monotonic() - started, 1)
    return behaviour


def _built(spec: LabSpec, run: RunLab, say: Callable[[str], None], bounds: _Bounds) -> Backend:
    """The submission's lab, confined and up, with no way off its LAN (its backend known to
    its bounds from the start: a fork bomb at boot is theirs)."""
    state = LabState(
        name=spec.name,
        backend=confining_backend().name,
        lab=spec_to_dict(spec),
        created_at=time.time(),
        options={"confined": "1"},
    )
    for change in confining_backend().make_room(spec):
        say(change)
    state.save()
    bounds.backend = backend = confining_backend()(spec, state)
    say(Msg("booting"))
    build(spec, backend, _Quiet(say), bare=False, render=run.render)
    state.phase = "up"
    state.save()
    off = routes_off_lab(spec, backend)
    if off:
        raise LabtoolError(Msg("a node has a way off the lab ({off}); not run", off=off))
    return backend


def _why(text: str, expired: bool, hit: list[str]) -> str:
    if expired:
        return f"stopped at its time bound ({LAB_TIME_S:.0f} s)"
    if hit:
        return f"stopped at its bound on {' and '.join(hit)}"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return "it could not boot"
    first = re.split(r"\s*\[(?:NOTICE|WARNING)\]", lines[0])[0].rstrip(": ")
    alerts = [re.sub(r"^\[ALERT\]\s*(\(\d+\))?\s*:\s*", "", x) for x in lines if "[ALERT]" in x]
    return (first + (f": {alerts[0]}" if alerts and alerts[0] not in first else ""))[:300]


def run_class(
    runs: list[tuple[str, RunLab]], jobs: int, say: Say, faults: list[Fault] | None = None
) -> dict[str, Behaviour]:
    """Every submission's run, at most `jobs` labs at once; an interrupted class removes its
    labs before it stops."""
    remove_leftovers()
    names = {submission: lab_name(i) for i, (submission, _) in enumerate(runs)}
    stop = threading.Event()
    results: dict[str, Behaviour] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        futures = {
            submission: pool.submit(
                run_one, run, names[submission], _teller(say, submission), stop, faults
            )
            for submission, run in runs
        }
        for submission, future in futures.items():
            results[submission] = future.result()
            say(submission, _done(results[submission]))
    except BaseException:
        stop.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if stop.is_set():  # interrupted: what the runs had made, removed
            for name in names.values():
                with contextlib.suppress(LabtoolError, OSError):
                    confining_backend().destroy(name)
    return results


def _teller(say: Say, submission: str) -> Callable[[str], None]:
    return lambda text: say(submission, text)


def _done(b: Behaviour) -> str:
    if b.refused:
        return Msg("not run: {why}", why=b.refused)
    if b.error:
        return Msg("done in {seconds:.0f} s: {error}", seconds=b.seconds, error=b.error)
    return Msg("done in {seconds:.0f} s", seconds=b.seconds)


def run_submissions(
    submissions: list[Submission],
    spec: LabSpec,
    jobs: int,
    say: Callable[[str, str], None] | None,
    faults: list[Fault] | None = None,
) -> dict[str, Behaviour]:
    """Each readable submission's cluster, run from its own plan and files, broken with
    `faults` (every behaviour's by default)."""
    from labtool.grading.run.lab import prepare
    from labtool.grading.submission.plan import read_submission
    from labtool.provision.node import local_versions

    versions = local_versions()
    runs = []
    for submission in submissions:
        if submission.root is None:
            continue
        configs, plan = read_submission(submission.root, spec)
        runs.append((submission.name, prepare(configs, plan, spec, versions, submission.root)))
    return run_class(runs, jobs, say or (lambda _s, _t: None), faults)
