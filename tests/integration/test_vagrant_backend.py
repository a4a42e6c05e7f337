"""The Vagrant backend's plumbing (python-vagrant, ssh-config, SSH provisioning, state),
against a stand-in `vagrant` executable (tests/integration/stand_in/vagrant): no VM can boot
within a test here, so its machines are the nodes of a netns lab, reached over SSH through a
real sshd in each node, as VMs would be. The rendered Vagrantfile itself goes through the
real `vagrant validate`."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import STATE_ROOT, labtool, wait_until

STAND_IN = Path(__file__).parent / "stand_in"
MACHINES = "it-vmachines"  # the netns lab whose nodes play the VMs
LAB = "it-vagrant"


@pytest.mark.skipif(shutil.which("vagrant") is None and not os.environ.get("CI"),
                    reason="vagrant is not installed (setup.sh installs it)")
def test_up_status_exec_scenario_down_on_the_vagrant_backend(lab_factory: object,
                                                             tmp_path: Path) -> None:
    assert callable(lab_factory)
    lab_factory(MACHINES, "--bare")
    log = tmp_path / "vagrant.log"
    env = {**os.environ, "PATH": f"{STAND_IN}:{os.environ['PATH']}",
           "FAKE_VAGRANT_LAB": MACHINES, "FAKE_VAGRANT_LOG": str(log),
           "FAKE_VAGRANT_PYTHONPATH": str(Path(__file__).parents[2]),
           "FAKE_VAGRANT_PYTHON": sys.executable}  # labtool's dependencies, not PATH's python3
    try:
        up = labtool("up", "--backend", "vagrant", "--provider", "libvirt", "--box",
                     "debian12-lab", "--name", LAB, env=env, timeout_s=300)
        assert up.returncode == 0, up.stdout + up.stderr
        assert "==> web1: Machine booted and ready!" in up.stderr  # streamed per machine
        assert "haproxy1 (debian):" in up.stderr and "start keepalived" in up.stderr
        assert "answers from client" in up.stdout
        calls = log.read_text().splitlines()
        assert calls[0] == "validate" and calls[1] == "up --provider=libvirt"
        assert "ssh-config web1" in calls
        vagrantfile = (STATE_ROOT / LAB / "vagrant" / "Vagrantfile").read_text()
        assert 'config.vm.box = "debian12-lab"' in vagrantfile
        assert 'config.vm.define "client"' in vagrantfile  # one more VM for the probes
        state = json.loads((STATE_ROOT / LAB / "state.json").read_text())
        assert state["backend"] == "vagrant"
        assert state["options"] == {"provider": "libvirt", "box": "debian12-lab"}

        # Later commands need no flag: the backend is remembered in the lab's state.
        status = labtool("status", "--json", "--name", LAB, env=env)
        assert status.returncode == 0, status.stderr
        data = json.loads(status.stdout)
        assert data["backend"] == "vagrant" and data["vip_holder"] == "haproxy1"
        run = labtool("exec", "web2", "--name", LAB, "--", "hostname", env=env)
        assert (run.returncode, run.stdout) == (0, "web2\n")
        again = labtool("up", "--backend", "vagrant", "--name", LAB, env=env)
        assert "already up" in again.stdout

        # A lost web node: `vagrant halt web1 --force`, HAProxy's view read by an agent on
        # each load balancer (no stats socket reachable from here), `vagrant up web1` back.
        result = labtool("scenario", "lose-web1", "--json", "--name", LAB, env=env,
                         timeout_s=300)
        assert result.stdout, result.stderr
        data = json.loads(result.stdout)
        assert data["verdict"] == "pass", data["checks"]
        assert set(data["metrics"]["served_after_detect"]) == {"web2"}
        calls = log.read_text().splitlines()
        assert "halt web1 --force" in calls and "up web1 --provider=libvirt" in calls
        wait_until(lambda: all(n["up"] for n in json.loads(labtool(
            "status", "--json", "--name", LAB, env=env).stdout)["nodes"]), 10,
            "the whole cluster back")

        # collect reads each machine's files over SSH, as on any backend; the result grades.
        collected = tmp_path / "vms.zip"
        run = labtool("collect", "--name", LAB, "-o", str(collected), env=env)
        assert run.returncode == 0, run.stderr
        graded = json.loads(labtool("grade", str(collected), "--format", "json").stdout)[0]
        assert graded["submission"] == "vms"
        assert not [f for f in graded["findings"] if f["criterion"] in (
            "haproxy-backend", "web-pages", "row-web") and f["points_lost"]], graded
    finally:
        down = labtool("down", "--name", LAB, env=env)
    assert down.returncode == 0, down.stderr
    assert "destroy -f" in log.read_text()
    assert not (STATE_ROOT / LAB).exists()
