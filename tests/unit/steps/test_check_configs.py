"""The two steps that read configs, on the files a student has at each point of the lab
(CentOS 7's defaults, the seed's configs, the usual mistakes), from a stand-in of the nodes."""

from __future__ import annotations

import re

from labtool.provision.files import Versions
from labtool.spec.load import default_spec
from labtool.steps.check import Checker
from labtool.steps.check_configs import haproxy_missing, vrrp_missing
from labtool.steps.model import Step
from tests.shared import SHARED

SEED = (SHARED / "seed" / "tp-cluster-web.md").read_text()
BLOCKS = re.findall(r"```sh\n(.*?)```", SEED, re.S)
MASTER = next(b for b in BLOCKS if "state MASTER" in b)
BACKUP = next(b for b in BLOCKS if "state BACKUP" in b)
CENTOS7 = (SHARED / "corpus" / "centos7-default-haproxy.cfg").read_text()


class Files(Checker):
    """A checker whose nodes are a dict of files."""

    def __init__(self, files: dict[tuple[str, str], str]) -> None:
        super().__init__(default_spec(), None, Versions((2, 6), (2, 2, 7), False), "en")  # type: ignore[arg-type]
        self.files = files

    def read(self, node: str, path: str) -> str | None:
        return self.files.get((node, path))


KA = "/etc/keepalived/keepalived.conf"
HA = "/etc/haproxy/haproxy.cfg"


def step(state: str) -> Step:
    return Step("v", {}, {}, "lb", "vrrp", {"state": state})


def test_the_seed_s_keepalived_configs_are_the_lab_s_pair() -> None:
    spec = default_spec()
    h1, h2 = spec.by_role("lb")
    files = Files({("haproxy1", KA): MASTER, ("haproxy2", KA): BACKUP})
    assert vrrp_missing(files, step("MASTER"), h1) == []
    assert vrrp_missing(files, step("BACKUP"), h2) == []
    other = BACKUP.replace("virtual_router_id 100", "virtual_router_id 51")
    files = Files({("haproxy1", KA): MASTER, ("haproxy2", KA): other})
    assert vrrp_missing(files, step("BACKUP"), h2) == ["virtual_router_id differs from haproxy1's"]
    files = Files({("haproxy1", KA): MASTER.replace("state MASTER", "state BACKUP")})
    assert vrrp_missing(files, step("MASTER"), h1) == ["state BACKUP, not MASTER"]
    assert vrrp_missing(Files({}), step("MASTER"), h1) == [f"no vrrp_instance in {KA}"]


def lab_edits(text: str) -> str:
    text = text.replace("frontend  main *:5000", "frontend  main *:80")
    text = re.sub(r"^(    use_backend static.*)$", r"#\1", text, flags=re.M)
    return text[: text.index("backend app")] + (
        "backend app\n    balance     roundrobin\n    server  app1 10.0.0.21:80 check\n"
        "    server  app2 10.0.0.22:80 check\n"
    )


def test_centos7_s_haproxy_cfg_misses_the_lab_s_three_edits() -> None:
    h1 = default_spec().node("haproxy1")
    missing = haproxy_missing(Files({("haproxy1", HA): CENTOS7}), h1)
    assert missing[0] == "no frontend on port 80 (CentOS 7's listens on 5000)"
    assert "'use_backend static if url_static' is not commented out" in missing
    assert "backend app has no server 10.0.0.21 (web1)" in missing
    assert haproxy_missing(Files({("haproxy1", HA): lab_edits(CENTOS7)}), h1) == []
    bind = lab_edits(CENTOS7).replace("frontend  main *:80", "frontend  main\n    bind *:80")
    assert haproxy_missing(Files({("haproxy1", HA): bind}), h1) == []


def test_the_lab_s_lines_appended_instead_of_edited_are_explained() -> None:
    h1 = default_spec().node("haproxy1")
    appended = CENTOS7 + (
        "\nbackend app\n    balance     roundrobin\n"
        "    server  app1 10.0.0.21:80 check\n    server  app2 10.0.0.22:80\n"
    )
    missing = haproxy_missing(Files({("haproxy1", HA): appended}), h1)
    assert any(
        m.startswith("2 'backend app' sections: the lab's lines were added") for m in missing
    )
    assert "server 10.0.0.22 has no 'check'" in missing


def test_what_this_machine_s_daemons_refuse_is_explained() -> None:
    h1 = default_spec().node("haproxy1")
    files = Files({("haproxy1", HA): lab_edits(CENTOS7), ("haproxy1", KA): MASTER})
    haproxy = files._why_not("haproxy", h1)
    assert haproxy and "'bind *:80'" in haproxy[0] and "HAProxy 2.6" in haproxy[0]
    keepalived = files._why_not("keepalived", h1)
    assert keepalived and "lvs_sync_daemon_interface" in keepalived[0]
    files.versions = Versions((1, 5), (1, 3, 5), False)  # the lab's CentOS 7: nothing refused
    assert files._why_not("haproxy", h1) == [] and files._why_not("keepalived", h1) == []
