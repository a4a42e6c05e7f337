"""The netns backend: the lab on this machine, each node its own Linux namespaces."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from labtool import doctor, ids
from labtool.backends.base import Backend, NodeStatus
from labtool.backends.base_types import NodeHere
from labtool.backends.netns import backend as impl
from labtool.backends.netns import (
    bounds,
    commands,
    keep,
    layout,
    looks,
    neighbours,
    procs,
    ssh,
    teardown,
)
from labtool.backends.netns.commands import LAN_NODE
from labtool.backends.netns.neighbours import neighbours_check
from labtool.doctor import Check
from labtool.errors import LabtoolError
from labtool.i18n import Msg
from labtool.ids import IdMap
from labtool.spec.model import LabSpec, Node
from labtool.state import LabState, id_lock, known_labs, load_quietly
from labtool.transport.nsenter import NsenterTransport, nsenter_argv
from labtool.transport.ssh import SshTransport

_ALLOCATING = threading.Lock()  # one block of ids per lab, among this process's threads


def _running_states(other_than: str) -> list[LabState]:
    """This user's other labs on this backend (their nodes hold neighbour entries)."""
    found = [load_quietly(lab) for lab in known_labs() if lab != other_than]
    return [s for s in found if s is not None and s.backend == "netns"]


class NetnsBackend(Backend):
    name = "netns"
    # Root or not: a normal user's lab lives in a user namespace mapping the user's ids.
    needs_root = False
    installs_packages = False  # the nodes run this machine's installed daemons
    create_label = "creating nodes:"

    @classmethod
    def check_machine(cls, options: Mapping[str, str] | None = None) -> None:
        doctor.require()

    @classmethod
    def make_room(cls, spec: LabSpec, labs: int = 1) -> list[str]:
        """Room in the kernel's neighbour table, which every lab of the machine shares."""
        running = sum(len(s.lab.get("nodes", [])) for s in _running_states(spec.name))
        return neighbours.make_room(len(spec.nodes) * labs, running, os.geteuid() == 0)

    @classmethod
    def split_brain_cause(cls) -> str | None:
        check = neighbours_check()
        return None if check.ok else f"{check.detail}. Fix: {check.fix}"

    @classmethod
    def doctor(cls, spec: LabSpec, options: Mapping[str, str]) -> list[Check]:
        return [*doctor.all_checks(), neighbours_check()]

    can_confine = True

    @classmethod
    def running_labs(cls) -> set[str]:
        # (cgroups: root's alone makes them; a user would see root's grading labs there)
        return procs.labs_running() | (bounds.leftover_labs() if os.geteuid() == 0 else set())

    @classmethod
    def other_owners(cls, lab: str) -> set[int]:
        return {owner for name, owner in procs.labs_of_all() if name == lab} - {os.geteuid()}

    @classmethod
    def leftovers(cls, lab: str) -> bool:
        return bool(procs.lab_marked(lab)) or (os.geteuid() == 0 and bounds.exists(lab))

    def build_batches(self, first: Node) -> list[tuple[Node, ...]]:
        """The first MASTER alone (with the LAN), then every other node at once. A confined
        lab (someone's own configs, graded) all at once, as the lab's steps do: its web nodes
        serve before any HAProxy starts checking them (one started before them may mark a
        server DOWN for good on a busy machine, and be graded for it)."""
        if self.confined:
            return [tuple(self.spec.nodes)]
        return [(first,), tuple(n for n in self.spec.nodes if n != first)]

    @property
    def confined(self) -> bool:
        """A lab of someone else's configs (`labtool grade --run`): its nodes see this
        machine's files read-only, and its processes are bounded (netns/bounds.py)."""
        return self.state.options.get("confined") == "1"

    def id_map(self) -> IdMap:
        """The lab's ids: root's lab keeps the block it was given (in its state); a user's
        are the user's own and range."""
        if os.geteuid() != 0:
            return ids.for_user(os.geteuid(), os.getegid())
        if "id_base" not in self.state.options:
            with _ALLOCATING, id_lock():  # (grading labs are built side by side)
                used = {
                    int(other.options["id_base"])
                    for lab in known_labs()
                    if lab != self.spec.name
                    and (other := load_quietly(lab)) is not None
                    and "id_base" in other.options
                }
                slot = ids.free_slot(used)
                self.state.options.update(ids.for_root(slot).options())
                self.state.save()  # (its block, before another lab looks)
        return ids.for_root((int(self.state.options["id_base"]) - ids.ROOT_ID_BASE) // ids.BLOCK)

    def _userns_pid(self) -> int:
        """A live process of the lab's user namespace (its holder, else the LAN's)."""
        for name in (impl.USERNS_NODE, LAN_NODE):
            holder = self.state.holders.get(name)
            if holder is not None and procs.alive(holder.pid, holder.start_ticks):
                return holder.pid
        raise LabtoolError(
            Msg(
                "lab '{name}': its user namespace is gone. Fix: labtool down --name "
                "{name}, then labtool up",
                name=self.spec.name,
            )
        )

    def _wrap(self, argv: list[str]) -> list[str]:
        """A process of the lab, started within its bounds (a confined lab's only)."""
        if not self.confined:
            return argv
        procs_files = [p for p in self.state.options.get("cgroups", "").split(",") if p]
        return bounds.join_argv(procs_files, bounds.Bounds(), argv)

    def create(self, nodes: Sequence[Node]) -> None:
        batch = tuple(nodes)
        id_map = self.id_map()
        # (the nodes' files, made here, go to the node's root where this process is not it)
        owner = None if id_map.root_uid == os.geteuid() else (id_map.root_uid, id_map.root_gid)
        first = LAN_NODE not in self.state.holders
        if first and self.confined:  # (its cgroups; its nodes' files on a bounded disk)
            self.state.options["cgroups"] = ",".join(bounds.confine(self.spec.name))
        for node in batch:
            layout.layout_node(self.spec.name, node, bare=self.state.bare, owner=owner)
        if first:
            self.state.holders[impl.USERNS_NODE] = impl.start_userns(
                self.spec.name, id_map, self._wrap
            )
            self.state.save()
        self.state.holders.update(
            impl.start_holders(
                self.spec, batch, self._userns_pid(), id_map, with_lan=first, wrap=self._wrap
            )
        )
        self.state.save()
        impl.wire(self.spec, self.state.holders, batch, make_bridge=first)

    def power_off(self, node: str) -> None:
        holder = self.state.holders.get(self.spec.node(node).name)
        if holder is not None:
            impl.power_off(self.spec.name, node, holder)

    def power_on(self, node: str) -> None:
        target = self.spec.node(node)
        if self.node_status(node, addresses=False).up:
            return
        # Its old cable goes with its old network namespace, which the kernel frees a moment
        # after its last process (later on a busy machine): not to be found there by the new.
        impl.lan_run(
            self.spec.name,
            self.state.holders,
            lambda lan: commands.unplug_argv(lan, target.name),
        )
        self.state.holders.update(
            impl.start_holders(
                self.spec, (target,), self._userns_pid(), self.id_map(), wrap=self._wrap
            )
        )
        self.state.save()
        impl.wire(self.spec, self.state.holders, (target,), make_bridge=False)

    def set_link(self, node: str, up: bool) -> None:
        self.spec.node(node)
        impl.lan_run(
            self.spec.name, self.state.holders, lambda lan: commands.link_state_argv(lan, node, up)
        )

    def cut_vrrp(self, nodes: list[str], cut: bool) -> bool:
        holders = self.state.holders
        if cut:
            impl.lan_run(
                self.spec.name,
                holders,
                lambda lan: commands.nft_argv(lan, "-f", "-"),
                input_text=commands.vrrp_cut_ruleset(nodes),
            )
            return True
        try:
            impl.lan_run(
                self.spec.name,
                holders,
                lambda lan: commands.nft_argv(
                    lan, "delete", "table", "bridge", commands.VRRP_CUT_TABLE
                ),
            )
        except LabtoolError:
            return False  # (no cut to remove)
        return True

    def ssh_transport(self, node: str) -> SshTransport:
        """A real SSH connection to the node's own sshd (for testing the SSH path here)."""
        pid = self.transport(node).holder_pid
        return SshTransport(node, ssh.ssh_target_for(self.spec.name, node, pid))

    def agent_program(self, node: str) -> list[str]:
        """The agent's files laid in the node's bin (layout), run by a python3 it can read
        (-S: the agent is stdlib only; a site's .pth files would cost memory and time)."""
        return [layout.node_python(), "-S", f"{commands.AGENT_DIR}/agent.py"]

    def watch_from_here(self, node: str) -> NodeHere | None:
        """Its holder's network namespace and a pidfd of it (readable once it is gone), if
        the node is up."""
        holder = self.state.holders.get(self.spec.node(node).name)
        if holder is None:
            return None
        try:
            gone = os.pidfd_open(holder.pid)
        except OSError:  # gone already, or a kernel older than 5.3
            return None
        if not procs.alive(holder.pid, holder.start_ticks):  # (its PID, reused)
            os.close(gone)
            return None
        return NodeHere(Path(f"/proc/{holder.pid}/ns/net"), gone)

    def local_path(self, node: str, path: str) -> Path:
        """Where a file of the node's own folders is, from here (e.g. a stats socket)."""
        return layout.host_path(self.spec.name, node, path)

    def is_up(self, node: str) -> bool:
        """Its holder process is alive (no scan of the node's processes)."""
        holder = self.state.holders.get(self.spec.node(node).name)
        return holder is not None and procs.alive(holder.pid, holder.start_ticks)

    def node_macs(self) -> dict[str, str]:
        """Fixed by the node's address (commands.node_mac): known for a node that is down."""
        return {n.name: commands.node_mac(n) for n in self.spec.nodes}

    def transport(self, node: str) -> NsenterTransport:
        if node != LAN_NODE:
            self.spec.node(node)  # a clear error for an unknown node
        holder = self.state.holders.get(node)
        if holder is None:
            raise LabtoolError(
                Msg("{node} was never started in lab '{name}'", node=node, name=self.spec.name)
            )
        return NsenterTransport(
            self.spec.name,
            node,
            impl.checked_pid(self.spec.name, node, holder),
            wrap=self._wrap if self.confined else None,
        )

    def node_status(self, node: str, addresses: bool = True) -> NodeStatus:
        return looks.node_status(
            self.spec, self.spec.node(node), self.state.holders.get(node), addresses
        )

    def shell_argv(self, node: str) -> tuple[list[str], dict[str, str]]:
        transport = self.transport(node)
        env = transport.env({"PS1": f"[root@{node} \\W]# "})
        argv = nsenter_argv(transport.holder_pid, ["/bin/bash", "--norc", "-i"], workdir="/root")
        return (transport.wrap(argv) if transport.wrap else argv), env  # (a confined lab's bounds)

    def limits_hit(self) -> list[str]:
        return bounds.hit_limits(self.spec.name) if self.confined else []

    def peak_memory_kib(self) -> int | None:
        return bounds.memory_peak_kib(self.spec.name) if self.confined else None

    def keep_work(self, folder: Path) -> int:
        return keep.save(self.state, folder)

    def give_back_work(self, folder: Path) -> int:
        return keep.give_back(self.spec, self.state, folder)

    def memory_kib(self) -> int:
        return looks.memory_kib(self.spec.name, self.state.holders)

    def commands_left(self) -> list[str]:
        return sorted(procs.commands_left(self.spec.name).values())

    @classmethod
    def destroy(cls, lab: str) -> int:
        return teardown.destroy(lab)
