"""The NIC judged against the students' own machines (issue 22): on the lab's Vagrant VMs eth0
is the NAT (10.0.2.15 on each, alone on its network), so VRRP on eth0 never reaches the other
balancer and both become MASTER. The instructor's grade, written before the grader ran: the
VRRP points an instructor takes (a deterministic master 2, the right NIC 1.5): 16.5/20, with
the reason; another name of the lab's NIC (enp0s8) stays a note; eth0 shown by the student's
own `ip a` on the lab's network is right."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from labtool.cli import app
from tests.submissions import correct, write

IP_A = """
```
$ ip a
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536
    inet 127.0.0.1/8 scope host lo
2: {nic}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500
    inet 10.0.0.11/24 brd 10.0.0.255 scope global {nic}
```
"""


def _on(nic: str, shown: str | None = None) -> dict[str, str]:
    files = correct()
    for name in list(files):
        if name.endswith("keepalived.conf"):
            files[name] = files[name].replace("interface eth1", f"interface {nic}")
    if shown:
        files["report.md"] += IP_A.format(nic=shown)
    return files


def _grade(tmp_path: Path, files: dict[str, str]) -> dict[str, object]:
    folder = str(write(files, tmp_path / "s"))
    result = CliRunner().invoke(
        app, ["grade", folder, "--format", "json", "--no-daemons", "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    graded: dict[str, object] = json.loads(result.stdout)[0]
    return graded


def test_eth0_on_the_labs_vagrant_machines_costs_the_vrrp_points(tmp_path: Path) -> None:
    graded = _grade(tmp_path, _on("eth0"))
    assert graded["grade"] == 16.5
    reasons = [f["message"] for f in graded["findings"]]  # type: ignore[attr-defined]
    assert any("eth0 is Vagrant's NAT NIC" in r and "both become MASTER" in r for r in reasons)


def test_another_name_of_the_labs_nic_stays_a_note(tmp_path: Path) -> None:
    assert _grade(tmp_path, _on("enp0s8"))["grade"] == 20


def test_eth0_that_the_students_ip_a_shows_on_the_labs_network_is_right(tmp_path: Path) -> None:
    assert _grade(tmp_path, _on("eth0", shown="eth0"))["grade"] == 20


def test_a_nic_the_students_ip_a_shows_on_vagrants_nat_is_a_mistake(tmp_path: Path) -> None:
    files = _on("enp0s3", shown="enp0s8")
    files["report.md"] += IP_A.format(nic="enp0s3").replace("10.0.0.11/24", "10.0.2.15/24")
    assert float(str(_grade(tmp_path, files)["grade"])) < 20


def test_eth0_on_hyper_v_machines_is_their_one_nic_not_a_nat(tmp_path: Path) -> None:
    """Vagrant's Hyper-V provider gives each machine one NIC, eth0, on the switch they share:
    eth0 there is right (the instructor: 20/20; tests/corpus/grading/mathis-nic-differs, on
    Hyper-V, keeps its grade)."""
    said = _on("eth0")
    said["report.md"] += "\nMachines sous Hyper-V (Vagrant provider hyperv).\n"
    assert _grade(tmp_path / "report", said)["grade"] == 20
    vagrantfile = _on("eth0")
    vagrantfile["Vagrantfile"] = (
        'Vagrant.configure("2") do |config|\n  config.vm.provider "hyperv"\nend\n'
    )
    assert _grade(tmp_path / "vagrantfile", vagrantfile)["grade"] == 20
