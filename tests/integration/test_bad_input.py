"""A broken lab file, not being root, a missing binary: one clear message, a non-zero exit,
and nothing created."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from labtool.doctor import NETNS_BINARIES
from tests.integration.conftest import STATE_ROOT, Baseline, labtool, marked_processes


def assert_nothing_created(name: str, baseline: Baseline) -> None:
    assert marked_processes(name) == []
    assert not (STATE_ROOT / name).exists()
    baseline.assert_clean(name)


def test_broken_lab_file(tmp_path: Path, baseline: Baseline) -> None:
    lab = tmp_path / "lab.toml"
    lab.write_text('vip = "10.9.9.9"\n')
    run = labtool("up", "--name", "it-bad", "--lab", str(lab))
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        f"labtool: error: {lab}: vip: 10.9.9.9 is outside the subnet 10.0.0.0/24. Fix: choose "
        "an address inside 10.0.0.0/24 or change 'subnet'"
    ]
    assert_nothing_created("it-bad", baseline)


def test_a_user_without_subordinate_ids(baseline: Baseline) -> None:
    """Run as a user that has no range in /etc/subuid (nobody: a new user namespace with no ID
    mapping, so the euid is the overflow UID 65534 and the process has no capability on this
    machine): a lab without root needs that range, and labtool says so with both fixes before
    creating anything. (A lab of a user that has one: test_rootless.py.)"""
    done = subprocess.run(
        ["unshare", "--user", sys.executable, "-m", "labtool", "up", "--name", "it-nonroot"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 3, done.stderr
    assert done.stderr.strip().splitlines() == [
        "labtool: error: user nobody has no range of subordinate ids of 65536 in /etc/subuid: a "
        "lab without root needs one, as the nodes' daemons switch users (apache2 to www-data, "
        "haproxy to haproxy). Fix: sudo usermod --add-subuids 100000-165535 --add-subgids "
        "100000-165535 nobody (a range no other user has), or run the lab as root: sudo "
        "labtool up"
    ]
    assert_nothing_created("it-nonroot", baseline)


def test_missing_binary(tmp_path: Path, baseline: Baseline) -> None:
    """PATH holds every binary the lab needs but tini: labtool names it and its package."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for binary in NETNS_BINARIES:
        if binary != "tini":
            found = shutil.which(binary)
            assert found
            (bin_dir / binary).symlink_to(found)
    run = labtool("up", "--name", "it-missing", env={**os.environ, "PATH": str(bin_dir)})
    assert run.returncode == 3
    assert run.stderr.strip().splitlines() == [
        "labtool: error: missing on this machine: tini. Fix: apt-get install -y tini"
    ]
    assert_nothing_created("it-missing", baseline)
    doctor = labtool("doctor", env={**os.environ, "PATH": str(bin_dir)})
    assert doctor.returncode == 3
    assert "apt-get update && apt-get install -y tini" in doctor.stdout


def test_watch_without_a_lab(baseline: Baseline) -> None:
    run = labtool("watch", "--name", "it-nowatch", "--no-browser")
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [
        "labtool: error: lab 'it-nowatch' is not up. Fix: labtool up --name it-nowatch"
    ]
    assert_nothing_created("it-nowatch", baseline)
