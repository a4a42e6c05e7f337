"""The watch's socket: 127.0.0.1 only, a free port for 0, one clear message otherwise."""

from __future__ import annotations

import pytest

from labtool.errors import LabtoolError, UsageError
from labtool.watch.serve import bind


def test_it_listens_on_127_0_0_1_only() -> None:
    sock = bind(0)
    try:
        host, port = sock.getsockname()
        assert host == "127.0.0.1" and port > 0
    finally:
        sock.close()


def test_a_port_taken_or_impossible_is_one_message() -> None:
    sock = bind(0)
    try:
        with pytest.raises(LabtoolError, match="another --port"):
            bind(sock.getsockname()[1])
    finally:
        sock.close()
    with pytest.raises(UsageError):
        bind(70000)
