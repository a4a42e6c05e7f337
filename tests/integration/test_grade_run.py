"""`labtool grade --run` on planted submissions: each one's own cluster built from its files
(real keepalived, HAProxy and Apache in confined namespaces), broken as the lab does, and the
behaviour asserted as an instructor would read it; a hostile submission kept inside its node
and stopped at its bounds while the class goes on; nothing of any grading lab left after."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from labtool.backends.netns.teardown import KILL_TIMEOUT_S
from labtool.grading import work
from labtool.grading.run import labs as run_class
from labtool.grading.run.behaviour import Behaviour, evidence
from labtool.grading.submission.archives import open_submission
from labtool.spec.load import default_spec
from tests.integration.conftest import STATE_ROOT, Baseline, labtool
from tests.submissions import BOTH_HA, HA, KA1, PITFALLS, correct, edit, write

CORPUS = Path(__file__).parents[1] / "corpus" / "grading"
CHECKS = (
    "vip_answers",
    "load_balancing",
    "lose_web1",
    "lose_haproxy1",
    "track_haproxy",
    "no_split_brain",
)

EVIL = """#!/bin/sh
id >> /tmp/evil-id
echo pwned > /etc/labtool-evil 2>/dev/null
echo pwned > /usr/labtool-evil 2>/dev/null
echo pwned > /var/lib/labtool-evil 2>/dev/null
cat /etc/shadow >> /tmp/evil-shadow 2>&1
i=0
while [ $i -lt 3000 ]; do sleep 30 & i=$((i + 1)); done
exit 0
"""
HOST_MARKS = (
    "/etc/labtool-evil-socket",
    "/etc/labtool-evil",
    "/usr/labtool-evil",
    "/var/lib/labtool-evil",
    "/tmp/evil-id",
    "/tmp/evil-shadow",
)


def hostile() -> dict[str, str]:
    files = edit(KA1, 'script "/usr/bin/killall -0 haproxy"', 'script "/etc/keepalived/evil.sh"')(
        correct()
    )
    files["haproxy1/etc/keepalived/evil.sh"] = EVIL
    return files


def no_check() -> dict[str, str]:
    files = edit(HA, "10.0.0.21:80 check", "10.0.0.21:80", *BOTH_HA)(correct())
    return edit(HA, "10.0.0.22:80 check", "10.0.0.22:80", *BOTH_HA)(files)


PLANTED = {
    "correct": correct,
    "vrid-differs": lambda: PITFALLS["vrid-differs"][0](correct()),
    "vip-differs": lambda: PITFALLS["vip-differs"][0](correct()),
    "track-undefined": lambda: PITFALLS["track-undefined"][0](correct()),
    "no-check": no_check,
    "one-server": lambda: PITFALLS["web-missing"][0](correct()),
    "port-5000": lambda: PITFALLS["frontend-port"][0](correct()),
    "frontend-address": lambda: PITFALLS["frontend-address"][0](correct()),
    "hostile": hostile,
    # HAProxy (root, no code of the submission's run) told to put its socket on the grader's
    # files: only the node's read-only view of them stops it
    "socket-on-host": lambda: edit(
        HA, "stats socket /var/lib/haproxy/stats", "stats socket /etc/labtool-evil-socket", *BOTH_HA
    )(correct()),
}


def _routes(lab: str) -> dict[str, list[str]]:
    from labtool.grading.run.probes import routes_off_lab
    from labtool.spec.load import parse_lab
    from labtool.state import LabState
    from labtool.transport.nsenter import NsenterTransport

    state = LabState.load(lab)
    assert state is not None
    spec = parse_lab(state.lab, lab)
    holders = state.holders
    view = SimpleNamespace(
        is_up=lambda n: n in holders, transport=lambda n: NsenterTransport(lab, n, holders[n].pid)
    )
    return routes_off_lab(spec, view)  # type: ignore[arg-type]


def grading_leftovers() -> list[str]:
    from labtool.backends.netns import bounds, procs

    found = [f"process of {lab}" for lab in procs.labs_running() if lab.startswith("grade-")]
    found += [f"cgroup of {lab}" for lab in bounds.leftover_labs() if lab.startswith("grade-")]
    if STATE_ROOT.is_dir():
        found += [f"folder {p}" for p in STATE_ROOT.iterdir() if p.name.startswith("grade-")]
    found += [
        line for line in Path("/proc/self/mountinfo").read_text().splitlines() if "/grade-" in line
    ]
    found += [f"scratch folder {p}" for p in work.stale()]  # (a killed grader's)
    return found


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """The planted class and two submissions of the corpus on other plans, run at once."""
    folder = tmp_path_factory.mktemp("class")
    for name, files in PLANTED.items():
        write(files(), folder / name)
    for name in ("benoit-vbox-56", "emma-proxmox"):
        shutil.copytree(CORPUS / name, folder / name)
    spec = default_spec()
    nodes = {n.name for n in spec.nodes}
    subs = [
        open_submission(p, tmp_path_factory.mktemp("work"), nodes) for p in sorted(folder.iterdir())
    ]
    seen: dict[str, str] = {}
    real = run_class.confining_backend()

    class Watching(real):  # type: ignore[misc,valid-type]
        """Before a lab is removed: the hostile node's own /tmp, and its links and routes,
        read from here (not from within its bounds, which its fork bomb has used up)."""

        @classmethod
        def destroy(cls, lab: str) -> int:
            tmp = STATE_ROOT / lab / "nodes" / "haproxy1" / "tmp"
            if (tmp / "evil-id").exists() and "evil-id" not in seen:
                time.sleep(0.5)
                for name in ("evil-id", "evil-shadow"):
                    seen[name] = (tmp / name).read_text() if (tmp / name).exists() else ""
                seen["routes"] = json.dumps(_routes(lab))
            return int(real.destroy(lab))

    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(run_class, "confining_backend", lambda: Watching)
    lines: list[str] = []
    try:
        started = time.monotonic()
        results = run_class.run_submissions(
            subs, spec, len(subs), lambda s, t: lines.append(f"{s}: {t}")
        )
        took = time.monotonic() - started
    finally:
        monkeypatch.undo()
    yield {"results": results, "seen": seen, "lines": lines, "took": took}


def b(ran: dict[str, object], name: str) -> Behaviour:
    results = ran["results"]
    assert isinstance(results, dict)
    behaviour = results[name]
    assert isinstance(behaviour, Behaviour)
    assert behaviour.error is None or name in ("hostile", "socket-on-host"), behaviour.error
    return behaviour


def test_the_correct_submission_gets_every_behaviour_point(ran: dict[str, object]) -> None:
    correct_one = b(ran, "correct")
    for check in (*CHECKS, "failback"):
        right, seen = evidence(correct_one, check)
        assert right, (check, seen)
    assert correct_one.served_by == ["web1", "web2"]
    assert correct_one.lose_haproxy1 is not None
    assert correct_one.lose_haproxy1.vip_holder_after == "haproxy2"
    assert 2.0 < (correct_one.lose_haproxy1.outage_s or 0) < 6.0
    assert correct_one.memory_kib and correct_one.memory_kib < 200 * 1024


@pytest.mark.parametrize("name", ["benoit-vbox-56", "emma-proxmox"])
def test_a_submission_on_its_own_plan_runs_on_it(ran: dict[str, object], name: str) -> None:
    """Other addresses, node names and NICs (VirtualBox's enp0s8, Proxmox's ens18, unicast
    VRRP): built as handed in, every behaviour of the lab seen."""
    theirs = b(ran, name)
    for check in CHECKS:
        right, seen = evidence(theirs, check)
        assert right, (check, seen)
    assert theirs.vip is not None and not theirs.vip.startswith("10.0.0.")


def test_a_vrid_mismatch_makes_both_master(ran: dict[str, object]) -> None:
    vrid = b(ran, "vrid-differs")
    assert vrid.split_brain
    assert sorted(vrid.split_brain_nodes) == ["haproxy1", "haproxy2"]
    assert evidence(vrid, "no_split_brain")[0] is False


def test_a_vip_typo_on_haproxy2_leaves_nothing_answering_after_haproxy1_is_lost(
    ran: dict[str, object],
) -> None:
    typo = b(ran, "vip-differs")
    assert typo.vip_answers
    assert typo.lose_haproxy1 is not None
    assert typo.lose_haproxy1.vip_holder_after is None
    assert typo.lose_haproxy1.outage_s is None
    assert "nothing answered" in evidence(typo, "lose_haproxy1")[1]


def test_an_undefined_track_script_moves_the_vip_on_power_loss_only(
    ran: dict[str, object],
) -> None:
    untracked = b(ran, "track-undefined")
    assert untracked.lose_haproxy1 is not None
    assert untracked.lose_haproxy1.vip_holder_after == "haproxy2"
    assert untracked.stop_haproxy is not None
    assert untracked.stop_haproxy.node == "haproxy1"
    assert untracked.stop_haproxy.vip_moved is False
    assert untracked.stop_haproxy.vip_holder_after == "haproxy1"


def test_servers_without_check_keep_failing_after_web1_is_lost(ran: dict[str, object]) -> None:
    unchecked = b(ran, "no-check")
    assert unchecked.lose_web1 is not None
    assert unchecked.lose_web1.detected_s is None
    assert unchecked.lose_web1.failed_after > 0
    assert evidence(unchecked, "lose_web1")[0] is False


def test_one_backend_server_web2_never_serves(ran: dict[str, object]) -> None:
    single = b(ran, "one-server")
    assert single.served_by == ["web1"]
    assert "web2" not in single.served_by
    assert evidence(single, "load_balancing")[0] is False


def test_a_frontend_on_5000_answers_nothing_on_port_80(ran: dict[str, object]) -> None:
    elsewhere = b(ran, "port-5000")
    assert not elsewhere.vip_answers
    assert elsewhere.lose_web1 is None and elsewhere.lose_haproxy1 is None


def test_a_haproxy_1_5_line_is_adapted_as_up_does_and_said(ran: dict[str, object]) -> None:
    """`frontend main *:80` (the lab's HAProxy 1.5 line, which 2.x refuses) runs as the
    student meant it, and the behaviour says how it was run."""
    old = b(ran, "frontend-address")
    assert old.vip_answers and old.served_by == ["web1", "web2"]
    assert any("'bind' line" in a for a in old.adaptations)


def test_not_root_is_refused_before_anything_is_made(tmp_path: Path, baseline: Baseline) -> None:
    write(correct(), tmp_path / "alice")
    done = subprocess.run(
        ["unshare", "--user", sys.executable, "-m", "labtool", "grade", str(tmp_path), "--run"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3, done.stderr
    assert done.stderr.strip().splitlines() == [
        "labtool: error: grading by running needs root: each submission's lab is bounded by a "
        "cgroup. Fix: run it as root, e.g. 'sudo labtool ...'"
    ]
    assert grading_leftovers() == []
    baseline.assert_clean()


def test_a_hostile_track_script_stays_in_its_node_and_is_stopped(ran: dict[str, object]) -> None:
    seen = ran["seen"]
    assert isinstance(seen, dict)
    assert "uid=" in seen["evil-id"] and "(haproxy)" in seen["evil-id"], seen
    assert "root:" not in seen["evil-shadow"]
    assert "Permission denied" in seen["evil-shadow"]
    assert json.loads(seen["routes"]) == {}
    for mark in HOST_MARKS:
        assert not Path(mark).exists(), f"{mark} written on the grader's machine"
    socket = b(ran, "socket-on-host")
    assert not socket.vip_answers  # its HAProxy could not start: /etc is read-only in the node
    assert socket.error is not None and "Read-only file system" in socket.error, socket.error
    evil = b(ran, "hostile")
    assert evil.error is not None and "bound on processes" in evil.error, evil.error
    assert b(ran, "correct").error is None  # the class went on


def test_progress_is_said_per_student_and_nothing_is_left(ran: dict[str, object]) -> None:
    lines = ran["lines"]
    assert isinstance(lines, list)
    assert any(line.startswith("correct: losing haproxy1") for line in lines)
    assert any(line.startswith("hostile: done") for line in lines)
    assert grading_leftovers() == []


def test_the_command_grades_behaviour_in_json(tmp_path: Path, baseline: Baseline) -> None:
    write(correct(), tmp_path / "alice")
    write(PITFALLS["frontend-port"][0](correct()), tmp_path / "bob")
    lua = edit(HA, "global\n", "global\n    lua-load /etc/haproxy/x.lua\n", *BOTH_HA)(correct())
    write(lua, tmp_path / "carol")
    run = labtool(
        "grade", str(tmp_path), "--run", "--format", "json", "--lang", "en", timeout_s=300
    )
    assert run.returncode == 0, run.stderr
    grades = {g["submission"]: g for g in json.loads(run.stdout)}
    alice, bob, carol = (
        grades["alice"]["behaviour"],
        grades["bob"]["behaviour"],
        grades["carol"]["behaviour"],
    )
    for key in (
        "vip_answers",
        "served_by",
        "lose_web1",
        "lose_haproxy1",
        "split_brain",
        "adaptations",
        "refused",
    ):
        assert key in alice
    assert alice["vip_answers"] is True and alice["refused"] is None
    assert set(alice["lose_web1"]) >= {"detected_s", "served_after"}
    assert set(alice["lose_haproxy1"]) >= {"vip_holder_after", "outage_s"}
    assert bob["vip_answers"] is False
    assert "Lua" in carol["refused"]
    alice_run = {c["id"]: c for c in grades["alice"]["criteria"] if c["id"].startswith("run-")}
    assert alice_run and all(c["points"] == c["max"] for c in alice_run.values())
    assert not [c for c in grades["carol"]["criteria"] if c["id"].startswith("run-")]
    bob_vip = next(c for c in grades["bob"]["criteria"] if c["id"] == "run-vip")
    assert bob_vip["points"] == 0
    assert "alice: losing haproxy1" in run.stderr
    assert "carol: not run" in run.stderr
    assert grading_leftovers() == []
    baseline.assert_clean()


def test_ctrl_c_removes_every_grading_lab(tmp_path: Path, baseline: Baseline) -> None:
    for name in ("a", "b"):
        write(correct(), tmp_path / name)
    proc = subprocess.Popen(
        [sys.executable, "-m", "labtool", "grade", str(tmp_path), "--run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if "waiting for the VIP" in line:
                break
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
        assert proc.returncode == 130
    finally:
        if proc.poll() is None:
            proc.kill()
    assert grading_leftovers() == []
    baseline.assert_clean()


def test_a_lab_past_its_time_bound_is_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(correct(), tmp_path / "slow")
    spec = default_spec()
    sub = open_submission(tmp_path / "slow", tmp_path / "work", {n.name for n in spec.nodes})
    monkeypatch.setattr(run_class, "LAB_TIME_S", 8.0)
    results = run_class.run_submissions([sub], spec, 1, lambda s, t: None)
    assert results["slow"].error == "stopped at its time bound (8 s)"
    # removed at its bound: stopped, then killed within the teardown's own limit
    assert results["slow"].seconds < run_class.LAB_TIME_S + KILL_TIMEOUT_S
    assert grading_leftovers() == []


def test_a_grader_killed_leaves_labs_the_next_run_removes(tmp_path: Path) -> None:
    write(correct(), tmp_path / "x")
    proc = subprocess.Popen(
        [sys.executable, "-m", "labtool", "grade", str(tmp_path), "--run"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if "waiting for the VIP" in line:
                break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert grading_leftovers() != []
    assert run_class.remove_leftovers() != []
    assert grading_leftovers() == []
