"""The cluster's reading of the configs in use (a stand-in backend answers `cat`; the real
nodes are read in tests/integration/test_scenarios.py): the theory, HAProxy's servers known by
address whatever their names, and the web nodes' pages."""

from __future__ import annotations

from types import SimpleNamespace

from labtool.probes.packets import page_digest
from labtool.provision.files import Versions, render_node_files
from labtool.runner import CommandResult
from labtool.scenarios.cluster import Cluster
from labtool.spec.load import default_spec


def test_the_theory_servers_and_pages_come_from_the_nodes_files() -> None:
    spec = default_spec()
    files = {
        n.name: render_node_files(spec, n, Versions((2, 6), (2, 2, 7), False)) for n in spec.nodes
    }
    theirs = files["haproxy2"]["/etc/haproxy/haproxy.cfg"].replace("app2 ", "srv-b ")
    files["haproxy2"]["/etc/haproxy/haproxy.cfg"] = theirs.replace("backend app", "backend web")
    asked: list[tuple[str, str]] = []

    def transport(node: str) -> SimpleNamespace:
        def run(argv: list[str]) -> CommandResult:
            asked.append((node, argv[-1]))
            text = files[node].get(argv[-1])
            return CommandResult(tuple(argv), 0 if text is not None else 1, text or "", "")

        return SimpleNamespace(run=run)

    cluster = Cluster(spec, SimpleNamespace(transport=transport))  # type: ignore[arg-type]
    values = cluster.theory().values()
    assert values["vrrp_master_down_s"] > 3  # (the lab's advert_int 1: 3 adverts and a skew)
    assert cluster.servers[("web", "srv-b")] == "web2"  # (haproxy2's own names, by address)
    assert cluster.servers[("app", "app1")] == "web1"
    page = files["web1"]["/var/www/html/index.html"]
    assert cluster.pages[page_digest(page.encode())] == "web1"
    assert {path for _, path in asked} == {
        "/etc/keepalived/keepalived.conf",
        "/etc/haproxy/haproxy.cfg",
        "/var/www/html/index.html",
    }
    assert len(asked) == 2 * 2 + 2  # each file once: two per load balancer, a page per web
