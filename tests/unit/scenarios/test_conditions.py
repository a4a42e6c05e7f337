"""What a scenario waits for before its fault: HAProxy's view of its servers settled."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from labtool.scenarios.conditions import servers_seen_up
from labtool.spec.load import default_spec


def looking_at(servers: dict[str, dict[str, str]], down: tuple[str, ...] = ()) -> tuple[Any, Any]:
    """A recorder whose live view is `servers`, a cluster whose nodes are up but `down`."""
    recorder = SimpleNamespace(live=SimpleNamespace(servers=servers))
    backend = SimpleNamespace(is_up=lambda node: node not in down)
    return recorder, SimpleNamespace(spec=default_spec(), backend=backend)


def test_a_server_down_or_between_states_is_waited_for() -> None:
    """Seen after `labtool tp`'s up: haproxy1 had checked web1 before it served, and saw it
    "DOWN 1/2" when lose-web1 cut its power: its detection measured 2.6 s instead of 10."""
    up = {"web1": "UP", "web2": "UP"}
    assert servers_seen_up(*looking_at({"haproxy1": up, "haproxy2": up}))
    for status in ("DOWN", "DOWN 1/2", "UP 1/3"):
        view = {"haproxy1": {"web1": status, "web2": "UP"}, "haproxy2": up}
        assert not servers_seen_up(*looking_at(view)), status


def test_what_cannot_settle_is_not_waited_for() -> None:
    """A load balancer that is down, a HAProxy that reports nothing (no stats socket), or
    servers without checks."""
    dead = {"haproxy1": {"web1": "DOWN", "web2": "DOWN"}, "haproxy2": {"web1": "UP"}}
    assert servers_seen_up(*looking_at(dead, down=("haproxy1",)))
    assert servers_seen_up(*looking_at({"haproxy2": {"web1": "UP"}}))
    assert servers_seen_up(*looking_at({"haproxy1": {"web1": "no check"}}))
