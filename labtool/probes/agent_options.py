"""The probe agent's command line, the one limit it raises, and how it writes an event (labtool's
address watch gives the same lines): stdlib only, copied beside the agent onto machines (see
agent.AGENT_MODULES)."""

import argparse
import contextlib
import json
import os
import sys
import time
from typing import Any, List, Optional

TICK_S = 0.5  # a `tick` event this often: the agent is alive and its clock is read


def emit(kind: str, **fields: Any) -> None:
    """One event, a JSON line on stdout, `t` from CLOCK_MONOTONIC."""
    try:
        sys.stdout.write(
            json.dumps({"t": round(time.monotonic(), 6), "kind": kind, **fields}) + "\n"
        )
        sys.stdout.flush()
    except BrokenPipeError:
        os._exit(0)  # nobody reads any more: stop at once, quietly


def raise_open_files_limit() -> int:
    """As many open files as allowed: during an outage every request waits for its timeout,
    rate x timeout connections at once (500 at 50/s and 10 s), against a soft limit of 1024."""
    import resource  # (POSIX, on a node: the core imports this module on any system)

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        soft = wanted
    return soft


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="labtool probe agent (runs in a node)")
    parser.add_argument("--vip", required=True)
    parser.add_argument("--port", type=int, default=80)
    parser.add_argument("--iface", default="eth1", help="the node's NIC on the LAN")
    parser.add_argument(
        "--capture",
        action="store_true",
        help="capture ARP for the VIP and VRRP adverts on the NIC (client)",
    )
    parser.add_argument(
        "--watch-addr",
        action="store_true",
        help="report the NIC's IPv4 addresses and each change (load balancer)",
    )
    parser.add_argument("--rate", type=float, default=50.0, help="HTTP requests per second")
    parser.add_argument(
        "--hold", action="store_true", help="send no request before a line 'go' on stdin"
    )
    parser.add_argument("--max-requests", type=int, default=3000)
    parser.add_argument("--duration", type=float, default=60.0, help="stop after this (s)")
    parser.add_argument("--timeout", type=float, default=10.0, help="per request (s)")
    parser.add_argument(
        "--grace",
        type=float,
        default=2.0,
        help="at the end, how long requests already sent may still take (s)",
    )
    parser.add_argument("--arp-interval", type=float, default=0.1)
    parser.add_argument(
        "--stats-socket",
        default="",
        help="on a load balancer: HAProxy's stats socket, polled for changes",
    )
    parser.add_argument("--stats-interval", type=float, default=0.1)
    options = parser.parse_args(argv)
    options.duration = min(options.duration, 600.0)  # a hard bound, whatever is asked
    options.max_requests = min(options.max_requests, 60000)
    return options
