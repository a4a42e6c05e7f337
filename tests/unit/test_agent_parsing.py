"""The probe agent's packet parsing on crafted frames (the real capture runs in integration)."""

from __future__ import annotations

import socket
import struct

from labtool.probes.agent import arp_request, parse_arp, parse_vrrp


def test_arp_request_round_trip() -> None:
    frame = arp_request(bytes.fromhex("02000a000064"), socket.inet_aton("10.0.0.100"),
                        socket.inet_aton("10.0.0.10"))
    parsed = parse_arp(frame)
    assert parsed == {"op": 1, "mac": "02:00:0a:00:00:64", "ip": "10.0.0.100",
                      "target": "10.0.0.10"}


def test_vrrp_v2_advert() -> None:
    ether = b"\x01\x00\x5e\x00\x00\x12" + bytes.fromhex("02000a00000b") + b"\x08\x00"
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 0, 0, 255, 112, 0,
                     socket.inet_aton("10.0.0.11"), socket.inet_aton("224.0.0.18"))
    vrrp = bytes([0x21, 100, 100, 1, 1, 1, 0, 0]) + socket.inet_aton("10.0.0.10")
    advert = parse_vrrp(ether + ip + vrrp)
    assert advert == {"src": "10.0.0.11", "mac": "02:00:0a:00:00:0b", "vrid": 100,
                      "priority": 100, "interval_s": 1.0, "version": 2}
    assert parse_vrrp(ether + ip[:9] + b"\x06" + ip[10:] + vrrp) is None  # TCP, not VRRP
