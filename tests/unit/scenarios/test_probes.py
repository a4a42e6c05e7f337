"""The probes' view of who holds the VIP, taken instead of a look into each load balancer (a
process started per node at every tick of a wait) only once every load balancer's watcher has
read its NIC."""

from __future__ import annotations

from types import SimpleNamespace

from labtool.probes.recorder import Recorder
from labtool.scenarios.probes import PROBE_RATE, Probes
from labtool.spec.load import default_spec


def _probes() -> Probes:
    probes = Probes.__new__(Probes)  # (no agent started: the view alone is tested)
    probes.spec = default_spec()
    probes.recorder = Recorder(probes.spec)
    probes.watchers = {}
    probes.rate = PROBE_RATE
    return probes


def _watcher(ready: bool = True, alive: bool = True) -> SimpleNamespace:
    return SimpleNamespace(ready_at=1.0 if ready else None, alive=alive)


def test_the_watchers_view_once_every_load_balancer_is_watched() -> None:
    probes = _probes()
    assert probes.vip_seen() is None  # no watcher yet: a look into the nodes instead
    probes.watchers["haproxy1"] = _watcher()  # type: ignore[assignment]
    assert probes.vip_seen() is None  # haproxy2 not watched yet
    probes.watchers["haproxy2"] = _watcher(ready=False)  # type: ignore[assignment]
    assert probes.vip_seen() is None  # started, its NIC not read yet
    probes.watchers["haproxy2"] = _watcher()  # type: ignore[assignment]
    assert probes.vip_seen() == set()
    probes.recorder.add("vip", node="haproxy1", action="added")
    assert probes.vip_seen() == {"haproxy1"}


def test_a_watcher_that_ended_gives_no_view() -> None:
    probes = _probes()
    probes.watchers = {
        "haproxy1": _watcher(alive=False),  # type: ignore[dict-item]
        "haproxy2": _watcher(),  # type: ignore[dict-item]
    }
    assert probes.vip_seen() is None
