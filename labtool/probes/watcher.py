"""The address watcher: a load balancer's NIC's IPv4 addresses at start, then every change,
as the agent reports them (`agent --watch-addr`), without asyncio: half the agent's memory,
on every load balancer of every lab a class runs at once. Stdlib only, Python 3.6 (copied
beside the agent onto machines). It stops when its stdin closes or after `--duration`.

Run it as: python -m labtool.probes.watcher --vip 10.0.0.10 --iface eth1 --watch-addr ...
"""

import os
import select
import socket
import stat
import sys
import time
from typing import List, Optional

try:
    from labtool.probes import packets
    from labtool.probes.agent_options import TICK_S, emit, parse_args
except ImportError:  # a copy run by a machine's own python3, beside its other files
    import packets  # type: ignore[no-redef,import-not-found]
    from agent_options import TICK_S, emit, parse_args  # type: ignore[import-not-found,no-redef]


def _stdin_watched() -> bool:
    """A pipe from labtool: its end is the signal to stop (not /dev/null, always at its end)."""
    mode = os.fstat(sys.stdin.fileno()).st_mode
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def main(argv: Optional[List[str]] = None) -> None:
    options = parse_args(argv)
    index = socket.if_nametoindex(options.iface)
    sock = packets.open_address_watch()
    present = packets.read_address_dump(sock, index)
    emit(
        "agent",
        state="started",
        rate=0.0,
        max_requests=options.max_requests,
        duration_s=options.duration,
        addresses=sorted(present),
    )
    watched = [sock, sys.stdin] if _stdin_watched() else [sock]
    end = time.monotonic() + options.duration
    tick_at = time.monotonic()
    while time.monotonic() < end:
        if time.monotonic() >= tick_at:
            emit("tick")
            tick_at = time.monotonic() + TICK_S
        ready, _, _ = select.select(watched, [], [], max(0.0, min(tick_at, end) - time.monotonic()))
        if sock in ready:
            packets.emit_address_changes(sock.recv(65536), index, emit)
        if sys.stdin in ready and not os.read(sys.stdin.fileno(), 4096):
            break
    emit("agent", state="stopped", requests=0)


if __name__ == "__main__":
    main()
