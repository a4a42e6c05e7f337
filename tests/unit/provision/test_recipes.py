"""The provisioning recipes as shell scripts: bash -n and shellcheck clean; CentOS 7 switches
to the vault before its first yum install."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

PROVISION = Path(__file__).parents[3] / "provision"
RECIPES = ["centos7.sh", "el.sh", "debian.sh"]


@pytest.mark.parametrize("recipe", [*RECIPES, "common.sh", "selinux-firewalld.sh"])
def test_bash_reads_every_recipe(recipe: str) -> None:
    subprocess.run(["bash", "-n", str(PROVISION / recipe)], check=True)


@pytest.mark.skipif(
    shutil.which("shellcheck") is None and not os.environ.get("CI"),
    reason="shellcheck is not installed (setup.sh installs it)",
)
@pytest.mark.parametrize("recipe", RECIPES)
def test_shellcheck_is_clean(recipe: str) -> None:
    result = subprocess.run(
        ["shellcheck", "-x", f"provision/{recipe}"],
        cwd=PROVISION.parent,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout


def test_centos7_switches_to_the_vault_before_the_first_yum_install() -> None:
    lines = (PROVISION / "centos7.sh").read_text().splitlines()
    code = [line for line in lines if not line.lstrip().startswith("#")]
    vault = next(i for i, line in enumerate(code) if "vault.centos.org" in line)
    first_install = next(
        i
        for i, line in enumerate(code)
        if re.search(r"\byum install\b|\brpm_install_missing yum\b", line)
    )
    assert vault < first_install
    assert "sed -i" in code[vault - 1] or "sed -i" in code[vault]


def test_recipes_install_what_the_lab_needs() -> None:
    centos = (PROVISION / "centos7.sh").read_text()
    assert 'LB_PACKAGES="keepalived haproxy psmisc python3"' in centos  # psmisc: killall
    # python3: the probe agent, on every node it runs on (CentOS 7's base repository has 3.6,
    # which the agent's code is held to by vermin in .ci/run)
    for recipe in ("centos7.sh", "el.sh", "debian.sh"):
        text = (PROVISION / recipe).read_text()
        lb = re.search(r'^LB_PACKAGES="([^"]*)"', text, re.M)
        client = re.search(r'^CLIENT_PACKAGES="([^"]*)"', text, re.M)
        assert lb and "python3" in lb[1].split(), recipe
        assert client and "python3" in client[1].split(), recipe
    assert 'WEB_PACKAGES="httpd"' in centos
    firewall = (PROVISION / "selinux-firewalld.sh").read_text()
    assert "setsebool -P haproxy_connect_any 1" in firewall
    assert 'protocol value="vrrp"' in firewall
