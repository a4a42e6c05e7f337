"""A load balancer's addresses, read here (layer 6). `AddressWatch` opens an rtnetlink socket in
a node that is a namespace of this machine and reads it on a thread of its own, giving the
recorder the lines the agent's `--watch-addr` gives: no process of labtool runs in the node,
whose memory the lab's bounds count. Root opens the socket from a thread that enters the
node's network namespace (and ends there); a normal user, who may not, runs
probes/handover.py in the node, which opens it and hands it over.

A socket keeps its network namespace alive, and with it the node's end of the cable and the
VIP it may hold: the watch ends the moment the node goes (a file descriptor the backend gives,
readable then), when asked, or after its duration.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import select
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from labtool.backends.base_types import NodeHere
from labtool.probes import packets
from labtool.probes.handover import INDEX
from labtool.probes.probe import Probe

CLONE_NEWNET = 0x40000000
HANDOVER_MAX_S = 30.0  # the helper's run in the node (a python3 start-up, on a loaded machine)


def opened_in(here: NodeHere, nic: str) -> tuple[socket.socket, int]:
    """The address socket, opened by a thread that enters the node's network namespace and
    ends there (this process's own threads stay where they are); PermissionError where this
    process may not (setns needs CAP_SYS_ADMIN here and over the node's namespaces)."""
    found: list[tuple[socket.socket, int]] = []
    failed: list[OSError] = []

    def enter() -> None:
        try:
            with open(here.netns, "rb") as netns:
                if select.select([here.gone_fd], [], [], 0)[0]:  # (its PID, reused)
                    raise ProcessLookupError(errno.ESRCH, "the node is gone")
                setns(netns.fileno(), CLONE_NEWNET)
            found.append((packets.open_address_watch(), socket.if_nametoindex(nic)))
        except OSError as error:
            failed.append(error)

    thread = threading.Thread(target=enter, name="labtool-netns", daemon=True)
    thread.start()
    thread.join()
    if failed:
        raise failed[0]
    return found[0]


def setns(fd: int, kind: int) -> None:
    """os.setns (Python 3.12), or libc's."""
    if hasattr(os, "setns"):
        os.setns(fd, kind)
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, kind) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


class HandoverFailed(Exception):
    def __init__(self, why: str, code: int) -> None:
        super().__init__(why)
        self.code = code


class AddressWatch(Probe):
    """The addresses of a node's NIC, at start then each change, as `agent` and `addr` lines."""

    def __init__(
        self,
        name: str,
        argv_for: Callable[[int], list[str]],
        env: dict[str, str],
        on_line: Callable[[str], None],
        here: NodeHere,
        nic: str,
        *,
        duration_s: float,
        log: Path | None = None,
    ) -> None:
        """`argv_for(fd)`: the helper's command line in the node, given the inherited socket's
        number (where this process may not enter the node's network namespace); `here`'s
        `gone_fd` is owned from here on."""
        super().__init__(name, log, on_line)
        self.spawned_at = time.monotonic()
        self.here, self.nic = here, nic
        self.gone_fd = here.gone_fd
        self.duration_s = duration_s
        self._code: int | None = None
        self._lock = threading.Lock()
        self._stop_r, self._stop_w = os.pipe()
        self._closed = False
        if log is not None:
            log.parent.mkdir(parents=True, exist_ok=True)
        self.thread = threading.Thread(target=self._run, args=(argv_for, env), daemon=True)
        self.thread.start()

    def _run(self, argv_for: Callable[[int], list[str]], env: dict[str, str]) -> None:
        try:
            sock, index = self._receive(argv_for, env)
        except HandoverFailed as failure:
            self._log_write(f"{failure}\n")
            self._code = failure.code
        else:
            with sock:
                sock.settimeout(HANDOVER_MAX_S)
                try:
                    present = packets.read_address_dump(sock, index)
                except OSError as error:
                    self._log_write(f"reading the addresses: {error}\n")
                    self._code = 1
                else:
                    self._emit("agent", state="started", addresses=sorted(present))
                    self._follow(sock, index)
                    self._emit("agent", state="stopped", requests=0)
                    self._code = 0
        self.ended_at = time.monotonic()
        with self._lock:
            self._closed = True
            for fd in (self._stop_r, self._stop_w, self.gone_fd):
                os.close(fd)
        self._log_end()
        if self.on_end:
            self.on_end()

    def _receive(
        self, argv_for: Callable[[int], list[str]], env: dict[str, str]
    ) -> tuple[socket.socket, int]:
        """The socket, and the NIC's index: opened from here, else by the helper in the node."""
        try:
            opened = opened_in(self.here, self.nic)
            self._log_write(f"labtool: {self.name}: opened in {self.here.netns}\n")
            return opened
        except PermissionError:
            pass  # a normal user's lab
        except OSError as error:
            raise HandoverFailed(f"entering {self.here.netns}: {error}", 1) from error
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with ours:
            with theirs:
                self._run_helper(argv_for(theirs.fileno()), env, theirs.fileno())
            ours.settimeout(1)
            try:
                data, fds, _, _ = socket.recv_fds(ours, INDEX.size, 1)
            except OSError as error:
                raise HandoverFailed(f"no socket handed over: {error}", 1) from error
        if len(fds) != 1 or len(data) != INDEX.size:
            for fd in fds:
                os.close(fd)
            raise HandoverFailed("no socket handed over", 1)
        return socket.socket(fileno=fds[0]), INDEX.unpack(data)[0]

    def _run_helper(self, argv: list[str], env: dict[str, str], fd: int) -> None:
        self._log_write(f"labtool: {self.name}: {' '.join(argv)}\n")
        try:
            with contextlib.ExitStack() as stack:  # its stderr: to the log
                errors = stack.enter_context(self.log.open("a")) if self.log else subprocess.DEVNULL
                code = subprocess.run(
                    argv,
                    env=env,
                    pass_fds=(fd,),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=errors,
                    timeout=HANDOVER_MAX_S,
                    check=False,
                ).returncode
        except subprocess.TimeoutExpired as error:
            raise HandoverFailed(f"no socket within {HANDOVER_MAX_S:.0f} s", -9) from error
        except OSError as error:
            raise HandoverFailed(str(error), 127) from error
        if code != 0:
            raise HandoverFailed(f"the helper ended with {code}", code)

    def _follow(self, sock: socket.socket, index: int) -> None:
        end = self.spawned_at + self.duration_s
        watched = [sock.fileno(), self.gone_fd, self._stop_r]
        while (left := end - time.monotonic()) > 0:
            ready, _, _ = select.select(watched, [], [], left)
            if sock.fileno() in ready:
                try:
                    data = sock.recv(65536)
                except OSError as error:  # (ENOBUFS: changes were lost; say so and end)
                    self._log_write(f"reading the changes: {error}\n")
                    return
                packets.emit_address_changes(data, index, self._emit)
            if self.gone_fd in ready or self._stop_r in ready:
                return

    def _emit(self, kind: str, **fields: Any) -> None:
        now = time.monotonic()
        self._line(json.dumps({"t": round(now, 6), "kind": kind, **fields}), now)

    @property
    def exit_code(self) -> int | None:
        return self._code

    def wait_end(self, timeout_s: float) -> None:
        self.thread.join(timeout=timeout_s)

    def stop(self, timeout_s: float = 5.0) -> None:
        """Ask its thread to end (the socket closes with it), and wait for that."""
        with self._lock:
            if not self._closed:
                os.write(self._stop_w, b".")
        self.thread.join(timeout=timeout_s)
