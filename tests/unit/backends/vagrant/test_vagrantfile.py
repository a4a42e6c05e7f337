"""The lab's Vagrantfile: the seed's for the default lab, checked by the real `vagrant
validate` (Debian's vagrant; `--ignore-provider`, since no provider is installed here)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from labtool.backends.vagrant.vagrantfile import PROVIDERS, VagrantOptions, render
from labtool.cli import app
from labtool.spec.load import default_spec, load_lab

EXAMPLES = Path(__file__).parents[4] / "examples"
needs_vagrant = pytest.mark.skipif(
    shutil.which("vagrant") is None and not os.environ.get("CI"),
    reason="vagrant is not installed (setup.sh installs it)",
)


def validate(folder: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VAGRANT_CHECKPOINT_DISABLE": "1", "VAGRANT_HOME": str(folder / ".vh")}
    return subprocess.run(
        ["vagrant", "validate", "--ignore-provider"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@needs_vagrant
def test_default_lab_vagrantfile_passes_vagrant_validate(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["vagrantfile", "-o", str(tmp_path / "Vagrantfile")])
    assert result.exit_code == 0, result.output
    done = validate(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Vagrantfile validated successfully" in done.stdout
    text = (tmp_path / "Vagrantfile").read_text()
    machines = re.findall(
        r'config\.vm\.define "(\w+)" do \|\w+\|\n\s+\w+\.vm\.network '
        r'"private_network", ip: "([\d.]+)"\n\s+\w+\.vm\.provision "shell",\n'
        r'\s+inline: "sudo hostnamectl set-hostname (\w+)"',
        text,
    )
    assert machines == [
        ("haproxy1", "10.0.0.11", "haproxy1"),
        ("haproxy2", "10.0.0.12", "haproxy2"),
        ("web1", "10.0.0.21", "web1"),
        ("web2", "10.0.0.22", "web2"),
    ]
    assert 'config.vm.box = "centos7-custom"' in text
    assert "config.vm.box_check_update = false" in text
    assert 'config.vm.synced_folder ".", "/vagrant", disabled: true' in text
    assert 'config.vm.provider "virtualbox" do |vb|\n    vb.gui = false' in text
    assert "client" not in text


@needs_vagrant
@pytest.mark.parametrize("provider", PROVIDERS)
def test_three_web_lab_for_every_provider_passes_vagrant_validate(
    tmp_path: Path, provider: str
) -> None:
    spec = load_lab(EXAMPLES / "three-webs.toml")
    text = render(spec, VagrantOptions(box="debian/bookworm64", provider=provider, gui=True))
    (tmp_path / "Vagrantfile").write_text(text)
    done = validate(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert 'config.vm.define "web3"' in text and 'ip: "10.0.0.23"' in text
    assert f'config.vm.provider "{provider}"' in text


@needs_vagrant
def test_vagrant_validate_does_catch_a_broken_vagrantfile(tmp_path: Path) -> None:
    """The check above means something: the same validate refuses a broken file."""
    text = render(default_spec(), VagrantOptions())
    (tmp_path / "Vagrantfile").write_text(
        text.replace('ip: "10.0.0.11"\n', 'ip: "10.0.0.11" haproxy1 = \n')
    )
    assert validate(tmp_path).returncode != 0


def test_options() -> None:
    text = render(default_spec(), VagrantOptions(box="almalinux/9", gui=True))
    assert 'config.vm.box = "almalinux/9"' in text and "vb.gui = true" in text
    libvirt = render(default_spec(), VagrantOptions(provider="libvirt"))
    assert 'libvirt.driver = "qemu"' in libvirt
    assert 'libvirt__forward_mode: "none"' in libvirt
    with pytest.raises(Exception, match="unknown provider 'hyperv'"):
        render(default_spec(), VagrantOptions(provider="hyperv"))


def test_the_lab_files_box_unless_box_says_otherwise(tmp_path: Path) -> None:
    """`labtool vagrantfile` renders the box the lab file names, as `up` uses it."""
    lab = tmp_path / "alma.toml"
    lab.write_text('box = "almalinux/9"\n')
    done = CliRunner().invoke(app, ["vagrantfile", "--lab", str(lab)])
    assert done.exit_code == 0, done.output
    assert 'config.vm.box = "almalinux/9"' in done.output
    chosen = CliRunner().invoke(app, ["vagrantfile", "--lab", str(lab), "--box", "centos/7"])
    assert 'config.vm.box = "centos/7"' in chosen.output
    default = CliRunner().invoke(app, ["vagrantfile"])
    assert 'config.vm.box = "centos7-custom"' in default.output
