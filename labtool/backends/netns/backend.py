"""The netns backend (layer 2): nodes as namespaces held by processes, a LAN bridge, daemons.

Who does what: `commands` builds argv and scripts; this module lays out each node's folder,
starts the holders, wires the LAN, and reports on and removes a lab. It hands out an
`NsenterTransport` per node and runs no lab logic (what to start, in which order) itself.
Everything is held by processes marked LABTOOL_LAB=<lab>: killing them and removing the lab's
folder removes all a lab made, even after labtool was killed mid-way.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import time
from collections.abc import Callable

from labtool import runner
from labtool.backends.netns import commands, procs, userns
from labtool.backends.netns.layout import node_binds, node_hostname
from labtool.backends.netns.teardown import KILL_TIMEOUT_S, reap_if_own_children
from labtool.errors import EnvironmentProblem, LabtoolError
from labtool.i18n import Msg
from labtool.ids import IdMap
from labtool.parallel import for_each_node
from labtool.spec.model import LabSpec, Node
from labtool.state import Holder, lab_dir
from labtool.transport.nsenter import NsenterTransport, node_env

HOLDER_READY_TIMEOUT_S = 10.0
USERNS_NODE = "userns"  # the holder of the lab's user namespace, beside the LAN's and nodes'


Wrap = Callable[[list[str]], list[str]]


def start_userns(lab: str, ids: IdMap, wrap: Wrap | None = None) -> Holder:
    """The holder of the lab's user namespace, its ids mapped: every other namespace of the
    lab is made inside it. Marked with the lab, in a session of its own, as every holder."""
    holder = userns.start(ids, env=node_env(lab, USERNS_NODE), wrap=wrap)
    ticks = procs.start_ticks(holder.pid)
    if ticks is None:
        raise LabtoolError(Msg("lab '{lab}': its user namespace's holder ended at once", lab=lab))
    return Holder(pid=holder.pid, start_ticks=ticks)


def _start_holders(
    lab: str,
    scripts: dict[str, tuple[str, bool]],
    userns_pid: int,
    ids: IdMap,
    wrap: Wrap | None = None,
) -> dict[str, Holder]:
    """Start one holder per entry (name -> (script, is a node)), all at once, inside the lab's
    user namespace; give each node's own user namespace the lab's `ids` first ids; wait for
    each to say ready. Holders live in their own session: Ctrl-C in the terminal does not
    reach them. `wrap` starts them within the lab's bounds."""
    log = (lab_dir(lab) / "holders.log").open("a")
    started: dict[str, subprocess.Popen[str]] = {}
    try:
        for name, (script, is_node) in scripts.items():
            argv = commands.holder_argv(script, userns_pid, node_namespaces=is_node)
            started[name] = runner.spawn(
                wrap(argv) if wrap else argv,
                env=node_env(lab, name),
                stderr=log,
                new_session=True,
                stdin_pipe=is_node,
            )
    finally:
        log.close()
    deadline = time.monotonic() + HOLDER_READY_TIMEOUT_S
    nodes = {n: p for n, p in started.items() if scripts[n][1]}
    try:
        _map_node_users(lab, nodes, userns_pid, ids, deadline)
    except LabtoolError as exc:
        raise LabtoolError(exc.message + _said(lab)) from None
    holders: dict[str, Holder] = {}
    for name, proc in started.items():
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
        line = proc.stdout.readline() if ready else ""
        proc.stdout.close()
        ticks = procs.start_ticks(proc.pid)
        if line.strip() != "ready" or ticks is None:
            raise LabtoolError(
                Msg("{name}: its namespaces could not be set up{said}", name=name, said=_said(lab))
            )
        holders[name] = Holder(pid=proc.pid, start_ticks=ticks)
    return holders


def _said(lab: str) -> str:
    detail = (lab_dir(lab) / "holders.log").read_text().strip().splitlines()[-3:]
    return ": " + " / ".join(detail) if detail else ""


def _map_node_users(
    lab: str,
    nodes: dict[str, subprocess.Popen[str]],
    userns_pid: int,
    ids: IdMap,
    deadline: float,
) -> None:
    """Once each node holder is in its own user namespace (its mounts laid), map its ids onto
    the lab's (as the lab's root, in one command), then tell it to go on."""
    before = (None, procs.ns_inode(os.getpid(), "user"), procs.ns_inode(userns_pid, "user"))
    waiting = dict(nodes)
    while waiting:
        for name, proc in list(waiting.items()):
            if procs.ns_inode(proc.pid, "user") not in before:
                del waiting[name]
            elif proc.poll() is not None:
                raise LabtoolError(Msg("{name}: its mounts could not be laid", name=name))
        if waiting and time.monotonic() > deadline:
            raise LabtoolError(Msg("{join}: its mounts took too long", join=", ".join(waiting)))
        time.sleep(0.002)
    if not nodes:
        return
    mapped = runner.run(
        userns.enter_argv(
            userns_pid,
            [
                "/bin/sh",
                "-c",
                commands.node_userns_map([p.pid for p in nodes.values()], ids.uids, ids.gids),
            ],
        ),
        env=node_env(lab, USERNS_NODE),
    )
    if not mapped.succeeded:
        raise LabtoolError(Msg("cannot map the nodes' ids: {why}", why=mapped.describe_failure()))
    for proc in nodes.values():
        assert proc.stdin is not None
        with contextlib.suppress(BrokenPipeError):  # (one that died says so: no `ready`)
            proc.stdin.write("go\n")
            proc.stdin.close()


def start_holders(
    spec: LabSpec,
    nodes: tuple[Node, ...],
    userns_pid: int,
    ids: IdMap,
    *,
    with_lan: bool = False,
    wrap: Wrap | None = None,
) -> dict[str, Holder]:
    """Holders for these nodes (and the LAN's, first, if asked); a node sees this machine's
    files read-only apart from its own folders."""
    scripts: dict[str, tuple[str, bool]] = {}
    if with_lan:
        scripts[commands.LAN_NODE] = (commands.lan_script(), False)
    for node in nodes:
        binds = node_binds(spec.name, node.name)
        hostname = node_hostname(spec.name, node.name)
        scripts[node.name] = (commands.holder_script(hostname, binds), True)
    return _start_holders(spec.name, scripts, userns_pid, ids, wrap)


def checked_pid(lab: str, name: str, holder: Holder) -> int:
    """The holder's PID, once sure it is still that holder and not the root namespace."""
    if not procs.alive(holder.pid, holder.start_ticks):
        raise LabtoolError(
            Msg(
                "{name} is down (its namespaces are gone). Fix: 'labtool down --name "
                "{lab}' then 'labtool up'",
                name=name,
                lab=lab,
            )
        )
    if procs.ns_inode(holder.pid, "net") == procs.ns_inode(os.getpid(), "net"):
        raise EnvironmentProblem(
            Msg(
                "{name}: its holder shares the root network namespace; refusing to touch it",
                name=name,
            )
        )
    return holder.pid


def wire(
    spec: LabSpec, holders: dict[str, Holder], nodes: tuple[Node, ...], *, make_bridge: bool
) -> None:
    """Plug nodes into the LAN (after creating its bridge, if asked), then give each its
    addresses and the net.* sysctls of its /etc/sysctl.conf, as at a boot (nodes in
    parallel)."""
    lan = checked_pid(spec.name, commands.LAN_NODE, holders[commands.LAN_NODE])
    batch = commands.bridge_batch() if make_bridge else ""
    pids = {n.name: checked_pid(spec.name, n.name, holders[n.name]) for n in nodes}
    batch += "".join(commands.link_batch(spec, n, pids[n.name]) for n in nodes)
    # Network namespace only: `netns PID` names node holders by their root-namespace PIDs.
    result = runner.run(
        commands.lan_argv(lan), input_text=batch, env=node_env(spec.name, commands.LAN_NODE)
    )
    if not result.succeeded:
        raise LabtoolError(Msg("cannot build the lab LAN: {why}", why=result.describe_failure()))

    def configure(node: Node) -> None:
        script = commands.node_net_script(spec, node)
        outcome = NsenterTransport(spec.name, node.name, pids[node.name]).run(script)
        if not outcome.succeeded:
            raise LabtoolError(
                Msg(
                    "{name}: cannot configure {nic}: {why}",
                    name=node.name,
                    nic=spec.nic,
                    why=outcome.describe_failure(),
                )
            )

    for_each_node(nodes, configure)


def power_off(lab: str, node: str, holder: Holder) -> None:
    """Pull the plug: every process in the node dies at once (SIGKILL to its holder, whose PID 1
    follows), its namespaces go, and with them its end of the cable: the link is down."""
    if not procs.alive(holder.pid, holder.start_ticks):
        return
    pidns = procs.ns_inode(holder.pid, "pid_for_children")
    with contextlib.suppress(ProcessLookupError):
        os.kill(holder.pid, signal.SIGKILL)
    deadline = time.monotonic() + KILL_TIMEOUT_S
    while time.monotonic() < deadline:
        reap_if_own_children([holder.pid])
        inside = procs.processes_in_pidns(pidns) if pidns else {}
        if not procs.alive(holder.pid, holder.start_ticks) and not inside:
            return
        time.sleep(0.005)
    raise LabtoolError(
        Msg("{node}: its processes did not die within {s:.0f} s", node=node, s=KILL_TIMEOUT_S)
    )


def lan_run(
    lab: str, holders: dict[str, Holder], argv_for: object, input_text: str | None = None
) -> None:
    """Run a command in the LAN namespace (argv_for(lan_pid) builds it)."""
    assert callable(argv_for)
    lan = checked_pid(lab, commands.LAN_NODE, holders[commands.LAN_NODE])
    result = runner.run(argv_for(lan), input_text=input_text, env=node_env(lab, commands.LAN_NODE))
    if not result.succeeded:
        raise LabtoolError(Msg("LAN: {why}", why=result.describe_failure()))
