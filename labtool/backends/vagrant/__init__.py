"""The Vagrant backend: the lab as the seed describes it, VMs from the lab's Vagrantfile.

Who does what: Vagrantfile.j2 (vagrantfile.py beside this one) says what the machines are;
python-vagrant runs `vagrant validate/up/status/halt/destroy/ssh-config` in the lab's folder;
each machine is reached with the SSH transport, from its own `vagrant ssh-config`.
Provisioning is not here (labtool.provision.converge does it through those transports). The
lab's client is one more small VM, for the probes. A lost node is `vagrant halt --force` (on
libvirt, `virsh destroy`: see power_off); its cable cut is its eth1 down.
"""

from __future__ import annotations

import contextlib
import shlex
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from labtool import runner
from labtool.backends.base import Backend, NodeStatus
from labtool.backends.vagrant.tools import (
    LIBVIRT_URI,
    STATES_TTL_S,
    VAGRANT_DIR,
    destroy_lab,
    split_ssh_config,
    stream_lines,
    vagrant_client,
    vagrant_env,
    vagrant_said,
)
from labtool.backends.vagrant.vagrantfile import VagrantOptions, render
from labtool.doctor import Check
from labtool.errors import LabtoolError
from labtool.i18n import Msg
from labtool.spec import roles
from labtool.spec.model import LabSpec, Node
from labtool.state import LabState, lab_dir
from labtool.transport.ssh import SshTarget, SshTransport


class VagrantBackend(Backend):
    name = "vagrant"
    # VMs answer the first requests after a takeover later than namespaces do (under software
    # emulation, a client outage 0.42 s over the netns bound was measured on lose-haproxy1).
    timing_margin_s = 1.0
    shares_clock = False
    create_label = "vagrant up:"
    poll_s = 5.0  # an SSH round trip a node: each one loads a VM under emulation
    # a `show stat` parsed ten times a second loads an emulated VM enough to time out the
    # lab's track script (killall -0, 1 s): twice a second (HAProxy's checks are 2 s apart)
    stats_interval_s = 0.5
    AGENT_DIR = "/var/tmp/labtool-agent"

    def __init__(self, spec: LabSpec, state: LabState) -> None:
        super().__init__(spec, state)
        self.root = lab_dir(spec.name) / VAGRANT_DIR
        options = state.options or {}
        self.options = VagrantOptions(
            box=options.get("box", spec.box), provider=options.get("provider", "virtualbox")
        )
        self._transports: dict[str, SshTransport] = {}
        self._states: dict[str, tuple[str, float]] = {}  # node -> (state, when)
        self._agent_copied: set[str] = set()
        self._ssh_configs: dict[str, str] = {}  # node -> its `vagrant ssh-config` text
        self._ssh_configs_read = False
        self._ssh_lock = threading.Lock()

    @classmethod
    def check_machine(cls, options: Mapping[str, str] | None = None) -> None:
        """vagrant and the provider, as `labtool doctor --backend vagrant` checks them."""
        from labtool.backends.vagrant.doctor import require

        require((options or {}).get("provider", "virtualbox"))

    @classmethod
    def doctor(cls, spec: LabSpec, options: Mapping[str, str]) -> list[Check]:
        """vagrant, the provider, the student's own machine, the lab's host-only range."""
        from labtool.backends.vagrant.doctor import vagrant_checks

        return vagrant_checks(spec, options.get("provider", "virtualbox"))

    # --- vagrant itself ------------------------------------------------------------------

    def _vagrant(self) -> Any:
        return vagrant_client(self.root)

    def _stream(self, lines: Iterator[str]) -> None:
        stream_lines(lines, self.on_line)

    def machines(self) -> list[str]:
        return [n.name for n in self.spec.nodes]

    def create(self, nodes: Sequence[Node]) -> None:
        """Render and validate the Vagrantfile, then `vagrant up` these machines (progress
        streamed per machine). Files and daemons are provisioning's job, not this one."""
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "Vagrantfile").write_text(render(self.spec, self.options, include_client=True))
        checked = runner.run(
            ["vagrant", "validate"], env=vagrant_env(), timeout_s=300, cwd=self.root
        )
        if not checked.succeeded:
            raise LabtoolError(
                Msg("the rendered Vagrantfile is invalid: {why}", why=checked.describe_failure())
            )
        if tuple(nodes) == self.spec.nodes:
            self._stream(self._vagrant().up(provider=self.options.provider, stream_output=True))
            return
        for node in nodes:
            self._stream(
                self._vagrant().up(
                    vm_name=node.name, provider=self.options.provider, stream_output=True
                )
            )

    def target(self, node: str) -> SshTarget:
        """The machine's SSH settings, from `vagrant ssh-config`: every machine's at once the
        first time (one Ruby start instead of one per machine; it fails if one is not
        running), then the one machine's; a machine powered on again is asked again."""
        with self._ssh_lock:  # probes start on every node at once
            if node not in self._ssh_configs and not self._ssh_configs_read:
                self._ssh_configs_read = True
                with contextlib.suppress(subprocess.CalledProcessError):
                    self._ssh_configs.update(split_ssh_config(self._vagrant().ssh_config()))
        if node not in self._ssh_configs:
            self._ssh_configs[node] = self._vagrant().ssh_config(vm_name=node)
        return SshTarget.from_ssh_config(self._ssh_configs[node], node, user="vagrant")

    def transport(self, node: str) -> SshTransport:
        self.spec.node(node)
        if node not in self._transports:
            self._transports[node] = SshTransport(node, self.target(node))
        return self._transports[node]

    def machine_state(self, node: str) -> str:
        """Whether the machine runs, kept 2 s. On libvirt `virsh domstate` of its domain
        (a few ms); elsewhere `vagrant status NODE`, which starts Ruby and costs a second or
        more, and one cluster check asks about a node several times."""
        seen = self._states.get(node)
        if seen is None or time.monotonic() - seen[1] > STATES_TTL_S:
            seen = (self._virsh_state(node) or self._vagrant_state(node), time.monotonic())
            self._states[node] = seen
        return seen[0]

    def _vagrant_state(self, node: str) -> str:
        try:
            statuses = self._vagrant().status(vm_name=node)
        except subprocess.CalledProcessError as exc:
            raise LabtoolError(
                Msg(
                    "vagrant cannot say how {node} is: {vagrant_said}. Fix: labtool doctor "
                    "--backend vagrant; labtool down --name {name} removes the lab",
                    node=node,
                    vagrant_said=vagrant_said(exc),
                    name=self.spec.name,
                )
            ) from None
        return str(statuses[0].state) if statuses else "unknown"

    def _virsh_state(self, node: str) -> str | None:
        """`running`, `shutoff`... as vagrant-libvirt names them; None where virsh cannot say."""
        domain = self.libvirt_domain(node)
        if domain is None or shutil.which("virsh") is None:
            return None
        done = runner.run(["virsh", "-c", LIBVIRT_URI, "domstate", domain], timeout_s=30)
        if not done.succeeded:
            return None
        state = done.stdout.strip().split("\n")[0].strip()
        return {"shut off": "shutoff", "in shutdown": "shutdown"}.get(state, state)

    def is_up(self, node: str) -> bool:
        """The machine's state only (no SSH into it): what a probe or a wait asks often."""
        self.spec.node(node)
        return self.machine_state(node) == "running"

    def node_status(self, node: str, addresses: bool = True) -> NodeStatus:
        """The machine's state, then its daemons (and addresses) in one SSH round trip."""
        spec_node = self.spec.node(node)
        status = NodeStatus(
            node,
            spec_node.role,
            str(spec_node.address),
            up=False,
            daemons=dict.fromkeys(roles.daemons(spec_node.role), False),
        )
        if self.machine_state(node) != "running":
            return status
        status.up = True
        checks = [
            f"{service.unit_script()}; if systemctl is-active --quiet $unit; then "
            f"echo daemon {service.name} up; fi"
            for service in roles.services(spec_node.role)
        ]
        if addresses:
            checks.append(f"ip -4 -o addr show dev {shlex.quote(self.spec.nic)}")
        out = self.transport(node).run("; ".join(checks) or "true").stdout
        for words in map(str.split, out.splitlines()):
            if words[:1] == ["daemon"] and len(words) == 3:
                status.daemons[words[1]] = True
            elif "inet" in words:
                status.addresses.append(words[words.index("inet") + 1].split("/")[0])
        return status

    def power_off(self, node: str) -> None:
        """Pull the power: the machine stops at once, no shutdown runs inside it.

        On libvirt this is `virsh destroy` of the machine's domain. vagrant-libvirt before
        0.12 (Debian 12 ships 0.11.2) ignores `halt --force`: it sends ACPI and waits for a
        graceful shutdown, which stops keepalived cleanly (a priority-0 advert) instead of
        losing the node (vagrant-libvirt issue #1765, fixed by pull request #1766)."""
        self._drop(node)
        domain = self.libvirt_domain(node)
        if domain is not None and shutil.which("virsh") is not None:
            done = runner.run(["virsh", "-c", LIBVIRT_URI, "destroy", domain], timeout_s=60)
            if not done.succeeded:
                raise LabtoolError(
                    Msg("could not power {node} off: {why}", node=node, why=done.describe_failure())
                )
        else:
            self._vagrant().halt(vm_name=node, force=True)
        self._states.pop(node, None)

    def libvirt_domain(self, node: str) -> str | None:
        """The libvirt domain's UUID of a machine Vagrant made, from its .vagrant folder."""
        if self.options.provider != "libvirt":
            return None
        found = self.root / ".vagrant" / "machines" / node / "libvirt" / "id"
        try:
            domain = found.read_text().strip()
        except OSError:
            return None
        return domain or None

    def power_on(self, node: str) -> None:
        self._drop(node)
        self._stream(
            self._vagrant().up(vm_name=node, provider=self.options.provider, stream_output=True)
        )
        self._states.pop(node, None)

    def ssh_transport(self, node: str) -> SshTransport:
        return self.transport(node)  # a machine is reached over SSH anyway

    def agent_program(self, node: str) -> list[str]:
        """A copy of the probe agent's files on the machine, run by its own python3 (copied
        once per machine and per labtool process; a power cycle keeps /var/tmp)."""
        if node not in self._agent_copied:
            from labtool.probes import agent

            transport = self.transport(node)
            for module in agent.AGENT_MODULES:
                source = Path(str(agent.__file__)).with_name(f"{module}.py")
                transport.put(f"{self.AGENT_DIR}/{source.name}", source.read_text(), 0o755)
            self._agent_copied.add(node)
        return ["python3", "-S", f"{self.AGENT_DIR}/agent.py"]

    def set_link(self, node: str, up: bool) -> None:
        self.transport(node).run(["ip", "link", "set", self.spec.nic, "up" if up else "down"])

    def cut_vrrp(self, nodes: list[str], cut: bool) -> bool:
        """No shared bridge to filter on VMs: each load balancer drops the others' VRRP."""
        changed = False
        for node in nodes:
            others = [str(self.spec.node(n).address) for n in nodes if n != node]
            for address in others:
                rule = ["INPUT", "-s", address, "-p", "vrrp", "-j", "DROP"]
                done = self.transport(node).run(["iptables", "-I" if cut else "-D", *rule])
                changed = changed or done.succeeded
        return changed

    def shell_argv(self, node: str) -> tuple[list[str], dict[str, str]]:
        self.spec.node(node)
        return ["vagrant", "ssh", node], {**vagrant_env(), "VAGRANT_CWD": str(self.root)}

    def memory_kib(self) -> int:
        return 0  # the VMs' memory is the hypervisor's to report

    def _drop(self, node: str) -> None:
        self._states.pop(node, None)  # the machine's state is changing: ask again
        self._ssh_configs.pop(node, None)  # (its address may change with its next boot)
        transport = self._transports.pop(node, None)
        if transport is not None:
            transport.close()

    @classmethod
    def destroy(cls, lab: str) -> int:
        return destroy_lab(lab)
