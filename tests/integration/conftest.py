"""Integration fixtures: the real `labtool` command, real daemons, and two guards.

- Network safety: while every test runs, a sampler watches the root namespace and fails the
  test if an address, route or neighbour entry on a lab subnet ever appears there.
- Nothing left behind: every lab a test makes is removed in its finalizer, even on failure,
  and the session ends by checking that no lab process, namespace or mount remains.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

LAB_SUBNETS = [ipaddress.IPv4Network("10.0.0.0/24"), ipaddress.IPv4Network("192.168.56.0/24")]
STATE_ROOT = Path(os.environ.get("LABTOOL_STATE_DIR", "/run/labtool"))


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


def labtool(
    *args: str,
    timeout_s: float = 120,
    env: dict[str, str] | None = None,
    input_text: str | None = None,
) -> Run:
    """Run the real command line, as a user would."""
    done = subprocess.run(
        [sys.executable, "-m", "labtool", *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env=env,
        input=input_text,
        stdin=None if input_text is not None else subprocess.DEVNULL,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def status(name: str) -> dict[str, object]:
    run = labtool("status", "--json", "--name", name)
    assert run.returncode == 0, run.stderr
    data: dict[str, object] = json.loads(run.stdout)
    return data


def exec_on(name: str, node: str, *command: str) -> Run:
    return labtool("exec", node, "--name", name, "--", *command)


def wait_until(condition: Callable[[], object], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout_s} s: {what}")


# --- what a lab may leave behind -------------------------------------------------------------


def marked_processes(name: str) -> list[int]:
    from labtool.backends.netns import procs

    return sorted(procs.lab_marked(name))


def net_namespaces() -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                found.add(os.stat(f"/proc/{entry}/ns/net").st_ino)
    return found


def root_mounts() -> list[str]:
    return sorted(line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines())


@dataclass
class Baseline:
    namespaces: set[int]
    mounts: list[str]

    def assert_clean(self, *names: str) -> None:
        for name in names:
            assert marked_processes(name) == [], f"processes of lab {name} remain"
            assert not (STATE_ROOT / name).exists(), f"files of lab {name} remain"
        wait_until(
            lambda: net_namespaces() <= self.namespaces, 10, "the lab's network namespaces are gone"
        )
        assert root_mounts() == self.mounts


@pytest.fixture
def baseline() -> Baseline:
    return Baseline(net_namespaces(), root_mounts())


# --- network safety ----------------------------------------------------------------------------


def lab_entries_in_root_namespace() -> list[str]:
    found = []
    for argv in (
        ["ip", "-j", "-4", "addr"],
        ["ip", "-j", "-4", "route", "show", "table", "all"],
        ["ip", "-j", "-4", "neigh"],
    ):
        text = subprocess.run(argv, capture_output=True, text=True).stdout or "[]"
        for entry in json.loads(text):
            candidates = [info.get("local", "") for info in entry.get("addr_info", [])]
            candidates += [entry.get("dst", ""), entry.get("prefsrc", ""), entry.get("gateway", "")]
            for value in candidates:
                if not value or value == "default":
                    continue
                try:
                    net = ipaddress.IPv4Network(value, strict=False)
                except ValueError:
                    continue
                if any(net.overlaps(subnet) for subnet in LAB_SUBNETS):
                    found.append(f"{' '.join(argv[2:])}: {value}")
    return found


@pytest.fixture(autouse=True)
def root_namespace_stays_clean() -> Iterator[None]:
    """Sample the root namespace every 50 ms during the test: no lab address, route or
    neighbour may ever appear there."""
    seen: list[str] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            seen.extend(lab_entries_in_root_namespace())
            stop.wait(0.05)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join()
    seen.extend(lab_entries_in_root_namespace())
    assert not seen, f"lab subnet seen in the root namespace: {sorted(set(seen))}"


# --- labs ---------------------------------------------------------------------------------

LabFactory = Callable[..., Run]  # lab_factory(name, *up_options): the `up` it ran


@pytest.fixture
def lab_factory() -> Iterator[LabFactory]:
    """Make labs by name; every one is removed at the end, whatever happened."""
    made: list[str] = []

    def make(name: str, *extra: str) -> Run:
        made.append(name)
        run = labtool("up", "--name", name, *extra)
        assert run.returncode == 0, run.stdout + run.stderr
        return run

    yield make
    for name in made:
        labtool("down", "--name", name)
        assert marked_processes(name) == []


def lab_up_during(name: str) -> Iterator[str]:
    """A default lab up for the time of a module-scoped fixture, then removed."""
    run = labtool("up", "--name", name)
    try:
        assert run.returncode == 0, run.stdout + run.stderr
        yield name
    finally:
        labtool("down", "--name", name)


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """One default lab, up, shared by the read-only tests of a module."""
    yield from lab_up_during("it-main")


@pytest.fixture(scope="session")
def student() -> Iterator[object]:
    """A normal user made for the tests, labtool installed for it (tests/student.py); removed
    at the end with all it left."""
    from tests.student import make, remove

    made = make("lt-student")
    try:
        yield made
    finally:
        remove(made)


@pytest.fixture(scope="session", autouse=True)
def nothing_left_at_the_end() -> Iterator[None]:
    yield
    from labtool.backends.netns import procs

    leftovers = sorted(lab for lab in procs.labs_running() if lab.startswith("it-"))
    for lab in leftovers:
        labtool("down", "--name", lab)
    assert leftovers == [], f"labs left running by the tests: {leftovers}"
