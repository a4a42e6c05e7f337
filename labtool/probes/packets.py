"""What the probe agent reads and writes on a node's wire: ARP and VRRP frames, the kernel's
address notifications (rtnetlink), a packet filter that keeps only VRRP, the VRRP group, the
NIC's own addresses, and one HTTP request.

Pure builders and parsers plus three small socket set-ups; stdlib only, because the agent is
copied as plain files to machines of their own (Vagrant) and run by their python3.
"""

import ctypes
import hashlib
import socket
import struct
import time
from typing import Any, Callable, Dict, Iterator, List, Optional, Set, Tuple

ETH_P_ARP = 0x0806
ETH_P_IP = 0x0800
VRRP_PROTO = 112
VRRP_GROUP = "224.0.0.18"  # where VRRP adverts are sent (RFC 5798)

# rtnetlink (linux/rtnetlink.h, linux/netlink.h, linux/if_addr.h)
NETLINK_ROUTE = 0
RTMGRP_IPV4_IFADDR = 0x10
RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR = 20, 21, 22
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
IFA_ADDRESS, IFA_LOCAL = 1, 2
_NLMSGHDR = struct.Struct("=IHHII")  # length, type, flags, sequence, port id
_IFADDRMSG = struct.Struct("=BBBBI")  # family, prefix length, flags, scope, interface index
_RTATTR = struct.Struct("=HH")  # length, type
DUMP_SEQ = 1

SO_ATTACH_FILTER = 26
SIOCGIFHWADDR = 0x8927
SIOCGIFADDR = 0x8915


def mac_text(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw)


def arp_request(src_mac: bytes, src_ip: bytes, target_ip: bytes) -> bytes:
    ether = b"\xff" * 6 + src_mac + struct.pack("!H", ETH_P_ARP)
    arp = struct.pack("!HHBBH6s4s6s4s", 1, ETH_P_IP, 6, 4, 1, src_mac, src_ip, b"\0" * 6, target_ip)
    return ether + arp


def parse_arp(frame: bytes) -> Optional[Dict[str, Any]]:
    if len(frame) < 42 or struct.unpack("!H", frame[12:14])[0] != ETH_P_ARP:
        return None
    _, _, _, _, op, sha, spa, _, tpa = struct.unpack("!HHBBH6s4s6s4s", frame[14:42])
    return {
        "op": op,
        "mac": mac_text(sha),
        "ip": socket.inet_ntoa(spa),
        "target": socket.inet_ntoa(tpa),
    }


def parse_vrrp(frame: bytes) -> Optional[Dict[str, Any]]:
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
    return {
        "src": socket.inet_ntoa(ip[12:16]),
        "mac": mac_text(frame[6:12]),
        "vrid": vrrp[1],
        "priority": vrrp[2],
        "interval_s": interval_s,
        "version": version,
    }


def vrrp_filter_program() -> List[Tuple[int, int, int, int]]:
    """Classic BPF: keep IPv4 frames whose protocol is VRRP, drop the rest (the client's own
    HTTP traffic, which would otherwise wake the agent for every packet)."""
    ldh_abs, ldb_abs, jeq_k, ret_k = 0x28, 0x30, 0x15, 0x06
    return [
        (ldh_abs, 0, 0, 12),
        (jeq_k, 0, 3, ETH_P_IP),
        (ldb_abs, 0, 0, 23),
        (jeq_k, 0, 1, VRRP_PROTO),
        (ret_k, 0, 0, 0x40000),
        (ret_k, 0, 0, 0),
    ]


def attach_vrrp_filter(sock: socket.socket) -> None:
    program = vrrp_filter_program()
    code = (ctypes.c_ubyte * (8 * len(program)))()
    for i, (op, jt, jf, k) in enumerate(program):
        struct.pack_into("=HBBI", code, 8 * i, op, jt, jf, k)
    fprog = struct.pack("HL", len(program), ctypes.addressof(code))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)


def join_vrrp_group(iface: str) -> socket.socket:
    """Join 224.0.0.18 on the NIC, for as long as the returned socket is open: a NIC that
    filters multicast (virtio-net in a VM) then lets the adverts through to the capture."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    request = struct.pack(
        "=4s4si", socket.inet_aton(VRRP_GROUP), b"\0" * 4, socket.if_nametoindex(iface)
    )
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, request)
    return sock


def open_address_watch() -> socket.socket:
    """An rtnetlink socket subscribed to IPv4 address changes, then asked for every current
    address: subscribing first means no change can fall between the dump and the watch."""
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
    sock.bind((0, RTMGRP_IPV4_IFADDR))
    sock.send(address_dump_request())
    return sock


def read_address_dump(sock: socket.socket, index: int) -> Set[str]:
    """The NIC's current IPv4 addresses, from the dump open_address_watch asked for."""
    present: Set[str] = set()
    done = False
    while not done:
        for message in parse_address_messages(sock.recv(65536)):
            if message["type"] == "done":
                done = done or message["dump"]
            elif message["index"] == index:
                (present.add if message["type"] == "added" else present.discard)(message["address"])
    return present


def emit_address_changes(data: bytes, index: int, emit: Callable[..., None]) -> None:
    """Each change of the NIC's addresses in a netlink message, as an `addr` event."""
    for message in parse_address_messages(data):
        if message["type"] != "done" and message["index"] == index:
            emit(
                "addr", action=message["type"], address=message["address"], prefix=message["prefix"]
            )


def address_dump_request(seq: int = DUMP_SEQ) -> bytes:
    body = _IFADDRMSG.pack(socket.AF_INET, 0, 0, 0, 0)
    return (
        _NLMSGHDR.pack(_NLMSGHDR.size + len(body), RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, seq, 0)
        + body
    )


def parse_address_messages(data: bytes) -> Iterator[Dict[str, Any]]:
    """Each message of an rtnetlink buffer: `{"type": "added"|"removed", "index", "address",
    "prefix", "dump"}` for IPv4 addresses, `{"type": "done"}` at the end of a dump."""
    offset = 0
    while offset + _NLMSGHDR.size <= len(data):
        length, kind, _, seq, _ = _NLMSGHDR.unpack_from(data, offset)
        if length < _NLMSGHDR.size or offset + length > len(data):
            return
        if kind in (NLMSG_DONE, NLMSG_ERROR):
            yield {"type": "done", "dump": seq == DUMP_SEQ}
        elif kind in (RTM_NEWADDR, RTM_DELADDR) and length >= _NLMSGHDR.size + _IFADDRMSG.size:
            family, prefix, _, _, index = _IFADDRMSG.unpack_from(data, offset + _NLMSGHDR.size)
            attrs = _attributes(data, offset + _NLMSGHDR.size + _IFADDRMSG.size, offset + length)
            address = attrs.get(IFA_LOCAL) or attrs.get(IFA_ADDRESS)
            if family == socket.AF_INET and address is not None and len(address) == 4:
                yield {
                    "type": "added" if kind == RTM_NEWADDR else "removed",
                    "index": index,
                    "address": socket.inet_ntoa(address),
                    "prefix": prefix,
                    "dump": seq == DUMP_SEQ,
                }
        offset += (length + 3) & ~3


def _attributes(data: bytes, start: int, end: int) -> Dict[int, bytes]:
    found: Dict[int, bytes] = {}
    while start + _RTATTR.size <= end:
        length, kind = _RTATTR.unpack_from(data, start)
        if length < _RTATTR.size:
            break
        found[kind] = data[start + _RTATTR.size : start + length]
        start += (length + 3) & ~3
    return found


def address_message(kind: int, index: int, address: str, prefix: int, seq: int = 0) -> bytes:
    """An rtnetlink address message as the kernel sends it (for tests of the parser)."""
    local = socket.inet_aton(address)
    attrs = b"".join(_RTATTR.pack(_RTATTR.size + 4, t) + local for t in (IFA_ADDRESS, IFA_LOCAL))
    body = _IFADDRMSG.pack(socket.AF_INET, prefix, 0, 0, index) + attrs
    return _NLMSGHDR.pack(_NLMSGHDR.size + len(body), kind, 0, seq, 0) + body


def iface_addresses(iface: str) -> Tuple[bytes, bytes]:
    """(MAC, IPv4) of an interface, via the classic ioctls."""
    import fcntl  # (Linux, on a node: the core imports this module on any system)

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        req = struct.pack("256s", iface.encode()[:15])
        mac = fcntl.ioctl(sock.fileno(), SIOCGIFHWADDR, req)[18:24]
        ip = fcntl.ioctl(sock.fileno(), SIOCGIFADDR, req)[20:24]
    return mac, ip


async def _exchange(vip: str, port: int) -> bytes:
    """One HTTP/1.0 request, its whole answer: on a bare socket of the event loop (no stream
    objects: during an outage hundreds wait at once, in the lab's memory bounds)."""
    import asyncio  # (here: the handover helper runs without asyncio)

    loop = asyncio.get_event_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        await loop.sock_connect(sock, (vip, port))
        request = "GET / HTTP/1.0\r\nHost: {}\r\nUser-Agent: labtool-probe\r\n\r\n".format(vip)
        await loop.sock_sendall(sock, request.encode())
        chunks: List[bytes] = []
        while True:
            chunk = await loop.sock_recv(sock, 65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    finally:  # (Python 3.6 leaves a cancelled sock_recv's reader on the closed descriptor)
        loop.remove_reader(sock.fileno())
        loop.remove_writer(sock.fileno())
        sock.close()


def page_digest(page: bytes) -> str:
    """A page's short fingerprint: the web node that serves it, when pages differ."""
    return hashlib.sha1(page).hexdigest()[:16]


async def http_get(vip: str, port: int) -> Dict[str, Any]:
    """One request's result (its caller bounds its time: `timed_out` when it cancels it)."""
    sent = time.monotonic()
    result: Dict[str, Any] = {"sent": round(sent, 6)}
    try:
        data = await _exchange(vip, port)
        head, _, body = data.partition(b"\r\n\r\n")
        status_line = head.split(b"\r\n", 1)[0].split()
        result["status"] = int(status_line[1]) if len(status_line) > 1 else 0
        result["body"] = body.decode(errors="replace").strip()[:80]
        result["digest"] = page_digest(body)  # (the whole page: which web node served it)
    except OSError as exc:
        result.update(status=0, error=exc.strerror or type(exc).__name__)
    result["latency_s"] = round(time.monotonic() - sent, 6)
    return result


def timed_out(sent: float) -> Dict[str, Any]:
    """The result of a request its caller gave up on."""
    return {
        "sent": round(sent, 6),
        "status": 0,
        "error": "timeout",
        "latency_s": round(time.monotonic() - sent, 6),
    }
