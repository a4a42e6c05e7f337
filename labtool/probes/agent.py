"""The probe agent: runs INSIDE a node and reports what that node sees.

On the client node (`--capture`, `--rate`):
- HTTP: a new connection per request to the VIP at a fixed rate (time sent, status, body,
  latency), bounded in count and in time;
- ARP: who answers for the VIP (a who-has every `arp_interval`; every ARP packet claiming the
  VIP, gratuitous ones included) - two answering MACs is a duplicate VIP;
- VRRP: every advert seen on the LAN (source, router id, priority, interval); the agent joins
  224.0.0.18 so that a NIC filtering multicast (a VM's) lets them through.
On a load balancer (`--watch-addr`, `--stats-socket`):
- its NIC's IPv4 addresses: all of them once at start, then every change, from the kernel's
  own notifications (subscribed before the first reading, so none is missed);
- HAProxy's view of its servers (`show stat` on its stats socket), each change once.

Every event is one JSON line on stdout with `t` from CLOCK_MONOTONIC; a `tick` every half
second lets labtool map a machine's clock onto its own. `{"kind": "agent", "state":
"started"}` means every watch is in place. Stdlib only. It stops by itself after `--duration`
seconds or `--max-requests` requests, or as soon as its stdin closes.
Run it as: python -m labtool.probes.agent --vip 10.0.0.10 --iface eth1 ...
"""

import argparse
import asyncio
import contextlib
import csv
import io
import os
import socket
import sys
import time
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

try:
    from labtool.probes import packets
    from labtool.probes.agent_options import TICK_S, emit, parse_args, raise_open_files_limit
except ImportError:  # a copy run by a machine's own python3, beside its other files
    import packets  # type: ignore[no-redef,import-not-found]
    from agent_options import (  # type: ignore[import-not-found,no-redef]
        TICK_S,
        emit,
        parse_args,
        raise_open_files_limit,
    )

# What a machine needs of labtool to run the agent with its own python3 (stdlib only).
AGENT_MODULES = ("agent", "packets", "agent_options", "handover")


class Agent:
    def __init__(self, options: argparse.Namespace) -> None:
        self.options = options
        self.stopping = asyncio.Event()
        self.go = asyncio.Event()  # with --hold, requests start once it is set
        self.in_flight: Set[asyncio.Task[None]] = set()
        self.started: Dict[asyncio.Task[None], float] = {}
        self.sent = 0
        self.sockets: List[socket.socket] = []
        self.group: Optional[socket.socket] = None  # held open: the NIC stays in VRRP's group
        self.max_in_flight = raise_open_files_limit() - 64  # room for its own sockets

    def _done(self, task: "asyncio.Task[None]") -> None:
        self.in_flight.discard(task)
        self.started.pop(task, None)

    async def run(self) -> None:
        loop = asyncio.get_event_loop()
        with contextlib.suppress(PermissionError):  # /dev/null cannot be watched: no matter
            loop.add_reader(sys.stdin.fileno(), self._stdin_ready)
        started: Dict[str, Any] = {}
        if self.options.capture:
            started.update(self._open_packet_sockets(loop))
        if self.options.watch_addr:
            started["addresses"] = self._open_address_watch(loop)
        emit(
            "agent",
            state="started",
            rate=self.options.rate,
            max_requests=self.options.max_requests,
            duration_s=self.options.duration,
            **started,
        )
        workers = [asyncio.ensure_future(self._http_loop()), asyncio.ensure_future(self._ticks())]
        if self.options.stats_socket:
            workers.append(asyncio.ensure_future(self._stats_loop()))
        if self.options.capture:
            workers.append(asyncio.ensure_future(self._arp_loop(self.sockets[0])))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), self.options.duration)
        self.stopping.set()
        for worker in workers:
            worker.cancel()
        if self.in_flight:  # let requests already sent finish, for a moment
            await asyncio.wait(self.in_flight, timeout=self.options.grace)
        now = time.monotonic()
        for task, sent in list(self.started.items()):
            if not task.done():  # reported, not lost: unanswered at the end of the window
                task.cancel()
                emit(
                    "http",
                    sent=round(sent, 6),
                    status=0,
                    error="unfinished",
                    latency_s=round(now - sent, 6),
                )
        emit("agent", state="stopped", requests=self.sent)

    async def _ticks(self) -> None:
        while not self.stopping.is_set():
            emit("tick")
            await asyncio.sleep(TICK_S)

    def _stdin_ready(self) -> None:
        data = os.read(sys.stdin.fileno(), 4096)
        if b"go" in data:
            self.go.set()
        if not data:
            asyncio.get_event_loop().remove_reader(sys.stdin.fileno())
            self.stopping.set()

    async def _http_loop(self) -> None:
        if self.options.rate <= 0:
            return
        if self.options.hold:  # until labtool says "go": no load while the lab is mended
            stop = asyncio.ensure_future(self.stopping.wait())
            await asyncio.wait(
                [asyncio.ensure_future(self.go.wait()), stop], return_when=asyncio.FIRST_COMPLETED
            )
            if self.stopping.is_set():
                return
            stop.cancel()
            emit("agent", state="go")
        period = 1.0 / self.options.rate
        next_at = time.monotonic()
        while not self.stopping.is_set() and self.sent < self.options.max_requests:
            if len(self.in_flight) >= self.max_in_flight:  # reported, not sent: no socket left
                self.sent += 1
                emit(
                    "http",
                    sent=round(time.monotonic(), 6),
                    status=0,
                    error="too many requests in flight",
                    latency_s=0.0,
                )
                next_at += period
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                continue
            self._send()
            self.sent += 1
            next_at += period
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    def _send(self) -> None:
        """One request, bounded by a timer that cancels it (lighter than a wait_for's task)."""
        timer: Dict[str, Any] = {}
        task = asyncio.ensure_future(self._one_request(timer))
        self.in_flight.add(task)
        self.started[task] = time.monotonic()
        task.add_done_callback(self._done)
        timer["handle"] = asyncio.get_event_loop().call_later(
            self.options.timeout, self._time_out, task, timer
        )

    @staticmethod
    def _time_out(task: "asyncio.Task[None]", timer: Dict[str, Any]) -> None:
        timer["fired"] = True
        task.cancel()

    async def _one_request(self, timer: Dict[str, Any]) -> None:
        sent = time.monotonic()
        try:
            result = await packets.http_get(self.options.vip, self.options.port)
        except asyncio.CancelledError:
            if not timer.get("fired"):
                raise  # the agent stops: reported as unfinished
            result = packets.timed_out(sent)
        else:
            timer["handle"].cancel()
        emit("http", **result)

    def _open_packet_sockets(self, loop: asyncio.AbstractEventLoop) -> Dict[str, Any]:
        """ARP and VRRP capture on the NIC; returns what the start-up line reports."""
        iface = self.options.iface
        arp = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(packets.ETH_P_ARP))
        arp.bind((iface, 0))
        ip = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(packets.ETH_P_IP))
        ip.bind((iface, 0))
        report: Dict[str, Any] = {}
        try:
            packets.attach_vrrp_filter(ip)
            report["vrrp_filter"] = True
        except OSError as exc:  # every IP frame then reaches the parser: slower, still right
            report["vrrp_filter"] = f"not attached: {exc.strerror}"
        try:
            self.group = packets.join_vrrp_group(iface)
            report["vrrp_group"] = packets.VRRP_GROUP
        except OSError as exc:
            report["vrrp_group"] = f"not joined: {exc.strerror}"
        for sock in (arp, ip):
            sock.setblocking(False)
        loop.add_reader(arp.fileno(), self._read_arp, arp)
        loop.add_reader(ip.fileno(), self._read_ip, ip)
        self.sockets = [arp, ip]
        return report

    def _open_address_watch(self, loop: asyncio.AbstractEventLoop) -> List[str]:
        """Subscribe, then read every current address of the NIC (the dump); returns them."""
        index = socket.if_nametoindex(self.options.iface)
        sock = packets.open_address_watch()
        present = packets.read_address_dump(sock, index)
        sock.setblocking(False)
        loop.add_reader(sock.fileno(), self._read_addresses, sock, index)
        self.sockets.append(sock)
        return sorted(present)

    def _read_addresses(self, sock: socket.socket, index: int) -> None:
        for data in self._frames(sock):
            packets.emit_address_changes(data, index, emit)

    @staticmethod
    def _frames(sock: socket.socket) -> Iterator[bytes]:
        """Every frame waiting on a non-blocking socket."""
        while True:
            try:
                yield sock.recv(65536)
            except BlockingIOError:
                return

    def _read_arp(self, sock: socket.socket) -> None:
        for frame in self._frames(sock):
            arp = packets.parse_arp(frame)
            if arp and arp["ip"] == self.options.vip:
                emit(
                    "arp",
                    mac=arp["mac"],
                    op="reply" if arp["op"] == 2 else "request",
                    gratuitous=arp["target"] == self.options.vip,
                )

    def _read_ip(self, sock: socket.socket) -> None:
        for frame in self._frames(sock):
            advert = packets.parse_vrrp(frame)
            if advert:
                emit("vrrp", **advert)

    async def _stats_loop(self) -> None:
        """HAProxy's view of its servers: `show stat` on the stats socket, each change once."""
        known: Dict[Tuple[str, str], str] = {}
        while not self.stopping.is_set():
            try:
                reader, writer = await asyncio.open_unix_connection(self.options.stats_socket)
                writer.write(b"show stat -1 4 -1\n")  # servers only: less for a slow VM to parse
                await writer.drain()
                text = (await reader.read()).decode(errors="replace")
                writer.close()
                rows = list(csv.DictReader(io.StringIO(text.lstrip("# "))))
            except OSError:
                rows = [{"pxname": "*", "svname": "*", "status": "UNREACHABLE"}]
            for row in rows:
                key = (row.get("pxname", ""), row.get("svname", ""))
                if key[1] in ("FRONTEND", "BACKEND") or known.get(key) == row.get("status"):
                    continue
                known[key] = row.get("status", "?")
                emit("stats", pxname=key[0], svname=key[1], status=known[key])
            await asyncio.sleep(self.options.stats_interval)

    async def _arp_loop(self, sock: socket.socket) -> None:
        mac, ip = packets.iface_addresses(self.options.iface)
        frame = packets.arp_request(mac, ip, socket.inet_aton(self.options.vip))
        while not self.stopping.is_set():
            with contextlib.suppress(OSError):
                sock.send(frame)
            await asyncio.sleep(self.options.arp_interval)


def main(argv: Optional[List[str]] = None) -> None:
    # (no asyncio.run before Python 3.7: the lab's CentOS 7 has 3.6)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(Agent(parse_args(argv)).run())
    finally:
        loop.close()


if __name__ == "__main__":
    main()
