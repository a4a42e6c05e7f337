"""The lab's steps as data: the shipped file reads, in the lab's order; a broken one is one
clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from labtool.errors import LabFileError
from labtool.spec.load import default_spec
from labtool.steps.model import KINDS, load_steps


def test_the_shipped_steps_follow_the_lab() -> None:
    steps = load_steps()
    assert [s.id for s in steps] == [
        "packages",
        "enabled",
        "sysctl",
        "keepalived-saved",
        "vrrp-master",
        "vrrp-backup",
        "keepalived-running",
        "vip-on-master",
        "failover-tested",
        "haproxy-config",
        "haproxy-running",
        "httpd",
        "pages",
        "balanced",
    ]
    assert all(s.kind in KINDS and s.title["fr"] and s.hint["en"] for s in steps)
    spec = default_spec()
    targets = {s.id: [n.name for n in s.targets(spec)] for s in steps}
    assert targets["keepalived-saved"] == ["haproxy1"]
    assert targets["vrrp-backup"] == ["haproxy2"]
    assert targets["httpd"] == ["web1", "web2"]
    assert targets["balanced"] == ["client"]


def test_a_broken_steps_file_says_what_is_wrong(tmp_path: Path) -> None:
    path = tmp_path / "steps.toml"
    path.write_text('[[step]]\nid = "x"\ntitle = "t"\nhint = "h"\nnodes = "lb"\nkind = "nope"\n')
    with pytest.raises(LabFileError, match="kind must be one of"):
        load_steps(path)
    path.write_text('[[step]]\nid = "x"\n')
    with pytest.raises(LabFileError, match="has no title, hint, nodes, kind"):
        load_steps(path)
    path.write_text("step = [")
    with pytest.raises(LabFileError, match="cannot read the steps"):
        load_steps(path)
