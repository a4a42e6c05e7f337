"""The lab done by hand, as its text says: on a bare lab, the seed's command blocks typed
verbatim, in order, on the nodes it names (file edits done by a script, as the student does
with vim); the lines this machine's daemons refuse fixed as `labtool check` says; and at each
point `check` reports exactly the steps done so far. Real daemons in namespaces."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from labtool.provision.files import keeps_lvs_sync
from labtool.provision.node import local_versions
from tests.integration.conftest import labtool, wait_until
from tests.shared import SHARED

NAME = "it-hand"
SEED = (SHARED / "seed" / "tp-cluster-web.md").read_text()
BLOCKS = re.findall(r"```sh\n(.*?)```", SEED, re.S)


def block(starting: str) -> str:
    """The seed's code block that starts with these words, verbatim."""
    found = [b for b in BLOCKS if b.lstrip().startswith(starting)]
    assert len(found) >= 1, starting
    return found[0]


Cli = Callable[..., Any]  # runs `labtool ARGS...`: as root (conftest's), or as a student


class Hand:
    """The student at the keyboard of lab `name`, through the command line `cli`."""

    def __init__(self, cli: Cli, name: str) -> None:
        self.cli = cli
        self.name = name

    def typed(self, node: str, text: str) -> Any:
        """A block typed in the node's shell, line after line (as root, as `vagrant ssh` then
        the lab's sudo would)."""
        return self.cli("exec", node, "--name", self.name, "--", "bash", "-c", text)

    def checked(self) -> dict[str, dict[str, object]]:
        run = self.cli("check", "--name", self.name, "--json", "--lang", "en")
        assert run.returncode in (0, 1), run.stderr
        return {s["id"]: s for s in json.loads(run.stdout)["steps"]}

    def done(self) -> set[str]:
        return {i for i, s in self.checked().items() if s["ok"]}

    def write(self, node: str, path: str, text: str) -> None:
        """What the student types into vim."""
        assert self.typed(node, f"cat > {path} <<'EOF'\n{text}EOF\n").returncode == 0


@pytest.fixture(scope="module")
def bare() -> Iterator[str]:
    run = labtool("up", "--bare", "--name", NAME)
    try:
        assert run.returncode == 0, run.stdout + run.stderr
        yield NAME
    finally:
        labtool("down", "--name", NAME)


def test_the_lab_by_hand_from_its_text(bare: str) -> None:
    the_lab_by_hand(Hand(labtool, bare))


def the_lab_by_hand(hand: Hand) -> None:
    """Every step of the seed on a bare lab, `check` right at each point; ends with 14/14."""
    typed, checked, done, write = hand.typed, hand.checked, hand.done, hand.write
    assert done() == set()
    # Before the packages: the lab's files and units are not there.
    assert typed("haproxy1", "ls /etc/keepalived/keepalived.conf").returncode != 0
    assert "not found" in typed("haproxy1", "systemctl start keepalived").stderr

    # "On commence par installer keepalived et haproxy sur les deux loadbalancer"
    for lb in ("haproxy1", "haproxy2"):
        run = typed(lb, block("sudo yum install -y keepalived haproxy"))
        assert run.returncode == 0, run.stderr
        assert "Complete!" in run.stdout and "Created symlink" in run.stdout
    assert done() == {"packages", "enabled", "sysctl"}
    assert "eth1" in typed("haproxy1", "nmcli con").stdout  # (the lab: "nmcli con ou ip a")

    run = typed("haproxy1", block("cp /etc/keepalived/keepalived.conf"))
    assert run.returncode == 0, run.stderr
    assert done() == {"packages", "enabled", "sysctl", "keepalived-saved"}

    # The two keepalived.conf, as the seed gives them, then the restarts it says.
    master = block(
        'vrrp_script reload_haproxy {\n        script "killall -0 haproxy"\n'
        "        interval 1\n}\n\nvrrp_instance VI_1 {\n   virtual_router_id 100\n"
        "   state MASTER"
    )
    backup = next(b for b in BLOCKS if "state BACKUP" in b)
    write("haproxy1", "/etc/keepalived/keepalived.conf", master)
    restart = block("sudo systemctl restart keepalived.service")
    first = typed("haproxy1", restart)
    steps = checked()
    assert steps["vrrp-master"]["ok"], steps["vrrp-master"]
    if not keeps_lvs_sync(local_versions()):  # keepalived 2.x without IPVS: refused, explained
        # (the restart may say it started, as systemd's does: the daemon dies a moment after)
        print(f"restart with lvs_sync_daemon_interface: exit {first.returncode}")

        def explained() -> bool:
            missing = checked()["keepalived-running"]["missing"]
            why = " ".join(missing)  # type: ignore[arg-type]
            return "lvs_sync_daemon_interface" in why and "remove the line" in why

        wait_until(explained, 10, "check explains lvs_sync_daemon_interface")
        master = "".join(
            line
            for line in master.splitlines(keepends=True)
            if "lvs_sync_daemon_interface" not in line
        )
        backup = "".join(
            line
            for line in backup.splitlines(keepends=True)
            if "lvs_sync_daemon_interface" not in line
        )
        write("haproxy1", "/etc/keepalived/keepalived.conf", master)
        assert typed("haproxy1", restart).returncode == 0
    write("haproxy2", "/etc/keepalived/keepalived.conf", backup)
    assert typed("haproxy2", restart).returncode == 0
    assert done() == {
        "packages",
        "enabled",
        "sysctl",
        "keepalived-saved",
        "vrrp-master",
        "vrrp-backup",
        "keepalived-running",
    }

    # HAProxy: save the default, then the three edits of the seed - first as a hurried student
    # does them (the lab's lines appended at the end), which check explains.
    for lb in ("haproxy1", "haproxy2"):
        assert typed(lb, block("cp /etc/haproxy/haproxy.cfg")).returncode == 0
    edits = block("#modifiez la ligne")
    appended = edits.split("#à la fin du fichier de config\n", 1)[1]
    for lb in ("haproxy1", "haproxy2"):
        typed(
            lb,
            "sed -i 's/^frontend  main \\*:5000/frontend  main *:80/; "
            "s/^\\(    use_backend static .*\\)$/#\\1/' /etc/haproxy/haproxy.cfg",
        )
        typed(lb, f"cat >> /etc/haproxy/haproxy.cfg <<'EOF'\n{appended}EOF\n")
    why = " ".join(checked()["haproxy-config"]["missing"])  # type: ignore[arg-type]
    assert "2 'backend app' sections" in why
    for lb in ("haproxy1", "haproxy2"):  # the fix: CentOS 7's own backend app, edited instead
        typed(
            lb,
            "cp /etc/haproxy/haproxy.cfg.old /etc/haproxy/haproxy.cfg && sed -i "
            "'s/^frontend  main \\*:5000/frontend  main *:80/; "
            "s/^\\(    use_backend static .*\\)$/#\\1/; /^backend app/,$d' "
            "/etc/haproxy/haproxy.cfg",
        )
        typed(lb, f"cat >> /etc/haproxy/haproxy.cfg <<'EOF'\n{appended}EOF\n")
    steps = checked()
    assert steps["haproxy-config"]["ok"], steps["haproxy-config"]
    start = typed("haproxy1", "sudo systemctl start haproxy")
    why = " ".join(checked()["haproxy-running"]["missing"])  # type: ignore[arg-type]
    if start.returncode != 0:  # HAProxy 2.x: `frontend main *:80` refused, explained
        assert "'bind *:80'" in why, why
        for lb in ("haproxy1", "haproxy2"):
            typed(
                lb,
                "sed -i 's/^frontend  main \\*:80/frontend  main\\n    bind *:80/' "
                "/etc/haproxy/haproxy.cfg",
            )
    # haproxy1's first, so that its keepalived leaves FAULT (its track script sees HAProxy)
    # first and takes the VIP; haproxy2's then stays BACKUP (equal priorities: no preemption).
    run = typed("haproxy1", "sudo systemctl start haproxy")
    assert run.returncode == 0, run.stderr
    wait_until(lambda: "vip-on-master" in done(), 10, "the VIP on haproxy1")
    assert "failover-tested" not in done()
    run = typed("haproxy2", "sudo systemctl start haproxy")
    assert run.returncode == 0, run.stderr
    assert done() == {
        "packages",
        "enabled",
        "sysctl",
        "keepalived-saved",
        "vrrp-master",
        "vrrp-backup",
        "keepalived-running",
        "vip-on-master",
        "haproxy-config",
        "haproxy-running",
    }

    # "On peut maintenant installer le service Apache sur les deux serveurs web"
    for web in ("web1", "web2"):
        run = typed(web, block("yum install httpd -y"))
        assert run.returncode == 0, run.stderr
    assert "httpd" in done() and "pages" not in done()
    typed("web1", block('echo "test web1"'))
    typed("web2", block('echo "test web2"'))
    wait_until(lambda: {"pages", "balanced"} <= done(), 15, "both pages through the VIP")

    # "tester la bascule ... en coupant le service keepalived sur le serveur haproxy1"
    assert "failover-tested" not in done()
    typed("haproxy1", "sudo systemctl stop keepalived.service")
    wait_until(lambda: "failover-tested" in done(), 10, "haproxy2 took the VIP")
    typed("haproxy1", "sudo systemctl start keepalived.service")
    time.sleep(1)
    final = checked()
    assert all(s["ok"] for s in final.values()), {
        k: s["missing"] for k, s in final.items() if not s["ok"]
    }
    answers = typed("client", "for i in 1 2 3 4; do curl -s -m 1 http://10.0.0.10/; done").stdout
    assert "test web1" in answers and "test web2" in answers
    assert hand.cli("check", "--name", hand.name).returncode == 0
