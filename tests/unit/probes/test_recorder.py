"""The recorder's view of the VIP: how long it has stayed where it is."""

from __future__ import annotations

import time

from labtool.probes.recorder import Recorder
from labtool.spec.load import default_spec


def test_a_vip_steady_on_two_nodes_counts_only_when_several_holders_are_allowed() -> None:
    """A split-brain submission (grade --run, one_holder False): both load balancers hold the
    VIP and keep it; its baseline must not wait for a single holder that never comes."""
    recorder = Recorder(default_spec())
    for node in ("haproxy1", "haproxy2"):
        recorder.add("vip", t=time.monotonic(), node=node, action="added", initial=True)
    now = time.monotonic()
    assert recorder.vip_steady_for(now) == 0.0  # (one holder asked: two is not steady)
    assert recorder.vip_steady_for(now, several=True) == float("inf")  # no change seen
    recorder.add("vip", t=now, node="haproxy2", action="removed")
    assert recorder.vip_steady_for(now + 2.0) >= 1.9  # one holder again, for 2 s
    recorder.add("vip", t=now, node="haproxy1", action="removed")
    assert recorder.vip_steady_for(now + 3.0, several=True) == 0.0  # nobody holds it
