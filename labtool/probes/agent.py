"""The probe agent: runs INSIDE the client node and reports what the client sees.

- HTTP: a new connection per request to the VIP at a fixed rate (time sent, status, body,
  latency), bounded in count and in time;
- ARP: who answers for the VIP (a who-has every `arp_interval`; every ARP packet claiming the
  VIP, gratuitous ones included) - two answering MACs is a duplicate VIP;
- VRRP: every advert seen on the LAN (source, router id, priority, interval).

Every event is one JSON line on stdout with `t` from CLOCK_MONOTONIC, which all namespaces
share, so labtool can merge it with its own events. Stdlib only. It stops by itself after
`--duration` seconds or `--max-requests` requests, or as soon as its stdin closes.
Run it as: python -m labtool.probes.agent --vip 10.0.0.10 --iface eth1 ...
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import fcntl
import io
import json
import os
import socket
import struct
import sys
import time
from collections.abc import Iterator
from typing import Any

ETH_P_ARP = 0x0806
ETH_P_IP = 0x0800
SIOCGIFHWADDR = 0x8927
SIOCGIFADDR = 0x8915
VRRP_PROTO = 112


def emit(kind: str, **fields: Any) -> None:
    try:
        sys.stdout.write(json.dumps({"t": round(time.monotonic(), 6), "kind": kind, **fields})
                         + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        os._exit(0)  # nobody reads any more: stop at once, quietly


def mac_text(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw)


def iface_addresses(iface: str) -> tuple[bytes, bytes]:
    """(MAC, IPv4) of an interface, via the classic ioctls."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        req = struct.pack("256s", iface.encode()[:15])
        mac = fcntl.ioctl(sock.fileno(), SIOCGIFHWADDR, req)[18:24]
        ip = fcntl.ioctl(sock.fileno(), SIOCGIFADDR, req)[20:24]
    return mac, ip


def arp_request(src_mac: bytes, src_ip: bytes, target_ip: bytes) -> bytes:
    ether = b"\xff" * 6 + src_mac + struct.pack("!H", ETH_P_ARP)
    arp = struct.pack("!HHBBH6s4s6s4s", 1, ETH_P_IP, 6, 4, 1, src_mac, src_ip, b"\0" * 6,
                      target_ip)
    return ether + arp


def parse_arp(frame: bytes) -> dict[str, Any] | None:
    if len(frame) < 42 or struct.unpack("!H", frame[12:14])[0] != ETH_P_ARP:
        return None
    _, _, _, _, op, sha, spa, _, tpa = struct.unpack("!HHBBH6s4s6s4s", frame[14:42])
    return {"op": op, "mac": mac_text(sha), "ip": socket.inet_ntoa(spa),
            "target": socket.inet_ntoa(tpa)}


def parse_vrrp(frame: bytes) -> dict[str, Any] | None:
    """VRRP v2 (keepalived's default) or v3 advert inside an Ethernet frame."""
    if len(frame) < 14 + 20 + 8 or struct.unpack("!H", frame[12:14])[0] != ETH_P_IP:
        return None
    ip = frame[14:]
    header_len = (ip[0] & 0x0F) * 4
    if ip[9] != VRRP_PROTO:
        return None
    vrrp = ip[header_len:]
    version, kind = vrrp[0] >> 4, vrrp[0] & 0x0F
    if kind != 1:
        return None
    if version == 3:
        interval_s = (struct.unpack("!H", vrrp[4:6])[0] & 0x0FFF) / 100
    else:
        interval_s = float(vrrp[5])
    return {"src": socket.inet_ntoa(ip[12:16]), "mac": mac_text(frame[6:12]),
            "vrid": vrrp[1], "priority": vrrp[2], "interval_s": interval_s,
            "version": version}


async def http_get(vip: str, port: int, timeout_s: float) -> dict[str, Any]:
    sent = time.monotonic()
    result: dict[str, Any] = {"sent": round(sent, 6)}
    try:
        async with asyncio.timeout(timeout_s):
            reader, writer = await asyncio.open_connection(vip, port)
            writer.write(f"GET / HTTP/1.0\r\nHost: {vip}\r\nUser-Agent: labtool-probe\r\n\r\n"
                         .encode())
            await writer.drain()
            data = await reader.read(65536)
            while chunk := await reader.read(65536):
                data += chunk
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        head, _, body = data.partition(b"\r\n\r\n")
        status_line = head.split(b"\r\n", 1)[0].split()
        result["status"] = int(status_line[1]) if len(status_line) > 1 else 0
        result["body"] = body.decode(errors="replace").strip()[:80]
    except TimeoutError:
        result.update(status=0, error="timeout")
    except OSError as exc:
        result.update(status=0, error=exc.strerror or type(exc).__name__)
    result["latency_s"] = round(time.monotonic() - sent, 6)
    return result


class Agent:
    def __init__(self, options: argparse.Namespace) -> None:
        self.options = options
        self.stopping = asyncio.Event()
        self.in_flight: set[asyncio.Task[None]] = set()
        self.started: dict[asyncio.Task[None], float] = {}
        self.sent = 0

    def _done(self, task: asyncio.Task[None]) -> None:
        self.in_flight.discard(task)
        self.started.pop(task, None)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(PermissionError):  # /dev/null cannot be watched: no matter
            loop.add_reader(sys.stdin.fileno(), self._stdin_ready)
        sockets = self._open_packet_sockets(loop) if self.options.iface else []
        emit("agent", state="started", rate=self.options.rate,
             max_requests=self.options.max_requests, duration_s=self.options.duration)
        workers = [asyncio.create_task(self._http_loop())]
        if self.options.stats_socket:
            workers.append(asyncio.create_task(self._stats_loop()))
        if sockets:
            workers.append(asyncio.create_task(self._arp_loop(sockets[0])))
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
                emit("http", sent=round(sent, 6), status=0, error="unfinished",
                     latency_s=round(now - sent, 6))
        emit("agent", state="stopped", sent=self.sent)

    def _stdin_ready(self) -> None:
        if not os.read(sys.stdin.fileno(), 4096):
            asyncio.get_running_loop().remove_reader(sys.stdin.fileno())
            self.stopping.set()

    async def _http_loop(self) -> None:
        if self.options.rate <= 0:
            return
        period = 1.0 / self.options.rate
        next_at = time.monotonic()
        while not self.stopping.is_set() and self.sent < self.options.max_requests:
            task = asyncio.create_task(self._one_request())
            self.in_flight.add(task)
            self.started[task] = time.monotonic()
            task.add_done_callback(self._done)
            self.sent += 1
            next_at += period
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def _one_request(self) -> None:
        result = await http_get(self.options.vip, self.options.port, self.options.timeout)
        emit("http", **result)

    def _open_packet_sockets(self, loop: asyncio.AbstractEventLoop) -> list[socket.socket]:
        arp = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
        arp.bind((self.options.iface, 0))
        ip = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
        ip.bind((self.options.iface, 0))
        for sock in (arp, ip):
            sock.setblocking(False)
        loop.add_reader(arp.fileno(), self._read_arp, arp)
        loop.add_reader(ip.fileno(), self._read_ip, ip)
        return [arp, ip]

    @staticmethod
    def _frames(sock: socket.socket) -> Iterator[bytes]:
        """Every frame waiting on a non-blocking packet socket."""
        while True:
            try:
                yield sock.recv(2048)
            except BlockingIOError:
                return

    def _read_arp(self, sock: socket.socket) -> None:
        for frame in self._frames(sock):
            arp = parse_arp(frame)
            if arp and arp["ip"] == self.options.vip:
                emit("arp", mac=arp["mac"], op="reply" if arp["op"] == 2 else "request",
                     gratuitous=arp["target"] == self.options.vip)

    def _read_ip(self, sock: socket.socket) -> None:
        for frame in self._frames(sock):
            advert = parse_vrrp(frame)
            if advert:
                emit("vrrp", **advert)

    async def _stats_loop(self) -> None:
        """HAProxy's view of its servers: `show stat` on the stats socket, each change once."""
        known: dict[tuple[str, str], str] = {}
        while not self.stopping.is_set():
            try:
                reader, writer = await asyncio.open_unix_connection(self.options.stats_socket)
                writer.write(b"show stat\n")
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
        mac, ip = iface_addresses(self.options.iface)
        frame = arp_request(mac, ip, socket.inet_aton(self.options.vip))
        while not self.stopping.is_set():
            with contextlib.suppress(OSError):
                sock.send(frame)
            await asyncio.sleep(self.options.arp_interval)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="labtool probe agent (runs in a node)")
    parser.add_argument("--vip", required=True)
    parser.add_argument("--port", type=int, default=80)
    parser.add_argument("--iface", default="", help="NIC for ARP and VRRP capture")
    parser.add_argument("--rate", type=float, default=50.0, help="HTTP requests per second")
    parser.add_argument("--max-requests", type=int, default=3000)
    parser.add_argument("--duration", type=float, default=60.0, help="stop after this (s)")
    parser.add_argument("--timeout", type=float, default=10.0, help="per request (s)")
    parser.add_argument("--grace", type=float, default=2.0,
                        help="at the end, how long requests already sent may still take (s)")
    parser.add_argument("--arp-interval", type=float, default=0.1)
    parser.add_argument("--stats-socket", default="",
                        help="on a load balancer: HAProxy's stats socket, polled for changes")
    parser.add_argument("--stats-interval", type=float, default=0.1)
    options = parser.parse_args(argv)
    options.duration = min(options.duration, 600.0)  # a hard bound, whatever is asked
    options.max_requests = min(options.max_requests, 60000)
    return options


def main(argv: list[str] | None = None) -> None:
    asyncio.run(Agent(parse_args(argv)).run())


if __name__ == "__main__":
    main()
