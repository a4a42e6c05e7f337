"""What the page may ask: each request checked before anything runs (the lab itself is in
tests/integration/test_watch.py)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from labtool.errors import UsageError
from labtool.spec.load import default_spec
from labtool.watch.actions import Actions
from labtool.watch.hub import Hub


def actions() -> Actions:
    spec = default_spec("unit-watch-none")
    hub = Hub(spec.name, "netns", str(spec.vip), "en")
    return Actions(spec, SimpleNamespace(), hub, SimpleNamespace(), "en")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "request_, what",
    [
        ({"action": "scenario", "name": "lose-web1"}, "scenario lose-web1"),
        ({"action": "halt", "node": "web1"}, "halt web1"),
        ({"action": "halt", "node": "haproxy1", "force": True}, "halt --force haproxy1"),
        ({"action": "up", "node": "web1"}, "up web1"),
        (
            {"action": "daemon", "node": "haproxy1", "unit": "keepalived", "op": "stop"},
            "systemctl stop keepalived on haproxy1",
        ),
        (
            {"action": "daemon", "node": "web2", "unit": "httpd", "op": "start"},
            "systemctl start httpd on web2",
        ),
        ({"action": "report"}, "report"),
    ],
)
def test_what_the_page_may_ask(request_: dict[str, Any], what: str) -> None:
    assert actions()._parse(request_)[0] == what


@pytest.mark.parametrize(
    "request_",
    [
        {"action": "scenario", "name": "../../etc/passwd"},
        {"action": "halt", "node": "web9"},
        {"action": "daemon", "node": "web1", "unit": "keepalived", "op": "stop"},  # not web1's
        {"action": "daemon", "node": "haproxy1", "unit": "haproxy", "op": "reload; rm -rf /"},
        {"action": "shell", "node": "web1"},
        {},
    ],
)
def test_anything_else_is_refused_before_it_runs(request_: dict[str, Any]) -> None:
    with pytest.raises(UsageError):
        actions()._parse(request_)


def test_the_lab_s_table_waits_for_its_scenarios() -> None:
    rows = actions().table(running="lose-haproxy1")
    assert [(r["row"], r["state"]) for r in rows] == [("web", "todo"), ("haproxy", "running")]
    assert all(r["test"] and r["expected"] for r in rows)
