"""The lab's own configs, changed only where the installed versions require it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from labtool.provision.files import (
    Versions,
    adaptations,
    parse_haproxy_version,
    parse_keepalived_version,
    render_node_files,
)
from labtool.spec.load import default_spec, load_lab
from tests.shared import needs

DEBIAN12 = Versions(haproxy=(2, 6), keepalived=(2, 2, 7), ipvs=False)
CENTOS7 = Versions(haproxy=(1, 5), keepalived=(1, 3, 5), ipvs=True)


def test_version_parsing() -> None:
    assert parse_haproxy_version("HAProxy version 2.6.12-1+deb12u4 2026/10/17") == (2, 6)
    assert parse_haproxy_version("HA-Proxy version 1.5.18 2016/05/10") == (1, 5)
    assert parse_keepalived_version("Keepalived v2.2.7 (01/16,2022)") == (2, 2, 7)
    assert parse_keepalived_version("nothing") is None


def test_keepalived_conf_is_the_labs_for_each_load_balancer() -> None:
    spec = default_spec()
    conf1 = render_node_files(spec, spec.node("haproxy1"), DEBIAN12)[
        "/etc/keepalived/keepalived.conf"
    ]
    conf2 = render_node_files(spec, spec.node("haproxy2"), DEBIAN12)[
        "/etc/keepalived/keepalived.conf"
    ]
    for conf in (conf1, conf2):
        assert 'script "killall -0 haproxy"' in conf
        assert "virtual_router_id 100" in conf
        assert "priority 100" in conf
        assert "advert_int 1" in conf
        assert "interface eth1" in conf
        assert "auth_type PASS" in conf and "auth_pass secret" in conf
        assert "10.0.0.10/32 brd 10.0.0.255 scope global" in conf
        assert "track_script {\n       reload_haproxy\n   }" in conf
    assert "state MASTER" in conf1 and "state BACKUP" in conf2
    assert conf1.replace("MASTER", "BACKUP") == conf2


def test_lvs_sync_line_removed_for_keepalived_2_without_ipvs() -> None:
    spec = default_spec()
    node = spec.node("haproxy1")
    modern = render_node_files(spec, node, DEBIAN12)["/etc/keepalived/keepalived.conf"]
    old = render_node_files(spec, node, CENTOS7)["/etc/keepalived/keepalived.conf"]
    assert "\n   lvs_sync_daemon_interface eth1\n" in old
    assert "\n   lvs_sync_daemon_interface" not in modern
    assert "# labtool: 'lvs_sync_daemon_interface eth1' retiré" in modern


def test_haproxy_cfg_frontend_by_version() -> None:
    spec = default_spec()
    node = spec.node("haproxy1")
    modern = render_node_files(spec, node, DEBIAN12)["/etc/haproxy/haproxy.cfg"]
    old = render_node_files(spec, node, CENTOS7)["/etc/haproxy/haproxy.cfg"]
    assert "frontend  main *:80\n" in old
    assert "frontend  main\n" in modern and "    bind *:80\n" in modern
    for cfg in (modern, old):
        assert "#    use_backend static          if url_static" in cfg
        assert "server  app1 10.0.0.21:80 check\n    server  app2 10.0.0.22:80 check" in cfg
        assert "127.0.0.1:5001" not in cfg  # the CentOS sample servers are replaced


def test_adaptations_say_what_and_why() -> None:
    changes = adaptations(default_spec(), DEBIAN12)
    assert [c.file for c in changes] == [
        "/etc/haproxy/haproxy.cfg",
        "/etc/keepalived/keepalived.conf",
    ]
    assert "HAProxy 2.6 refuses" in changes[0].reason
    assert "IPVS" in changes[1].reason
    assert adaptations(default_spec(), CENTOS7) == []


def test_web_and_client_files(tmp_path: Path) -> None:
    lab = tmp_path / "lab.toml"
    lab.write_text('[nodes.web3]\nrole = "web"\naddress = "10.0.0.23"\n')
    spec = load_lab(lab)
    files = render_node_files(spec, spec.node("web3"), DEBIAN12)
    assert files["/var/www/html/index.html"] == "test web3\n"
    assert "10.0.0.23\tweb3" in files["/etc/hosts"]
    cfg = render_node_files(spec, spec.node("haproxy2"), DEBIAN12)["/etc/haproxy/haproxy.cfg"]
    assert "server  app3 10.0.0.23:80 check" in cfg
    assert set(render_node_files(spec, spec.client, DEBIAN12)) == {"/etc/hosts"}


def test_track_script_can_be_removed(tmp_path: Path) -> None:
    lab = tmp_path / "lab.toml"
    lab.write_text("[vrrp]\ntrack_haproxy = false\n")
    spec = load_lab(lab)
    conf = render_node_files(spec, spec.node("haproxy1"), DEBIAN12)[
        "/etc/keepalived/keepalived.conf"
    ]
    assert "track_script" not in conf


@needs("haproxy")
def test_rendered_haproxy_cfg_passes_the_real_haproxy_check(tmp_path: Path) -> None:
    """The installed HAProxy (2.x in CI) accepts what labtool renders for it; it refuses the
    lab's own frontend line, which is why labtool changes it."""
    version = subprocess.run(["haproxy", "-v"], capture_output=True, text=True, check=True)
    found = parse_haproxy_version(version.stdout)
    assert found is not None
    versions = Versions(haproxy=found, keepalived=(2, 2, 7), ipvs=False)
    spec = default_spec()
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(
        render_node_files(spec, spec.node("haproxy1"), versions)["/etc/haproxy/haproxy.cfg"]
    )
    ok = subprocess.run(["haproxy", "-c", "-f", str(cfg)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    if found >= (2, 0):
        cfg.write_text(
            render_node_files(spec, spec.node("haproxy1"), CENTOS7)["/etc/haproxy/haproxy.cfg"]
        )
        refused = subprocess.run(["haproxy", "-c", "-f", str(cfg)], capture_output=True, text=True)
        assert refused.returncode != 0
        assert "bind" in refused.stdout + refused.stderr
