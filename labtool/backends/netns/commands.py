"""Pure builders of the commands that make a netns lab; nothing here runs anything.

Nodes hold their namespaces: one `unshare` per node, whose child (tini, PID 1 of the node)
reaps the node's orphans so that `killall -0 haproxy` never mistakes a zombie for a daemon.
Every namespace of a lab is made inside the lab's user namespace (netns/userns.py): a node's
root is nobody on this machine, and every command entering a node enters that one too.
Links connect nodes: veth pairs made inside the LAN namespace with their node end created
straight in the node, so no lab interface, address or route ever exists in the root namespace.
"""

from __future__ import annotations

import shlex

from labtool.spec.model import LabSpec, Node

Ranges = tuple[tuple[int, int, int], ...]  # (inside, outside, count) lines of a user namespace
LAN_NODE = "lan"  # name of the LAN holder, beside the nodes
BRIDGE = "br0"

# Folders each node gets for itself (bind mounts of the lab's folder, seen only in the node).
NODE_PRIVATE_DIRS = (
    "/etc/keepalived",
    "/etc/haproxy",
    "/var/www/html",
    "/var/lib/haproxy",  # HAProxy's chroot and the lab's stats socket
    "/run",
    "/var/log",
    "/etc/systemd/system",  # the units enabled on the node (its systemctl's links)
    "/root",  # root's home on the node (this machine's is not the node's root's to enter)
)
# Files each node gets for itself (its own sysctl -p too; its /etc/shadow holds no password,
# this machine's is not the node's to read).
NODE_PRIVATE_FILES = ("/etc/hosts", "/etc/hostname", "/etc/sysctl.conf", "/etc/shadow")
SYSTEMCTL_PATHS = ("/usr/bin/systemctl",)  # replaced by the node's own systemctl, if present
LOCAL_SBIN = "/usr/local/sbin"  # first on root's PATH: the node's systemctl is found there too
# A node sees every other folder of this machine read-only, and gets its own of these, writable
# by all as on a machine, so that nothing it writes lands on this machine.
SCRATCH_DIRS = ("/tmp", "/var/tmp", "/dev/shm")
AGENT_DIR = "/usr/local/sbin/.labtool-agent"  # the probe agent's files, in the node's bin


def holder_argv(script: str, userns_pid: int, *, node_namespaces: bool = True) -> list[str]:
    """argv of the process that holds a node's namespaces (or the LAN's: network only), made
    as the root of the lab's user namespace (held by `userns_pid`). A node's `script`
    (holder_script) first lays its mounts in a mount namespace of the lab's user namespace,
    then goes on in a user namespace of its own (node_userns_map)."""
    if node_namespaces:
        unshare = ["unshare", "--mount", "--propagation", "private"]
    else:
        unshare = ["unshare", "--net", "--mount", "--pid", "--mount-proc", "--fork",
                   "--kill-child", "--propagation", "private"]  # fmt: skip
    return ["nsenter", "-t", str(userns_pid), "-U", "--", *unshare, "--", "/bin/sh", "-c", script]


# The node's own namespaces, made by its own user namespace's root once its ids are mapped.
NODE_NAMESPACES = (
    "unshare --mount --net --pid --uts --ipc --mount-proc --fork --kill-child --propagation private"
)


def _hidden_pattern(binds: list[tuple[str, str]]) -> str:
    """A `case` pattern of the mount points the read-only pass leaves alone: /proc (the node
    mounts its own) and every point at or under one of the node's own folders, which that
    folder's bind covers for good (the node's mount namespace locks the bind over them). Among
    them every other lab's folder under /run: without this each node remounted one point per
    lab on this machine, and making a lab beside 200 others took minutes."""
    points = ["/proc", *(dst.rstrip("/") or "/" for _, dst in binds)]
    return "|".join(f"{shlex.quote(p)}|{shlex.quote(p)}/*" for p in dict.fromkeys(points))


def holder_script(hostname: str | None, binds: list[tuple[str, str]]) -> str:
    """A node holder's job, in two stages.

    1. As the lab's root, in a mount namespace of the lab's: make every mount the node can
       reach read-only (a bind remount, which changes that namespace's view only; the flags
       the kernel locks for a user namespace, nosuid, nodev..., kept), then mount the node's
       private folders writable over them.
    2. Become a user namespace of the node's own and wait for its ids (`go` on stdin, once
       labtool wrote them: node_userns_map), then make the node's namespaces from there: its
       mount namespace is a copy made by a less privileged user namespace, so the kernel locks
       every mount of stage 1 as it is - the node's root can neither make this machine's view
       writable again nor unmount a private folder to reach what it hides. Then set the
       hostname, say `ready`, and become tini (PID 1) over a sleep that never ends."""
    lines = [
        "set -e",
        # remount MODE PATH: ro or rw, keeping the mount's other flags
        "remount() {",
        "  opts=$(awk -v m=\"$2\" '$5 == m { o = $6 } END { print o }' /proc/self/mountinfo)",
        '  case "$opts" in *,*) kept=",${opts#*,}" ;; *) kept="" ;; esac',
        '  mount -o "remount,bind,$1$kept" "$2" 2>/dev/null || mount -o "remount,bind,$1" "$2"',
        "}",
        # each mount point once, with the flags of its topmost mount (the one a remount hits)
        "awk '!($5 in o) { n[++i] = $5 } { o[$5] = $6 } END { for (j = 1; j <= i; j++) "
        "print n[j], o[n[j]] }' /proc/self/mountinfo | while read -r mp opts; do",
        f'  case "$mp" in {_hidden_pattern(binds)}) continue ;; esac',
        '  case "$opts" in *,*) kept=",${opts#*,}" ;; *) kept="" ;; esac',
        '  mount -o "remount,bind,ro$kept" "$mp" 2>/dev/null || mount -o remount,bind,ro "$mp" \\',
        '    || { echo "cannot make $mp read-only" >&2; exit 1; }',
        "done",
    ]
    for src, dst in binds:
        lines.append(f"mount --bind {shlex.quote(src)} {shlex.quote(dst)}")
        lines.append(f"remount rw {shlex.quote(dst)}")
    inner = ["set -e"]
    if hostname:
        inner.append(f"hostname {shlex.quote(hostname)}")
    inner += ["echo ready", "exec tini -s -- sleep infinity </dev/null >/dev/null 2>&1"]
    stage2 = f'read -r go && exec {NODE_NAMESPACES} -- /bin/sh -c "$0"'
    node = "\n".join(inner)
    lines.append(f"exec unshare --user -- /bin/sh -c {shlex.quote(stage2)} {shlex.quote(node)}")
    return "\n".join(lines)


def node_userns_map(holders: list[int], uids: Ranges, gids: Ranges) -> str:
    """Run as the lab's root: each node's own user namespace maps its ids onto the lab's same
    ids (a node's root is the lab's root, nobody on this machine), range by range of the
    lab's own map (the kernel maps one line onto one line of the parent's)."""

    def lines(ranges: Ranges) -> str:
        return "".join(f"{inside} {inside} {count}\\n" for inside, _, count in ranges)

    return "".join(
        f"printf '{lines(uids)}' > /proc/{pid}/uid_map && "
        f"printf '{lines(gids)}' > /proc/{pid}/gid_map\n"
        for pid in holders
    )


def lan_script() -> str:
    """The LAN holder's: nothing to mount; the bridge is made from outside (`bridge_batch`)."""
    return "echo ready\nexec tini -s -- sleep infinity </dev/null >/dev/null 2>&1"


def node_mac(node: Node) -> str:
    """A fixed, locally administered MAC for the node's NIC: 02:00 and its IPv4 address, so
    that an ARP reply names its node, across power cycles too."""
    return "02:00:" + ":".join(f"{b:02x}" for b in node.address.packed)


def bridge_batch() -> str:
    """`ip -batch` input, run in the LAN namespace: the bridge every node's link plugs into."""
    return f"link add {BRIDGE} type bridge mcast_snooping 0\nlink set {BRIDGE} up\n"


def link_batch(spec: LabSpec, node: Node, holder_pid: int) -> str:
    """`ip -batch` input, run in the LAN namespace: the node's veth pair, its far end created
    directly in the node's namespace under the lab's NIC name, its near end on the bridge."""
    return (
        f"link add {node.name} type veth peer name {spec.nic} address {node_mac(node)} "
        f"netns {holder_pid}\n"
        f"link set {node.name} master {BRIDGE}\n"
        f"link set {node.name} up\n"
    )


def lan_batch(spec: LabSpec, holder_pids: dict[str, int]) -> str:
    """The bridge and every node's link."""
    return bridge_batch() + "".join(link_batch(spec, n, holder_pids[n.name]) for n in spec.nodes)


def lan_exec(lan_pid: int, *command: str) -> list[str]:
    """A command in the LAN's network namespace only, as the root of the lab's user namespace
    (PIDs still read in the root one)."""
    return ["nsenter", "-t", str(lan_pid), "-U", "-n", "--", *command]


def link_state_argv(lan_pid: int, node: str, up: bool) -> list[str]:
    """Cut (or restore) a node's cable: its port on the LAN bridge goes down (or up)."""
    return lan_exec(lan_pid, "ip", "link", "set", node, "up" if up else "down")


def unplug_argv(lan_pid: int, node: str) -> list[str]:
    """Remove a node's cable from the LAN, if it is still there (a veth pair goes whole)."""
    return lan_exec(
        lan_pid,
        "sh",
        "-c",
        f"! ip link show dev {shlex.quote(node)} >/dev/null 2>&1 || ip link del dev "
        f"{shlex.quote(node)}",
    )


VRRP_CUT_TABLE = "labtool_vrrp_cut"


def vrrp_cut_ruleset(nodes: list[str]) -> str:
    """nft input, run in the LAN namespace: the bridge drops VRRP between these nodes only
    (the client still sees every advert)."""
    rules = [
        f'        iifname "{a}" oifname "{b}" ip protocol vrrp drop'
        for a in nodes
        for b in nodes
        if a != b
    ]
    return (
        f"table bridge {VRRP_CUT_TABLE} {{\n    chain forward {{\n"
        "        type filter hook forward priority 0; policy accept;\n"
        + "\n".join(rules)
        + "\n    }\n}\n"
    )


def nft_argv(lan_pid: int, *args: str) -> list[str]:
    return lan_exec(lan_pid, "nft", *args)


SSH_DIR = "/run/labtool-ssh"  # in the node's own /run


def sshd_config() -> str:
    """A real sshd for one node, run in inetd mode (-i) by a ProxyCommand inside the node:
    SSH without any routed address."""
    return (
        f"HostKey {SSH_DIR}/host_key\nAuthorizedKeysFile {SSH_DIR}/authorized_keys\n"
        "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nPidFile none\n"
        "Subsystem sftp internal-sftp\n"
    )


def sshd_proxy_command(holder_pid: int) -> str:
    return (
        f"nsenter -t {holder_pid} -U -n -m -u -i --pid=/proc/{holder_pid}/ns/pid_for_children"
        f" -- /usr/sbin/sshd -i -f {SSH_DIR}/sshd_config"
    )


def lan_argv(lan_pid: int) -> list[str]:
    """`ip -batch -` in the LAN's network namespace, PIDs still read in the root one."""
    return lan_exec(lan_pid, "ip", "-batch", "-")


def node_net_script(spec: LabSpec, node: Node) -> str:
    """Run inside a node: loopback up, IPv6 off (no stray traffic on the lab LAN), the net.*
    lines of the node's /etc/sysctl.conf (per network namespace; nothing else, which would
    change this machine's kernel), then the NIC up with the node's address."""
    lines = [
        "set -e",
        "ip link set lo up",
        "sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1",
        "grep -E '^[[:space:]]*net[.]' /etc/sysctl.conf 2>/dev/null | tr -d ' \\t' "
        "| cut -d'#' -f1 | while read -r line; do sysctl -qw \"$line\" || true; done",
        f"ip addr add {node.address}/{spec.subnet.prefixlen} brd + dev {spec.nic}",
        f"ip link set {spec.nic} up",
    ]
    return "\n".join(lines)
