"""A submission's own lab read from its files (labtool/grading/submission/plan.py): node
folders by what they hold, loose and pasted configs, the address plan."""

from __future__ import annotations

from pathlib import Path

from labtool.grading.submission.archives import discover
from labtool.grading.submission.plan import read_submission
from labtool.spec.load import default_spec
from tests.submissions import HAPROXY, KEEPALIVED, write

SPEC = default_spec()
MASTER = KEEPALIVED.replace("{state}", "MASTER").replace("{priority}", "101")
BACKUP = KEEPALIVED.replace("{state}", "BACKUP").replace("{priority}", "100")


def test_node_folders_by_what_they_hold(tmp_path: Path) -> None:
    root = write(
        {
            "lb-b/etc/keepalived/keepalived.conf": BACKUP,
            "lb-a/etc/keepalived/keepalived.conf": MASTER,
            "lb-a/etc/haproxy/haproxy.cfg": HAPROXY,
            "lb-b/etc/haproxy/haproxy.cfg": HAPROXY,
            "srv-web-02/usr/share/nginx/html/index.htm": "two\n",
            "srv-web-01/var/www/html/index.php": "<?php echo gethostname(); ?>\n",
            "notes/todo.txt": "x\n",
        },
        tmp_path / "s",
    )
    configs, plan = read_submission(root, SPEC)
    assert plan.lbs == ["lb-a", "lb-b"] and plan.webs == ["srv-web-01", "srv-web-02"]
    assert set(configs.pages) == {"srv-web-01", "srv-web-02"}
    assert configs.page_files["srv-web-02"] == "srv-web-02/usr/share/nginx/html/index.htm"
    assert (plan.vip, plan.nic) == ("10.0.0.10", "eth1")
    assert plan.servers == [("app1", "10.0.0.21"), ("app2", "10.0.0.22")]
    assert plan.is_labs(SPEC) and not configs.missing


def test_loose_files_named_for_a_node_or_shared(tmp_path: Path) -> None:
    root = write(
        {
            "haproxy1/keepalived.conf": MASTER,
            "haproxy2/keepalived.conf": BACKUP,
            "haproxy.cfg": HAPROXY,
            "report.md": "# r\n",
        },
        tmp_path / "a",
    )
    configs, plan = read_submission(root, SPEC)
    assert configs.keepalived["haproxy1"].instances()[0].value("state") == "MASTER"
    assert configs.keepalived["haproxy2"].instances()[0].value("state") == "BACKUP"
    assert (
        configs.haproxy["haproxy1"].file == configs.haproxy["haproxy2"].file == "haproxy.cfg"
        and plan.shared
    )
    root = write(
        {"configs/keepalived_master.conf": MASTER, "configs/keepalived_backup.conf": BACKUP},
        tmp_path / "b",
    )
    configs, _ = read_submission(root, SPEC)
    assert configs.keepalived["haproxy2"].file == "configs/keepalived_backup.conf"


def test_configs_pasted_in_a_readme(tmp_path: Path) -> None:
    readme = (
        f"# TP\n\n## haproxy2\n\n```\n{BACKUP}```\n\n## haproxy1\n\n```\n{MASTER}```\n\n"
        f"## haproxy.cfg (le même sur les deux)\n\n```\n{HAPROXY}```\n\n"
        'web1 : `echo "test web1" > /var/www/html/index.html`\n\n'
        'web2 : `echo "test web2" > /var/www/html/index.html`\n'
    )
    root = write({"README.md": readme}, tmp_path / "c")
    assert discover([root], {n.name for n in SPEC.nodes}) == [root]  # one student, not a class
    configs, plan = read_submission(root, SPEC)
    master = configs.keepalived["haproxy1"].instances()[0]
    assert master.value("state") == "MASTER"
    assert master.line == readme.splitlines().index("vrrp_instance VI_1 {", 30) + 1
    assert set(configs.haproxy) == {"haproxy1", "haproxy2"} and plan.shared
    assert configs.pages == {"web1": "test web1\n", "web2": "test web2\n"}
    assert plan.report == "README.md"
    # each node's own block is what the daemons and the theory read, not the first one
    assert b"state BACKUP" in configs.text_of("haproxy2", "keepalived")
    assert b"state MASTER" in configs.text_of("haproxy1", "keepalived")
    assert configs.text_of("haproxy1", "haproxy") == configs.text_of("haproxy2", "haproxy")
    from labtool.grading.score.grade import _theory

    theory = _theory(configs, plan, SPEC)
    assert theory is not None and theory["vrrp_skew_s"] == round((256 - 100) / 256, 4)


def test_another_plan_from_a_vagrantfile(tmp_path: Path) -> None:
    files = {
        f"{n}/etc/keepalived/keepalived.conf": t.replace("10.0.0.10", "192.168.56.10")
        for n, t in (("lb1", MASTER), ("lb2", BACKUP))
    }
    cfg = HAPROXY.replace("10.0.0.2", "192.168.56.2")
    files |= {
        "lb1/etc/haproxy/haproxy.cfg": cfg,
        "lb2/etc/haproxy/haproxy.cfg": cfg,
        "Vagrantfile": 'config.vm.define "lb1" do |n|\n  n.vm.network "private_network",'
        ' ip: "192.168.56.11"\nend\n',
    }
    _, plan = read_submission(write(files, tmp_path / "d"), SPEC)
    assert plan.vip == "192.168.56.10" and not plan.is_labs(SPEC)
    assert plan.addresses["lb1"] == "192.168.56.11"
    assert plan.web_addresses(SPEC) == {"192.168.56.21": "web1", "192.168.56.22": "web2"}


def test_a_class_folder_with_instructions_is_a_class(tmp_path: Path) -> None:
    write(
        {
            "alice/haproxy1/etc/haproxy/haproxy.cfg": HAPROXY,
            "alice/report.md": "r\n",
            "bob/lb1/etc/haproxy/haproxy.cfg": HAPROXY,
            "README.md": "consignes\n",
        },
        tmp_path / "class",
    )
    found = discover([tmp_path / "class"], {n.name for n in SPEC.nodes})
    assert [p.name for p in found] == ["alice", "bob"]
