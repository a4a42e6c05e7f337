"""The lab grade --run builds from a submission: its own plan and files, or why not."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from labtool.grading.run.lab import RunLab, prepare
from labtool.grading.submission.plan import read_submission
from labtool.provision.files import Versions
from labtool.spec.check import validate
from labtool.spec.load import default_spec
from tests.submissions import BOTH_HA, HA, PITFALLS, correct, edit, write

CORPUS = Path(__file__).parents[3] / "corpus" / "grading"
HERE = Versions((2, 6), (2, 2, 7), False)  # this machine's kind: 2.x daemons, no IPVS


def which(name: str) -> str | None:
    return f"/usr/bin/{name}" if name in ("killall", "pidof") else None


def run_of(folder: Path) -> RunLab:
    spec = default_spec()
    configs, plan = read_submission(folder, spec)
    return prepare(configs, plan, spec, HERE, folder, which=which)


def test_the_lab_s_own_plan_is_built_as_handed_in(tmp_path: Path) -> None:
    run = run_of(write(correct(), tmp_path / "s"))
    assert run.refused is None and run.spec is not None
    validate(run.spec, "test")
    assert run.spec.describe() == (
        "haproxy1 10.0.0.11, haproxy2 10.0.0.12, web1 10.0.0.21, "
        "web2 10.0.0.22, client 10.0.0.100, VIP 10.0.0.10"
    )
    assert [(n.state, n.priority) for n in run.spec.by_role("lb")] == [
        ("MASTER", 101),
        ("BACKUP", 100),
    ]
    ka = run.files["haproxy1"]["/etc/keepalived/keepalived.conf"]
    assert "script_user haproxy" in ka and "state MASTER" in ka
    assert run.files["web2"] == {"/var/www/html/index.html": "test web2\n"}
    node = run.spec.node("web2")
    files = run.render(run.spec, node, HERE)
    assert "/etc/hosts" in files and files["/var/www/html/index.html"] == "test web2\n"
    client = run.render(run.spec, run.spec.client, HERE)
    assert set(client) == {"/etc/hosts"}


def test_a_submission_on_its_own_network_keeps_its_names_nic_and_addresses() -> None:
    """Proxmox, ens18, 192.168.60.0/24, unicast VRRP between its own addresses."""
    run = run_of(CORPUS / "emma-proxmox")
    assert run.spec is not None, run.refused
    assert run.spec.nic == "ens18"
    assert run.spec.subnet == ipaddress.IPv4Network("192.168.60.0/24")
    names = {n.name: str(n.address) for n in run.spec.nodes}
    assert set(names) >= {"loadbalancer1", "loadbalancer2", "srv-web-01", "srv-web-02"}
    ka = run.files["loadbalancer1"]["/etc/keepalived/keepalived.conf"]
    src = next(line.split()[1] for line in ka.splitlines() if "unicast_src_ip" in line)
    assert names["loadbalancer1"] == src


def test_the_web_nodes_are_where_its_haproxy_sends_requests(tmp_path: Path) -> None:
    files = edit(HA, "10.0.0.21:80", "10.0.0.31:80", *BOTH_HA)(correct())
    run = run_of(write(files, tmp_path / "s"))
    assert run.spec is not None
    assert [str(n.address) for n in run.spec.by_role("web")] == ["10.0.0.31", "10.0.0.22"]


def test_one_server_still_builds_both_web_nodes(tmp_path: Path) -> None:
    run = run_of(write(PITFALLS["web-missing"][0](correct()), tmp_path / "s"))
    assert run.spec is not None
    assert [n.name for n in run.spec.by_role("web")] == ["web1", "web2"]


def test_a_fragment_gets_the_lab_s_global_and_defaults() -> None:
    run = run_of(CORPUS / "david-fragment")
    assert run.spec is not None, run.refused
    cfg = next(
        f["/etc/haproxy/haproxy.cfg"] for f in run.files.values() if "/etc/haproxy/haproxy.cfg" in f
    )
    assert cfg.lstrip().startswith(("#", "global"))
    assert "\ndefaults" in cfg
    assert any("global and defaults" in a for a in run.adaptations)


def test_what_keeps_a_submission_from_running_is_said(tmp_path: Path) -> None:
    lua = edit(HA, "global\n", "global\n    lua-load /etc/haproxy/x.lua\n", *BOTH_HA)(correct())
    assert "Lua" in (run_of(write(lua, tmp_path / "lua")).refused or "")
    named = edit(HA, "10.0.0.21:80", "web1:80", *BOTH_HA)(correct())
    assert "host name" in (run_of(write(named, tmp_path / "named")).refused or "")
    away = edit(HA, "10.0.0.21:80", "172.16.0.21:80", *BOTH_HA)(correct())
    assert "not on the VIP's network" in (run_of(write(away, tmp_path / "away")).refused or "")
    empty = tmp_path / "empty"
    (empty / "web1").mkdir(parents=True)
    assert run_of(empty).refused == "no keepalived.conf to run"


def test_node_names_are_made_safe_and_kept_for_the_feedback(tmp_path: Path) -> None:
    files = {
        p.replace("haproxy1/", "LB_Master/").replace("web2/", "client/"): t
        for p, t in correct().items()
    }
    run = run_of(write(files, tmp_path / "s"))
    assert run.spec is not None, run.refused
    names = [n.name for n in run.spec.nodes]
    assert "lb-master" in names and "client" in names and len(set(names)) == len(names)
    assert run.shown("lb-master") == "LB_Master"
    assert run.shown("web-client") == "client" and run.spec.client.name == "client"
