"""The CentOS 7 commands a bare node answers (node_bin/): clean POSIX shell, and what they do
where it can be seen without a node (sudo runs the command; nmcli reads links)."""

from __future__ import annotations

import subprocess

import pytest

from labtool.resources import package_file
from tests.shared import needs

BIN = package_file("backends/netns/node_bin")
TOOLS = sorted(p.name for p in BIN.iterdir())


def test_the_lab_s_commands_are_there() -> None:
    assert TOOLS == ["hostnamectl", "journalctl", "nmcli", "sudo", "yum"]


@needs("shellcheck")
@pytest.mark.parametrize("tool", TOOLS)
def test_each_is_shellcheck_clean(tool: str) -> None:
    done = subprocess.run(
        ["shellcheck", "-s", "sh", str(BIN / tool)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout


def run(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(BIN / tool), *args], capture_output=True, text=True, timeout=10
    )


def test_sudo_runs_the_command_as_it_is() -> None:
    assert run("sudo", "echo", "hello").stdout == "hello\n"
    assert run("sudo", "-E", "sh", "-c", "exit 3").returncode == 3
    assert run("sudo").returncode == 1


def test_nmcli_lists_connections_and_devices_read_only() -> None:
    con = run("nmcli", "con", "show").stdout.splitlines()
    assert con[0].split() == ["NAME", "UUID", "TYPE", "DEVICE"]
    device = run("nmcli", "device").stdout
    assert "lo       loopback" in device or "lo      loopback" in device
    assert run("nmcli", "radio").returncode == 2


def test_yum_says_what_it_does_not_know() -> None:
    assert run("yum").returncode == 1
    assert "option --nogpgcheck not supported" in run("yum", "--nogpgcheck", "install").stderr


@pytest.mark.parametrize("name", ["-f", "web 1", "a;reboot", "x" * 64, ""])
def test_hostnamectl_refuses_a_name_that_is_no_hostname(name: str) -> None:
    done = run("hostnamectl", "set-hostname", name)  # (refused before `hostname` runs)
    assert done.returncode == 1 and done.stderr
