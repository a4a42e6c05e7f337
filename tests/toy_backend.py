"""A toy backend, for tests only: shows that a backend is one module plus one line in
`labtool.backends.BACKENDS`, and that `up`, `status` and `down` then work through the one
provisioning path with nothing else changed.

A toy node is a folder under the lab's own folder. Its transport runs each command with the
real /bin/sh, with the node's absolute paths (/etc, /var, /lib, /run) moved into that folder
and small stand-ins on PATH for what a real node would run: `systemctl` (keeps which units are
active; a started keepalived logs VRRP's start-up line), `sysctl`, `haproxy -v`,
`keepalived --version`, and `curl` (answers the VIP with the page of the first web node whose
httpd runs, once a load balancer runs both HAProxy and keepalived). No daemon runs and nothing
is written outside the lab's folder: it needs neither root nor network, and it is no stand-in
for the lab's behaviour (the netns and Vagrant tests are).
"""

from __future__ import annotations

import re
import shlex
import shutil
from collections.abc import Sequence
from pathlib import Path

from labtool import runner
from labtool.backends.base import Backend, NodeStatus
from labtool.errors import LabtoolError
from labtool.runner import CommandResult
from labtool.spec import roles
from labtool.spec.model import Node
from labtool.state import lab_dir
from labtool.transport.base import Transport

NODE_DIRS = ("etc", "var/log", "var/www/html", "run", "lib/systemd/system", "bin")
_ABSOLUTE = re.compile(r"(?<![\w./+=-])/(etc|var|lib|run)(?=/|\b)")

STAND_INS = {
    "systemctl": """#!/bin/sh
[ "$1" = --quiet ] && shift
verb=$1; [ "$2" = --quiet ] && shift; unit=$2
case "$verb" in
  is-active) [ -f "$TOY_ROOT/run/active/$unit" ] ;;
  start|restart) mkdir -p "$TOY_ROOT/run/active" && touch "$TOY_ROOT/run/active/$unit"
     [ "$unit" = keepalived ] && echo "VRRP_Instance(VI_1) Entering BACKUP STATE" \
         >> "$TOY_ROOT/var/log/keepalived.log"; exit 0 ;;
  stop) rm -f "$TOY_ROOT/run/active/$unit" ;;
  is-enabled) [ -f "$TOY_ROOT/etc/enabled/$unit" ] ;;
  enable) mkdir -p "$TOY_ROOT/etc/enabled" && touch "$TOY_ROOT/etc/enabled/$unit" ;;
  *) echo "toy systemctl: $verb?" >&2; exit 2 ;;
esac
""",
    "sysctl": "#!/bin/sh\nexit 0\n",
    "haproxy": "#!/bin/sh\necho 'HAProxy version 2.6.12-1 2023/12/04'\n",
    "keepalived": "#!/bin/sh\necho 'Keepalived v2.2.7 (01/16,2022)' >&2\n",
    "curl": """#!/bin/sh
lab="$TOY_ROOT/.."
for lb in "$lab"/*/; do
  [ -f "$lb/run/active/haproxy" ] && [ -f "$lb/run/active/keepalived" ] || continue
  for web in "$lab"/*/; do
    [ -f "$web/run/active/apache2" ] && exec cat "$web/var/www/html/index.html"
  done
done
exit 7
""",
    "journalctl": "#!/bin/sh\nexit 1\n",
}


class ToyTransport(Transport):
    def __init__(self, node: str, root: Path) -> None:
        self.node = node
        self.root = root

    def _inside(self, text: str) -> str:
        return _ABSOLUTE.sub(lambda m: f"{self.root}/{m[1]}", text)

    def argv(self, command: Sequence[str]) -> list[str]:
        return ["/bin/sh", "-c", self._inside(shlex.join(command))]

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:  # type: ignore[override]
        return {
            "PATH": f"{self.root}/bin:/usr/bin:/bin",
            "TOY_ROOT": str(self.root),
            "HOSTNAME": self.node,
            **(extra or {}),
        }

    def run(
        self,
        command: Sequence[str] | str,
        *,
        timeout_s: float | None = 60.0,
        input_text: str | None = None,
    ) -> CommandResult:
        text = command if isinstance(command, str) else shlex.join(command)
        return runner.run(
            ["/bin/sh", "-c", self._inside(text)],
            timeout_s=timeout_s,
            input_text=input_text,
            env=self.env(),
        )


class ToyBackend(Backend):
    name = "toy"
    installs_packages = False
    create_label = "toy nodes:"

    def _root(self, node: str) -> Path:
        return lab_dir(self.spec.name) / "toy" / self.spec.node(node).name

    def create(self, nodes: Sequence[Node]) -> None:
        for node in nodes:
            root = self._root(node.name)
            for folder in NODE_DIRS:
                (root / folder).mkdir(parents=True, exist_ok=True)
            (root / "lib/systemd/system/apache2.service").touch()  # "Debian": httpd is apache2
            for name, text in STAND_INS.items():
                (root / "bin" / name).write_text(text)
                (root / "bin" / name).chmod(0o755)
            (root / "power").touch()

    def transport(self, node: str) -> ToyTransport:
        if not self.is_up(node):
            raise LabtoolError(f"{node} is down")
        return ToyTransport(node, self._root(node))

    def is_up(self, node: str) -> bool:
        return (self._root(node) / "power").exists()

    def node_status(self, node: str, addresses: bool = True) -> NodeStatus:
        spec_node = self.spec.node(node)
        active = self._root(node) / "run" / "active"
        status = NodeStatus(node, spec_node.role, str(spec_node.address), self.is_up(node))
        status.daemons = {d: (active / d).exists() for d in roles.daemons(spec_node.role)}
        if addresses and status.up:
            status.addresses = [str(spec_node.address)]
            running = [
                n
                for n in self.spec.lb_start_order()
                if (self._root(n.name) / "run/active/keepalived").exists()
            ]
            holder = running[0] if running else None
            if holder is not None and holder.name == node:
                status.addresses.append(str(self.spec.vip))
        return status

    def power_off(self, node: str) -> None:
        (self._root(node) / "power").unlink(missing_ok=True)
        shutil.rmtree(self._root(node) / "run" / "active", ignore_errors=True)

    def power_on(self, node: str) -> None:
        (self._root(node) / "power").touch()

    def set_link(self, node: str, up: bool) -> None:
        self.spec.node(node)

    def cut_vrrp(self, nodes: list[str], cut: bool) -> bool:
        return False  # (one toy LAN with no VRRP to cut)

    def shell_argv(self, node: str) -> tuple[list[str], dict[str, str]]:
        transport = self.transport(node)
        return ["/bin/sh", "-i"], transport.env()

    def memory_kib(self) -> int:
        return 0

    @classmethod
    def destroy(cls, lab: str) -> int:
        folder = lab_dir(lab)
        nodes = len(list((folder / "toy").iterdir())) if (folder / "toy").is_dir() else 0
        shutil.rmtree(folder, ignore_errors=True)
        return nodes
