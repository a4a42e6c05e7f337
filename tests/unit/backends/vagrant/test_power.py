"""How the Vagrant backend pulls a machine's power, per provider.

No VM can run in a unit test: `virsh` and `vagrant` here are stand-in scripts that record
their arguments. The real path runs in tests/e2e on libvirt VMs.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from labtool.backends.vagrant import VagrantBackend
from labtool.spec.check import spec_to_dict
from labtool.spec.load import default_spec
from labtool.state import LabState


def recorder(folder: Path, name: str, log: Path) -> None:
    script = folder / name
    script.write_text(f'#!/bin/sh\necho "{name} $*" >> {log}\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls"
    for name in ("virsh", "vagrant"):
        recorder(bin_dir, name, log)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("LABTOOL_STATE_DIR", str(tmp_path / "state"))
    return log


def backend(provider: str) -> VagrantBackend:
    spec = default_spec()
    state = LabState(
        name=spec.name,
        backend="vagrant",
        lab=spec_to_dict(spec),
        options={"provider": provider, "box": "b"},
    )
    return VagrantBackend(spec, state)


def test_libvirt_power_off_destroys_the_domain(tools: Path) -> None:
    """vagrant-libvirt 0.11 turns `halt --force` into an ACPI shutdown: labtool goes to
    libvirt instead, with the domain's UUID from the machine's .vagrant folder."""
    vms = backend("libvirt")
    machine = vms.root / ".vagrant" / "machines" / "haproxy1" / "libvirt"
    machine.mkdir(parents=True)
    (machine / "id").write_text("6d2c1f0e-2f7a-4a55-9d57-3f3c9f0e1a11\n")
    vms.power_off("haproxy1")
    assert tools.read_text().splitlines() == [
        "virsh -c qemu:///system destroy 6d2c1f0e-2f7a-4a55-9d57-3f3c9f0e1a11"
    ]


@pytest.mark.parametrize("provider", ["virtualbox", "libvirt"])
def test_otherwise_vagrant_halt_force(tools: Path, provider: str) -> None:
    """VirtualBox's halt --force is a power-off; a libvirt machine with no id falls back."""
    vms = backend(provider)
    vms.root.mkdir(parents=True)
    vms.power_off("web1")
    calls = tools.read_text().splitlines()
    assert len(calls) == 1 and calls[0].startswith("vagrant halt")
    assert "--force" in calls[0] and "web1" in calls[0]


@pytest.mark.parametrize(("said", "state"), [("running", "running"), ("shut off", "shutoff")])
def test_a_libvirt_machines_state_comes_from_virsh(tools: Path, said: str, state: str) -> None:
    """`virsh domstate` answers in milliseconds where `vagrant status` starts Ruby."""
    bin_dir = tools.parent / "bin"
    (bin_dir / "virsh").write_text(f'#!/bin/sh\necho "virsh $*" >> {tools}\necho "{said}"\n')
    vms = backend("libvirt")
    machine = vms.root / ".vagrant" / "machines" / "web1" / "libvirt"
    machine.mkdir(parents=True)
    (machine / "id").write_text("0a1b\n")
    assert vms.machine_state("web1") == state
    assert vms.machine_state("web1") == state  # kept a moment: asked once
    assert tools.read_text().splitlines() == ["virsh -c qemu:///system domstate 0a1b"]
