"""The lab's own failover test on the real daemons: `systemctl stop keepalived` on haproxy1
moves the VIP to haproxy2; lab files change the cluster for real."""

from __future__ import annotations

from pathlib import Path

from tests.integration.conftest import LabFactory, exec_on, status, wait_until


def test_systemctl_stop_keepalived_on_haproxy1_moves_the_vip(lab_factory: LabFactory) -> None:
    run = lab_factory("it-failover")
    # up prints each change made to the lab's configs and why, and shows the VRRP wait.
    assert "changed /etc/haproxy/haproxy.cfg: 'frontend  main *:80'" in run.stderr
    assert "changed /etc/keepalived/keepalived.conf: 'lvs_sync_daemon_interface eth1'" in run.stderr
    assert run.stderr.count("why: ") == 2
    assert "waiting for VRRP" in run.stderr and "= 3.61 s" in run.stderr
    assert "answers from client" in run.stdout
    assert status("it-failover")["vip_holder"] == "haproxy1"
    stop = exec_on("it-failover", "haproxy1", "systemctl", "stop", "keepalived")
    assert stop.returncode == 0, stop.stderr
    wait_until(
        lambda: status("it-failover")["vip_holders"] == ["haproxy2"],
        5,
        "the VIP is on haproxy2 alone",
    )
    answer = exec_on("it-failover", "client", "curl", "-s", "-m", "2", "http://10.0.0.10/")
    assert answer.stdout.strip() in ("test web1", "test web2")
    # Equal priorities: haproxy1's keepalived back does not take the VIP back (no failback).
    assert exec_on("it-failover", "haproxy1", "systemctl", "start", "keepalived").returncode == 0
    log = exec_on("it-failover", "haproxy1", "cat", "/var/log/keepalived.log").stdout
    assert "Entering MASTER STATE" in log
    wait_until(
        lambda: (
            "Entering BACKUP STATE"
            in exec_on(
                "it-failover", "haproxy1", "tail", "-n", "3", "/var/log/keepalived.log"
            ).stdout
        ),
        5,
        "haproxy1's keepalived is back as BACKUP",
    )
    assert status("it-failover")["vip_holders"] == ["haproxy2"]


def test_three_web_nodes_in_another_subnet(lab_factory: LabFactory) -> None:
    lab = Path(__file__).parents[2] / "examples" / "virtualbox-range.toml"
    lab_factory("it-three", "--lab", str(lab))
    answers = [
        exec_on(
            "it-three", "client", "curl", "-s", "-m", "2", "http://192.168.56.10/"
        ).stdout.strip()
        for _ in range(9)
    ]
    assert sorted(answers) == ["test web1"] * 3 + ["test web2"] * 3 + ["test web3"] * 3
    assert status("it-three")["vip_holder"] == "haproxy1"
