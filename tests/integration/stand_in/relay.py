"""For tests only: lets the stand-in `vagrant` serve a labtool that runs as a normal user.

The stand-in's "machines" are netns nodes, which only root can power or enter; a hypervisor
is the same (it runs privileged, the user talks to it). So the test runs this relay as root,
on a Unix socket the user may open, and the stand-in, run by the user, hands it each call:
- `vagrant ARGV-as-JSON`: runs the stand-in as root with those arguments; answers one JSON line
  with its stdout, stderr and exit code;
- `ssh NODE`: then raw bytes both ways with the node's real sshd (`sshd -i` started inside the
  node, as the stand-in's ProxyCommand does for root), as a VM's forwarded SSH port would.
The user's side of `ssh NODE` is `python3 relay.py SOCKET NODE` (the ProxyCommand it is given).
"""

from __future__ import annotations

import json
import os
import socket
import socketserver
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

STAND_IN = Path(__file__).parent / "vagrant"


def _pump(read: Callable[[int], bytes], write: Callable[[bytes], object]) -> None:
    try:
        while True:
            data = read(65536)
            if not data:
                break
            write(data)
    except OSError:
        pass


class _Handler(socketserver.StreamRequestHandler):
    server: Relay

    def handle(self) -> None:
        kind, _, rest = self.rfile.readline().decode().strip().partition(" ")
        if kind == "vagrant":
            done = subprocess.run(
                [sys.executable, str(STAND_IN), *json.loads(rest)],
                capture_output=True,
                text=True,
                env=self.server.root_env,
                timeout=600,
            )
            answer = {"stdout": done.stdout, "stderr": done.stderr, "code": done.returncode}
            self.wfile.write((json.dumps(answer) + "\n").encode())
        elif kind == "ssh":
            proxy = subprocess.run(
                [sys.executable, str(STAND_IN), "proxy-command", rest],
                capture_output=True,
                text=True,
                env=self.server.root_env,
                timeout=60,
            ).stdout.strip()
            sshd = subprocess.Popen(
                proxy, shell=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0
            )
            assert sshd.stdin is not None and sshd.stdout is not None
            back = threading.Thread(
                target=_pump, args=(sshd.stdout.read, self.wfile.write), daemon=True
            )
            back.start()
            _pump(self.rfile.read1, sshd.stdin.write)  # (rfile holds what followed the line)
            sshd.stdin.close()
            back.join(timeout=10)
            sshd.kill()
            sshd.wait()


class Relay(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True

    def __init__(self, path: Path, root_env: dict[str, str]) -> None:
        self.root_env = root_env
        super().__init__(str(path), _Handler)
        os.chmod(path, 0o666)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.shutdown()
        self.server_close()


def _write_all(fd: int) -> object:
    def write(data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]

    return write


def ask(path: str, argv: list[str]) -> int:
    """The user's side of a `vagrant` call."""
    with socket.socket(socket.AF_UNIX) as conn:
        conn.connect(path)
        conn.sendall(f"vagrant {json.dumps(argv)}\n".encode())
        answer = json.loads(conn.makefile("rb").readline())
    sys.stdout.write(answer["stdout"])
    sys.stderr.write(answer["stderr"])
    return int(answer["code"])


def main() -> None:
    """ProxyCommand: the user's side of `ssh NODE`."""
    path, node = sys.argv[1:3]
    with socket.socket(socket.AF_UNIX) as conn:
        conn.connect(path)
        conn.sendall(f"ssh {node}\n".encode())
        back = threading.Thread(target=_pump, args=(conn.recv, _write_all(1)), daemon=True)
        back.start()
        _pump(lambda n: os.read(0, n), conn.sendall)
        conn.shutdown(socket.SHUT_WR)
        back.join()


if __name__ == "__main__":
    main()
