"""The SSH transport against a real sshd: each netns node runs its own sshd in inetd mode,
reached by a ProxyCommand executed inside the node (never a routed address). Provisioning a
bare lab with the Debian recipe over SSH gives the same working cluster as the nsenter path,
and a second provisioning changes nothing."""

from __future__ import annotations

from tests.integration.conftest import LabFactory, exec_on, labtool, status, wait_until


def test_debian_recipe_over_ssh_gives_a_working_cluster(lab_factory: LabFactory) -> None:
    lab_factory("it-ssh", "--bare")
    assert status("it-ssh")["vip_holders"] == []
    first = labtool("provision", "--via", "ssh", "--name", "it-ssh", timeout_s=300)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "haproxy1 (debian):" in first.stdout and "start keepalived" in first.stdout
    assert "wrote /etc/haproxy/haproxy.cfg" in first.stdout
    wait_until(
        lambda: (
            exec_on("it-ssh", "client", "curl", "-s", "-m", "1", "http://10.0.0.10/").returncode
            == 0
        ),
        12,
        "the VIP answers once VRRP's start-up wait is over",
    )
    answers = {
        exec_on("it-ssh", "client", "curl", "-s", "http://10.0.0.10/").stdout for _ in range(4)
    }
    assert answers == {"test web1\n", "test web2\n"}
    assert status("it-ssh")["vip_holder"] == "haproxy1"
    second = labtool("provision", "--via", "ssh", "--name", "it-ssh", timeout_s=300)
    assert second.returncode == 0, second.stderr
    assert "lab 'it-ssh': no change (already provisioned)." in second.stdout
    assert "wrote" not in second.stdout and "start" not in second.stdout
