"""The Vagrant backend's plumbing (python-vagrant, ssh-config, SSH provisioning, state),
against a stand-in `vagrant` executable (tests/integration/stand_in/vagrant): no VM can boot
within a test here, so its machines are the nodes of a netns lab, reached over SSH through a
real sshd in each node, as VMs would be. The rendered Vagrantfile itself goes through the
real `vagrant validate`. The provider is vmware_desktop, one labtool does not check before
`up` (for libvirt it checks the real plugin and virsh, which this stand-in is not about).

labtool runs here as a normal user made for the tests (tests/student.py: labtool from a plain
pip install into its own venv, so whatever the mode of this checkout's folder), as on a
student's laptop: its lab state lands in that user's own state folder, and nothing is written
under /run by it. The stand-in's machines
need root (netns nodes), as a hypervisor does: the user's calls reach them through
stand_in/relay.py, which the test runs as root."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.integration.conftest import LabFactory, wait_until
from tests.integration.stand_in.relay import Relay
from tests.shared import needs
from tests.student import Done, Student

STAND_IN = Path(__file__).parent / "stand_in"
MACHINES = "it-vmachines"  # the netns lab whose nodes play the VMs
LAB = "it-vagrant"


def owned_by_user_under_run(uid: int) -> list[str]:
    found = subprocess.run(
        ["find", "/run", "-xdev", "-uid", str(uid)], capture_output=True, text=True
    )
    return found.stdout.split()


@needs("vagrant")
def test_up_status_exec_scenario_down_on_the_vagrant_backend(
    lab_factory: LabFactory, student: Student
) -> None:
    lab_factory(MACHINES, "--bare")
    uid = student.uid
    home = student.home / "vagrant-test"
    (home / "keys").mkdir(parents=True)
    # the user's own copy of the stand-in (the checkout's folder may be closed to the user)
    shutil.copytree(STAND_IN, home / "stand_in", ignore=shutil.ignore_patterns("__pycache__"))
    log = home / "vagrant.log"
    log.touch()
    subprocess.run(["chown", "-R", f"{uid}:{student.gid}", str(home)], check=True)
    relay_socket = home / "relay.sock"
    root_env = {
        **os.environ,
        "FAKE_VAGRANT_LAB": MACHINES,
        "FAKE_VAGRANT_LOG": str(log),
        "FAKE_VAGRANT_PYTHONPATH": str(Path(__file__).parents[2]),
        "FAKE_VAGRANT_PYTHON": sys.executable,  # labtool's dependencies
        "FAKE_VAGRANT_RELAY": str(relay_socket),
        "FAKE_VAGRANT_KEYS": str(home / "keys"),
        "FAKE_VAGRANT_UID": str(uid),
    }
    env = {
        **student.env(),
        "PATH": f"{home / 'stand_in'}:/usr/local/bin:/usr/bin:/bin",
        "XDG_STATE_HOME": str(home / "state"),
        "FAKE_VAGRANT_RELAY": str(relay_socket),
        "FAKE_VAGRANT_LOG": str(log),
    }
    state_root = home / "state" / "labtool"
    under_run = owned_by_user_under_run(uid)
    relay = Relay(relay_socket, root_env)

    def labtool(*args: str, env: dict[str, str], timeout_s: float = 120) -> Done:
        return student.run(str(student.labtool_bin), *args, env=env, timeout_s=timeout_s, cwd=home)

    try:
        up = labtool(
            "up",
            "--backend",
            "vagrant",
            "--provider",
            "vmware_desktop",
            "--box",
            "debian12-lab",
            "--name",
            LAB,
            env=env,
            timeout_s=300,
        )
        assert up.returncode == 0, up.stdout + up.stderr
        assert "==> web1: Machine booted and ready!" in up.stderr  # streamed per machine
        assert "haproxy1 (debian):" in up.stderr and "start keepalived" in up.stderr
        assert "answers from client" in up.stdout
        calls = log.read_text().splitlines()
        assert calls[0] == "validate" and calls[1] == "up --provider=vmware_desktop"
        assert "ssh-config web1" in calls
        vagrantfile = (state_root / LAB / "vagrant" / "Vagrantfile").read_text()
        assert 'config.vm.box = "debian12-lab"' in vagrantfile
        assert 'config.vm.define "client"' in vagrantfile  # one more VM for the probes
        state = json.loads((state_root / LAB / "state.json").read_text())
        assert state["backend"] == "vagrant"
        assert state["options"] == {"provider": "vmware_desktop", "box": "debian12-lab"}

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
        result = labtool("scenario", "lose-web1", "--json", "--name", LAB, env=env, timeout_s=300)
        assert result.stdout, result.stderr
        data = json.loads(result.stdout)
        assert data["verdict"] == "pass", data["checks"]
        assert set(data["metrics"]["served_after_detect"]) == {"web2"}
        calls = log.read_text().splitlines()
        assert "halt web1 --force" in calls and "up web1 --provider=vmware_desktop" in calls
        wait_until(
            lambda: all(
                n["up"]
                for n in json.loads(labtool("status", "--json", "--name", LAB, env=env).stdout)[
                    "nodes"
                ]
            ),
            10,
            "the whole cluster back",
        )

        # collect reads each machine's files over SSH, as on any backend; the result grades.
        collected = home / "vms.zip"
        run = labtool("collect", "--name", LAB, "-o", str(collected), env=env)
        assert run.returncode == 0, run.stderr
        graded = json.loads(labtool("grade", str(collected), "--format", "json", env=env).stdout)[0]
        assert graded["submission"] == "vms"
        assert not [
            f
            for f in graded["findings"]
            if f["criterion"] in ("haproxy-backend", "web-pages", "row-web") and f["points_lost"]
        ], graded
    finally:
        down = labtool("down", "--name", LAB, env=env)
        relay.close()
        calls = log.read_text() if log.exists() else ""
        shutil.rmtree(home, ignore_errors=True)
    assert down.returncode == 0, down.stderr
    assert "destroy -f" in calls
    assert not (state_root / LAB).exists()
    assert set(owned_by_user_under_run(uid)) - set(under_run) == set()  # nothing new in /run
