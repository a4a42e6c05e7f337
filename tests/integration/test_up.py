"""`labtool up` gives the lab's cluster for real: the VIP on haproxy1, round robin to both web
nodes, and the lab's own commands working verbatim on each node."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from tests.integration.conftest import STATE_ROOT, exec_on, labtool, status


def test_twenty_requests_through_the_vip_alternate_between_both_web_nodes(cluster: str) -> None:
    answers = []
    for _ in range(20):
        run = exec_on(cluster, "client", "curl", "-s", "-m", "2", "http://10.0.0.10/")
        assert run.returncode == 0, run.stderr
        answers.append(run.stdout.strip())
    assert set(answers) == {"test web1", "test web2"}
    assert all(a != b for a, b in itertools.pairwise(answers)), answers


def test_exactly_one_load_balancer_holds_the_vip_and_it_is_haproxy1(cluster: str) -> None:
    data = status(cluster)
    assert data["vip_holder"] == "haproxy1"
    assert data["vip_holders"] == ["haproxy1"]
    nodes = {n["name"]: n for n in data["nodes"]}  # type: ignore[attr-defined]
    assert nodes["haproxy1"]["vip"] is True and nodes["haproxy2"]["vip"] is False
    assert all(n["up"] for n in nodes.values())
    assert nodes["haproxy1"]["daemons"] == {"keepalived": True, "haproxy": True}
    assert nodes["haproxy2"]["daemons"] == {"keepalived": True, "haproxy": True}
    assert nodes["web1"]["daemons"] == {"apache2": True}
    assert data["memory_kib"] > 0  # type: ignore[operator]


def test_second_up_says_already_up_and_changes_nothing(cluster: str) -> None:
    state_file = STATE_ROOT / cluster / "state.json"
    before = state_file.read_text()
    run = labtool("up", "--name", cluster)
    assert run.returncode == 0
    assert "already up; nothing changed" in run.stdout
    assert state_file.read_text() == before


def test_ip_a_shows_eth1_with_the_address_and_the_vip_on_the_master(cluster: str) -> None:
    master = exec_on(cluster, "haproxy1", "ip", "a")
    assert "eth1" in master.stdout
    assert "inet 10.0.0.11/24" in master.stdout
    assert "inet 10.0.0.10/32" in master.stdout
    backup = exec_on(cluster, "haproxy2", "ip", "a")
    assert "inet 10.0.0.12/24" in backup.stdout
    assert "10.0.0.10/" not in backup.stdout


def test_hostname_files_and_processes_are_the_nodes_own(cluster: str) -> None:
    assert exec_on(cluster, "web1", "hostname").stdout.strip() == "web1"
    assert exec_on(cluster, "haproxy1", "killall", "-0", "haproxy").returncode == 0
    assert exec_on(cluster, "web1", "killall", "-0", "haproxy").returncode != 0
    assert exec_on(cluster, "web1", "killall", "-0", "apache2").returncode == 0
    conf = exec_on(cluster, "haproxy2", "cat", "/etc/keepalived/keepalived.conf").stdout
    assert "state BACKUP" in conf
    assert exec_on(cluster, "web1", "test", "-e", "/etc/keepalived/keepalived.conf").returncode != 0
    hosts = exec_on(cluster, "client", "cat", "/etc/hosts").stdout
    assert "10.0.0.21\tweb1" in hosts


def test_exec_passes_streams_and_keeps_the_exit_code(cluster: str) -> None:
    run = exec_on(cluster, "web2", "sh", "-c", "echo out; echo err >&2; exit 7")
    assert run.returncode == 7
    assert run.stdout == "out\n"
    assert run.stderr == "err\n"


def test_exec_on_an_unknown_node_is_one_clear_error(cluster: str) -> None:
    run = exec_on(cluster, "web9", "true")
    assert run.returncode == 2
    assert "no node named 'web9'" in run.stderr
    assert "Traceback" not in run.stderr


def test_systemctl_status_on_a_node(cluster: str) -> None:
    run = exec_on(cluster, "haproxy1", "systemctl", "status", "haproxy")
    assert run.returncode == 0
    assert "active (running)" in run.stdout
    assert exec_on(cluster, "web1", "systemctl", "is-active", "httpd").stdout == "active\n"
    assert exec_on(cluster, "client", "systemctl", "is-active", "haproxy").returncode == 3


def test_shell_prompt_shows_the_node(cluster: str) -> None:
    run = labtool("shell", "web2", "--name", cluster, input_text="hostname\nexit 0\n")
    assert run.returncode == 0
    assert run.stdout.strip().splitlines() == ["web2"]
    assert "[root@web2 ~]#" in run.stderr


def test_status_table_names_the_vip_holder(cluster: str) -> None:
    run = labtool("status", "--name", cluster)
    assert run.returncode == 0
    assert "VIP 10.0.0.10: haproxy1;" in run.stdout
    json.loads(labtool("status", "--json", "--name", cluster).stdout)


def test_lab_files_live_under_the_state_root(cluster: str) -> None:
    folder = STATE_ROOT / cluster / "nodes" / "web1" / "var/www/html"
    assert (folder / "index.html").read_text() == "test web1\n"
    assert Path("/var/www/html/index.html").read_text() != "test web1\n"


def test_systemctl_restart_gives_a_new_daemon(cluster: str) -> None:
    before = exec_on(cluster, "haproxy2", "cat", "/run/haproxy.pid").stdout
    assert exec_on(cluster, "haproxy2", "systemctl", "restart", "haproxy").returncode == 0
    after = exec_on(cluster, "haproxy2", "cat", "/run/haproxy.pid").stdout
    assert before and after and before != after
    assert exec_on(cluster, "haproxy2", "systemctl", "is-active", "haproxy").stdout == "active\n"


def test_changing_index_html_on_web1_changes_what_it_serves(cluster: str) -> None:
    exec_on(cluster, "web1", "sh", "-c", 'echo "hello from web1" > /var/www/html/index.html')
    try:
        answer = exec_on(cluster, "client", "curl", "-s", "http://10.0.0.21/").stdout
        assert answer == "hello from web1\n"
    finally:
        exec_on(cluster, "web1", "sh", "-c", 'echo "test web1" > /var/www/html/index.html')
