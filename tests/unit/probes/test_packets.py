"""What the probe agent reads and writes on the wire: crafted frames and netlink messages, and
the real kernel for what needs no root (the capture itself runs in the integration tests)."""

from __future__ import annotations

import socket
import struct
from pathlib import Path

from labtool.probes import packets
from labtool.probes.packets import arp_request, parse_arp, parse_vrrp


def test_arp_request_round_trip() -> None:
    frame = arp_request(
        bytes.fromhex("02000a000064"), socket.inet_aton("10.0.0.100"), socket.inet_aton("10.0.0.10")
    )
    parsed = parse_arp(frame)
    assert parsed == {
        "op": 1,
        "mac": "02:00:0a:00:00:64",
        "ip": "10.0.0.100",
        "target": "10.0.0.10",
    }


def test_vrrp_v2_advert() -> None:
    ether = b"\x01\x00\x5e\x00\x00\x12" + bytes.fromhex("02000a00000b") + b"\x08\x00"
    ip = struct.pack(
        "!BBHHHBBH4s4s",
        0x45,
        0,
        40,
        0,
        0,
        255,
        112,
        0,
        socket.inet_aton("10.0.0.11"),
        socket.inet_aton("224.0.0.18"),
    )
    vrrp = bytes([0x21, 100, 100, 1, 1, 1, 0, 0]) + socket.inet_aton("10.0.0.10")
    advert = parse_vrrp(ether + ip + vrrp)
    assert advert == {
        "src": "10.0.0.11",
        "mac": "02:00:0a:00:00:0b",
        "vrid": 100,
        "priority": 100,
        "interval_s": 1.0,
        "version": 2,
    }
    assert parse_vrrp(ether + ip[:9] + b"\x06" + ip[10:] + vrrp) is None  # TCP, not VRRP


def test_address_messages_round_trip() -> None:
    data = packets.address_message(
        packets.RTM_NEWADDR, 3, "10.0.0.10", 24
    ) + packets.address_message(packets.RTM_DELADDR, 3, "10.0.0.10", 24)
    assert list(packets.parse_address_messages(data)) == [
        {"type": "added", "index": 3, "address": "10.0.0.10", "prefix": 24, "dump": False},
        {"type": "removed", "index": 3, "address": "10.0.0.10", "prefix": 24, "dump": False},
    ]


def test_truncated_or_foreign_netlink_messages_are_skipped() -> None:
    whole = packets.address_message(packets.RTM_NEWADDR, 3, "10.0.0.10", 24)
    assert list(packets.parse_address_messages(whole[:-3])) == []
    assert list(packets.parse_address_messages(b"\x00" * 40)) == []


def test_the_kernel_answers_the_address_dump_with_loopback() -> None:
    """The real kernel (no root needed): subscribe, dump, read until the dump's end."""
    sock = packets.open_address_watch()
    found: list[dict[str, object]] = []
    try:
        done = False
        while not done:
            for message in packets.parse_address_messages(sock.recv(65536)):
                done = done or (message["type"] == "done" and bool(message["dump"]))
                found.append(message)
    finally:
        sock.close()
    lo = socket.if_nametoindex("lo")
    assert {
        "type": "added",
        "index": lo,
        "address": "127.0.0.1",
        "prefix": 8,
        "dump": True,
    } in found


def test_the_kernel_accepts_the_vrrp_filter() -> None:
    """The kernel's own check of a classic BPF program, on a socket that needs no root."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        packets.attach_vrrp_filter(sock)
    program = packets.vrrp_filter_program()
    assert program[-2][3] > 0 and program[-1][3] == 0  # keep, then drop


def test_joining_the_vrrp_group_shows_in_the_kernels_table() -> None:
    sock = packets.join_vrrp_group("lo")
    try:
        igmp = Path("/proc/net/igmp").read_text()
        group = socket.inet_aton(packets.VRRP_GROUP)[::-1].hex().upper()  # host order, hex
        assert group in igmp
    finally:
        sock.close()
