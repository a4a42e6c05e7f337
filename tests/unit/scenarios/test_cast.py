"""Scenario files on labs whose nodes have other names (a student's plan, a submission's)."""

from __future__ import annotations

import pytest

from labtool.scenarios.model import load_scenario


def test_a_scenario_runs_on_a_lab_whose_nodes_have_other_names() -> None:
    """The lab's names (haproxy1, web1...) cast onto the lab's own by role and order,
    everywhere the scenario names a node; a node the lab lacks is refused."""
    from dataclasses import replace as changed

    from labtool.errors import LabFileError
    from labtool.scenarios.cast import on_lab
    from labtool.spec.load import default_spec

    lab = default_spec()
    renames = {"haproxy1": "lb-a", "haproxy2": "lb-b", "web1": "www1", "web2": "www2"}
    nodes = tuple(changed(n, name=renames.get(n.name, n.name)) for n in lab.nodes)
    theirs = changed(lab, nodes=nodes)
    web = on_lab(load_scenario("lose-web1"), theirs)
    assert web.preconditions == {"vip_holder": "lb-a"}
    assert web.fault[0].nodes == ("www1",) and web.restore[0].nodes == ("www1",)
    assert web.until == {"server_down": "www1"}
    facts = [(e.fact, e.equals) for e in web.expect]
    assert ("haproxy_detect_s.www1", None) in facts and ("served_after_detect.www2", None) in facts
    assert ("vip_holder_after", "lb-a") in facts
    stop = on_lab(load_scenario("stop-haproxy-haproxy1"), theirs)
    assert stop.variants["no_track_script"]["expect"][0]["equals"] == "lb-a"
    assert on_lab(load_scenario("lose-web1"), lab) == load_scenario("lose-web1")
    alone = changed(lab, nodes=tuple(n for n in lab.nodes if n.name != "haproxy2"))
    with pytest.raises(LabFileError, match="needs haproxy2"):
        on_lab(load_scenario("lose-haproxy1"), alone)
