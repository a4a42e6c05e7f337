"""labtool doctor --backend vagrant, on this machine (vagrant, no VirtualBox), and its rules."""

from __future__ import annotations

import ipaddress
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from labtool.backends.vagrant import doctor as doctor_vagrant
from labtool.cli import app
from labtool.spec.load import default_spec, load_lab

EXAMPLES = Path(__file__).parents[4] / "examples"


@pytest.mark.skipif(shutil.which("VBoxManage") is not None, reason="VirtualBox is installed")
def test_without_virtualbox_doctor_says_so_and_how_to_fix_it() -> None:
    result = CliRunner().invoke(app, ["doctor", "--backend", "vagrant"])
    assert result.exit_code == 3
    assert "FAIL virtualbox: VirtualBox is not installed" in result.output
    assert "fix for virtualbox: install VirtualBox" in result.output
    assert "--provider libvirt" in result.output


def test_hostonly_range_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rule itself, on a networks.conf of the test's own (the real one is /etc/vbox)."""
    conf = tmp_path / "networks.conf"
    monkeypatch.setattr(doctor_vagrant, "VBOX_NETWORKS_CONF", conf)
    check = doctor_vagrant.check_hostonly_range(default_spec(), "virtualbox")
    assert not check.ok
    assert 'echo "* 10.0.0.0/8 192.168.56.0/21" | sudo tee -a' in check.fix
    assert "examples/virtualbox-range.toml" in check.fix
    moved = load_lab(EXAMPLES / "virtualbox-range.toml")
    assert doctor_vagrant.check_hostonly_range(moved, "virtualbox").ok
    conf.write_text("* 10.0.0.0/8 192.168.56.0/21\n")
    assert doctor_vagrant.check_hostonly_range(default_spec(), "virtualbox").ok
    other = replace(default_spec(), subnet=ipaddress.IPv4Network("172.16.0.0/24"))
    assert not doctor_vagrant.check_hostonly_range(other, "virtualbox").ok
    assert doctor_vagrant.check_hostonly_range(default_spec(), "libvirt").ok


def test_virtualbox_7_1_needs_vagrant_2_4_2() -> None:
    assert doctor_vagrant.VBOX_NEEDS_VAGRANT[(7, 1)] == (2, 4, 2)
    assert doctor_vagrant.version_of("Vagrant 2.3.4", 3) == (2, 3, 4)
    assert doctor_vagrant.version_of("7.1.4r165100", 2) == (7, 1)
