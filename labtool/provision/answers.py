"""The end of `up`: waiting until the lab answers, the VIP from the client node first, then
every HAProxy seeing every web node UP; each wait bounded, its progress shown."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from labtool.backends.base import Backend
from labtool.errors import LabtoolError
from labtool.i18n import Msg
from labtool.probes.readers import servers_unsettled, stats_sockets
from labtool.provision.converge import Progress
from labtool.spec.model import LabSpec

if TYPE_CHECKING:
    from labtool.provision.lab import UpReport

# HAProxy marks a server checked before it served DOWN for fall x inter and takes it back
# after rise x inter (6 s and 4 s with the lab's defaults): on a busy machine, the first
# MASTER's HAProxy (started first, for VRRP's wait) may see a web node DOWN when the VIP answers
SERVERS_SETTLE_MAX_S = 10.0
VIP_EXTRA_WAIT_S = 10.0  # beyond the protocol's own wait, before `up` gives up on the VIP
POLL_S = 0.05


def wait_for_servers(spec: LabSpec, backend: Backend, progress: Progress, started: float) -> None:
    """Until every HAProxy sees every web node UP, so that the first requests a student sends
    go round the servers (bounded: a server that stays DOWN is the student's to see)."""
    sockets = stats_sockets(spec, backend)
    deadline = time.monotonic() + SERVERS_SETTLE_MAX_S
    while (unsettled := servers_unsettled(spec, sockets)) and time.monotonic() < deadline:
        progress.waiting(
            Msg("waiting for HAProxy to see every web node UP ({seen})", seen="; ".join(unsettled)),
            time.monotonic() - started,
            SERVERS_SETTLE_MAX_S,
        )
        time.sleep(POLL_S * 4)


def wait_for_vip(
    spec: LabSpec,
    backend: Backend,
    progress: Progress,
    vrrp_started: float,
    started: float,
    report: UpReport,
) -> None:
    """Until the VIP answers HTTP from the client node (VRRP's own wait, then a bounded
    extra), its time and holder written in `report`."""
    expected = max(spec.vrrp.startup_wait_s(n.priority or 100) for n in spec.by_role("lb"))
    why = Msg(
        "waiting for VRRP: a starting keepalived holds the VIP back 3 x advert_int + skew "
        "= {expected:.2f} s",
        expected=expected,
    )
    client = backend.transport(spec.client.name)
    deadline = time.monotonic() + expected + VIP_EXTRA_WAIT_S
    url = f"http://{spec.vip}/"
    while time.monotonic() < deadline:
        progress.waiting(why, time.monotonic() - started, expected)
        if time.monotonic() - vrrp_started < expected - 0.3:
            time.sleep(0.1)  # nothing can answer before VRRP's own wait is nearly over
            continue
        answer = client.run(["curl", "-s", "-m", "1", url], timeout_s=5)
        if answer.succeeded and answer.stdout.strip():
            report.vip_s = time.monotonic() - started
            report.vrrp_wait_s = time.monotonic() - vrrp_started
            report.first_answer = answer.stdout.strip()
            holders = [
                n.name
                for n in spec.by_role("lb")
                if str(spec.vip) in backend.node_status(n.name).addresses
            ]
            report.vip_holder = holders[0] if len(holders) == 1 else None
            return
        time.sleep(POLL_S / 2)
    raise LabtoolError(
        Msg(
            "the VIP {vip} did not answer HTTP from the client node within "
            "{value:.1f} s. The lab stays up: look with 'labtool status' and "
            "'labtool exec haproxy1 -- cat /var/log/keepalived.log'",
            vip=spec.vip,
            value=expected + VIP_EXTRA_WAIT_S,
        )
    )
