"""The node's systemctl stand-in is a clean POSIX shell script."""

from __future__ import annotations

import subprocess

from labtool.resources import package_file
from tests.shared import needs

SHIM = package_file("backends/netns/systemctl.sh")


def test_shim_parses_as_sh() -> None:
    subprocess.run(["sh", "-n", str(SHIM)], check=True)


@needs("shellcheck")
def test_shim_is_shellcheck_clean() -> None:
    result = subprocess.run(["shellcheck", "-s", "sh", str(SHIM)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_unknown_unit_and_usage() -> None:
    result = subprocess.run(["sh", str(SHIM), "start", "nginx"], capture_output=True, text=True)
    assert result.returncode == 5
    assert "Unit nginx not found" in result.stderr
    assert subprocess.run(["sh", str(SHIM)], capture_output=True).returncode == 2


def test_enable_is_real_state_as_systemd_keeps_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """enable makes systemd's link (CentOS 7's words), is-enabled reads it, disable removes
    it; httpd and apache2 are one unit."""
    env = {"PATH": "/usr/bin:/bin", "LABTOOL_SYSTEMD_DIR": str(tmp_path)}

    def shim(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["sh", str(SHIM), *args], capture_output=True, text=True, env=env, timeout=10
        )

    assert shim("is-enabled", "httpd").stdout == "disabled\n"
    assert shim("is-enabled", "httpd").returncode == 1
    done = shim("enable", "httpd")
    link = tmp_path / "multi-user.target.wants" / "httpd.service"
    assert done.stdout == (
        f"Created symlink from {link} to /usr/lib/systemd/system/httpd.service.\n"
    )
    assert link.is_symlink()
    assert shim("is-enabled", "apache2").stdout == "enabled\n"
    assert shim("enable", "httpd").stdout == ""  # already: nothing said, as systemd
    assert shim("disable", "apache2").stdout == f"Removed symlink {link}.\n"
    assert not link.exists() and not link.is_symlink()
    assert shim("is-enabled", "--quiet", "keepalived").returncode == 1
