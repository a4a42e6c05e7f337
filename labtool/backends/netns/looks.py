"""A running netns lab read, looking at its own processes only (what it costs does not grow
with the labs beside it): each node's daemons, from the /proc the node mounts for its own PID
namespace; its NIC's addresses; the memory of all its processes."""

from __future__ import annotations

import json
import os

from labtool.backends.base_types import NodeStatus
from labtool.backends.netns import procs
from labtool.backends.netns.teardown import lab_pids
from labtool.spec.model import LabSpec, Node
from labtool.spec.roles import daemons
from labtool.state import Holder
from labtool.transport.nsenter import NsenterTransport


def node_addresses(lab: str, node: str, holder: Holder, nic: str) -> list[str] | None:
    """IPv4 addresses on the node's NIC (None if the node is down)."""
    if not procs.alive(holder.pid, holder.start_ticks):
        return None
    result = NsenterTransport(lab, node, holder.pid).run(
        ["ip", "-j", "-4", "addr", "show", "dev", nic], timeout_s=10
    )
    if not result.succeeded:
        return []
    try:
        entries = json.loads(result.stdout or "[]")
    except ValueError:
        return []
    return [info["local"] for entry in entries for info in entry.get("addr_info", [])]


def node_status(
    spec: LabSpec, node: Node, holder: Holder | None, addresses: bool = True
) -> NodeStatus:
    status = NodeStatus(node.name, node.role, str(node.address), up=False)
    expected = daemons(node.role)
    status.daemons = dict.fromkeys(expected, False)
    if holder is None or not procs.alive(holder.pid, holder.start_ticks):
        return status
    status.up = True
    names = set(_in_node(holder).values())
    status.daemons = {daemon: daemon in names for daemon in expected}
    if addresses:  # the one part that costs a process
        status.addresses = node_addresses(spec.name, node.name, holder, spec.nic) or []
    return status


def _in_node(holder: Holder) -> dict[int, str]:
    """PID -> command name of every process in the node: from its own /proc (what it costs
    does not grow with the labs beside it), else by a look at every process's namespace."""
    found = procs.node_processes(holder.pid)
    if found is not None:
        return found
    pidns = procs.ns_inode(holder.pid, "pid_for_children")
    return procs.processes_in_pidns(pidns) if pidns else {}


def memory_kib(lab: str, holders: dict[str, Holder]) -> int:
    """PSS of every process of the lab: holders and all that runs inside its nodes, each node's
    read from its own /proc (the user namespace's and the LAN's holders make no PID namespace:
    their children's is this machine's); where a node's /proc cannot be read, every process
    marked with the lab and each PID namespace's, looked for among all."""
    live = {h.pid for h in holders.values() if procs.alive(h.pid, h.start_ticks)}
    total = procs.pss_kib(sorted(live))
    ours = procs.ns_inode(os.getpid(), "pid")
    for pid in live:
        pidns = procs.ns_inode(pid, "pid_for_children")
        if not pidns or pidns == ours:
            continue
        base = procs.node_proc(pid)
        if base is None:
            return _memory_by_scan(lab, holders)
        total += procs.pss_kib(sorted(procs.processes_at(base) or {}), base)
    return total


def _memory_by_scan(lab: str, holders: dict[str, Holder]) -> int:
    pids = set(lab_pids(lab))
    ours = procs.ns_inode(os.getpid(), "pid")
    for holder in holders.values():
        pidns = procs.ns_inode(holder.pid, "pid_for_children")
        if pidns and pidns != ours:
            pids.update(procs.processes_in_pidns(pidns))
    return procs.pss_kib(sorted(pids))
