"""down removes everything a lab made, and only that: after a clean up, after 20 cycles,
after an up killed with -9 mid-way; two labs side by side do not touch each other."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.integration.conftest import (
    STATE_ROOT,
    Baseline,
    LabFactory,
    exec_on,
    labtool,
    marked_processes,
    status,
)
from tests.shared import SHARED


def test_down_removes_every_namespace_process_mount_and_file(baseline: Baseline) -> None:
    name = "it-down"
    try:
        run = labtool("up", "--name", name, "--no-wait")
        assert run.returncode == 0, run.stderr
        assert marked_processes(name)
        assert (STATE_ROOT / name).is_dir()
    finally:
        down = labtool("down", "--name", name)
    assert down.returncode == 0
    assert f"lab '{name}' removed" in down.stdout
    baseline.assert_clean(name)
    again = labtool("down", "--name", name)
    assert again.returncode == 0
    assert "not up; nothing to remove" in again.stdout


def test_twenty_up_down_cycles_leave_nothing_behind(baseline: Baseline) -> None:
    name = "it-cycle"
    try:
        for cycle in range(20):
            up = labtool("up", "--name", name, "--no-wait")
            assert up.returncode == 0, f"cycle {cycle}: {up.stderr}"
            down = labtool("down", "--name", name)
            assert down.returncode == 0, f"cycle {cycle}: {down.stderr}"
            assert marked_processes(name) == [], f"cycle {cycle}"
    finally:
        labtool("down", "--name", name)
    baseline.assert_clean(name)


@pytest.mark.parametrize("delay_s", [0.0, 0.08, 0.16, 0.25, 0.4])
def test_up_killed_with_9_midway_is_fully_cleaned_by_down(
    baseline: Baseline, delay_s: float
) -> None:
    name = "it-kill"
    proc = subprocess.Popen(
        [sys.executable, "-m", "labtool", "up", "--name", name],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Once labtool has started building (its lab folder exists), let it go on a moment.
        deadline = time.monotonic() + 10
        while not (STATE_ROOT / name).exists() and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(delay_s)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        state_file = STATE_ROOT / name / "state.json"
        built = state_file.exists() and '"phase": "up"' in state_file.read_text()
        # what the killed `up` left, seen before the next `up` makes its own (killed before
        # its state was written, it left nothing: the next `up` builds the lab afresh)
        left = bool(marked_processes(name)) or state_file.exists()
        again = labtool("up", "--name", name, "--no-wait")
        if built:  # killed while waiting for the VIP: the lab itself was whole
            assert again.returncode == 0 and "already up" in again.stdout
        elif left:
            assert again.returncode == 1, again.stdout
            assert f"labtool down --name {name}" in again.stderr
    finally:
        proc.kill() if proc.poll() is None else None
        down = labtool("down", "--name", name)
    assert down.returncode == 0, down.stderr
    baseline.assert_clean(name)


def test_two_labs_side_by_side_do_not_touch_each_other(
    lab_factory: LabFactory, baseline: Baseline
) -> None:
    lab_factory("it-side-a")
    lab_factory("it-side-b")
    exec_on("it-side-a", "web1", "sh", "-c", "echo 'lab a' > /var/www/html/index.html")
    a = exec_on("it-side-a", "client", "curl", "-s", "http://10.0.0.21/").stdout
    b = exec_on("it-side-b", "client", "curl", "-s", "http://10.0.0.21/").stdout
    assert (a, b) == ("lab a\n", "test web1\n")
    assert status("it-side-a")["vip_holder"] == "haproxy1"
    assert status("it-side-b")["vip_holder"] == "haproxy1"
    # Without --name, several labs: one clear message.
    ambiguous = labtool("status")
    assert ambiguous.returncode == 1
    assert "several labs" in ambiguous.stderr and "--name" in ambiguous.stderr
    assert labtool("down", "--name", "it-side-a").returncode == 0
    assert marked_processes("it-side-a") == []
    answers = {
        exec_on("it-side-b", "client", "curl", "-s", "http://10.0.0.10/").stdout for _ in range(4)
    }
    assert answers == {"test web1\n", "test web2\n"}
    assert labtool("down", "--name", "it-side-b").returncode == 0
    baseline.assert_clean("it-side-a", "it-side-b")


def test_bare_nodes_are_the_lab_s_vms_before_their_first_step(lab_factory: LabFactory) -> None:
    """No package of the lab yet (no config, no unit), and no daemon; `yum install` lays the
    CentOS 7 package's files (its haproxy.cfg is CentOS 7's, with `frontend  main *:5000`)."""
    run = lab_factory("it-bare", "--bare")
    assert "bare" in run.stdout
    data = status("it-bare")
    assert data["vip_holders"] == []
    for node in data["nodes"]:  # type: ignore[attr-defined]
        assert not any(node["daemons"].values()), node
        assert node["up"]
    for path in ("/etc/haproxy/haproxy.cfg", "/etc/keepalived/keepalived.conf"):
        assert exec_on("it-bare", "haproxy1", "test", "-e", path).returncode != 0
    assert exec_on("it-bare", "haproxy1", "yum", "install", "-y", "haproxy").returncode == 0
    centos7 = (SHARED / "corpus" / "centos7-default-haproxy.cfg").read_text()
    assert exec_on("it-bare", "haproxy1", "cat", "/etc/haproxy/haproxy.cfg").stdout == centos7
    # The student goes on by hand, as the seed says.
    assert exec_on("it-bare", "web1", "yum", "install", "httpd", "-y").returncode == 0
    exec_on("it-bare", "web1", "sh", "-c", 'echo "test web1" > /var/www/html/index.html')
    assert exec_on("it-bare", "web1", "systemctl", "start", "httpd").returncode == 0
    answer = exec_on("it-bare", "client", "curl", "-s", "-m", "2", "http://10.0.0.21/")
    assert answer.stdout == "test web1\n"


@pytest.mark.parametrize("delay_s", [0.05, 0.2])
def test_ctrl_c_during_up_removes_the_half_built_lab(baseline: Baseline, delay_s: float) -> None:
    name = "it-ctrlc"
    proc = subprocess.Popen(
        [sys.executable, "-m", "labtool", "up", "--name", name],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 10
        while not (STATE_ROOT / name).exists() and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(delay_s)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
        state_file = STATE_ROOT / name / "state.json"
        if state_file.exists() and '"phase": "up"' in state_file.read_text():
            # Interrupted while waiting for the VIP: the lab is whole and stays up.
            assert proc.returncode == 130
        else:
            assert proc.returncode == 130, stderr
            assert "interrupted" in stderr
            assert "Traceback" not in stderr
            baseline.assert_clean(name)
    finally:
        if proc.poll() is None:
            proc.kill()
        labtool("down", "--name", name)
    baseline.assert_clean(name)


def test_down_with_unreadable_state_still_removes_the_lab(baseline: Baseline) -> None:
    name = "it-corrupt"
    try:
        assert labtool("up", "--name", name, "--no-wait").returncode == 0
        (STATE_ROOT / name / "state.json").write_text("{not json")
        broken = labtool("status", "--name", name)
        assert broken.returncode == 1
        assert "unreadable lab state" in broken.stderr
    finally:
        down = labtool("down", "--name", name)
    assert down.returncode == 0, down.stderr
    baseline.assert_clean(name)
