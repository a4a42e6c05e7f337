"""The node's systemctl stand-in is a clean POSIX shell script."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from labtool.resources import package_file

SHIM = package_file("backends/netns/systemctl.sh")


def test_shim_parses_as_sh() -> None:
    subprocess.run(["sh", "-n", str(SHIM)], check=True)


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_shim_is_shellcheck_clean() -> None:
    result = subprocess.run(["shellcheck", "-s", "sh", str(SHIM)], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout


def test_unknown_unit_and_usage() -> None:
    result = subprocess.run(["sh", str(SHIM), "start", "nginx"], capture_output=True,
                            text=True)
    assert result.returncode == 5
    assert "Unit nginx not found" in result.stderr
    assert subprocess.run(["sh", str(SHIM)], capture_output=True).returncode == 2
