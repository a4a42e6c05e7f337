"""Exact commands the netns backend builds (pure builders, as testinfra tests its backends)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from labtool.backends.netns import commands
from labtool.spec.load import default_spec
from labtool.transport.nsenter import node_env, nsenter_argv


def test_holder_argv_lays_mounts_inside_the_labs_user_namespace() -> None:
    argv = commands.holder_argv("echo ready", 9)
    assert argv == [
        "nsenter",
        "-t",
        "9",
        "-U",
        "--",
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "--",
        "/bin/sh",
        "-c",
        "echo ready",
    ]
    lan = commands.holder_argv("echo ready", 9, node_namespaces=False)
    assert lan[:5] == ["nsenter", "-t", "9", "-U", "--"] and "--uts" not in lan
    assert "--net" in lan


def test_holder_script_mounts_then_goes_on_in_a_user_namespace_of_its_own() -> None:
    """Stage 1 mounts; stage 2 waits for its ids (`go`), then makes the node's namespaces,
    whose mount namespace locks what stage 1 laid; the hostname, `ready`, then tini."""
    script = commands.holder_script("web1", [("/x/run", "/run"), ("/x/log", "/var/log")])
    lines = script.splitlines()
    assert lines[0] == "set -e"
    binds = lines.index("mount --bind /x/run /run")
    assert lines[binds : binds + 4] == [
        "mount --bind /x/run /run",
        "remount rw /run",
        "mount --bind /x/log /var/log",
        "remount rw /var/log",
    ]
    stage2 = lines[binds + 4]
    assert stage2.startswith(
        "exec unshare --user -- /bin/sh -c 'read -r go && exec unshare "
        "--mount --net --pid --uts --ipc --mount-proc --fork --kill-child"
    )
    assert lines[-3:] == [
        "hostname web1",
        "echo ready",
        "exec tini -s -- sleep infinity </dev/null >/dev/null 2>&1'",
    ]


def test_a_nodes_ids_map_onto_the_labs_range_by_range() -> None:
    script = commands.node_userns_map(
        [7], ((0, 1001, 1), (1, 100000, 65536)), ((0, 1001, 1), (1, 100000, 65536))
    )
    assert script == (
        "printf '0 0 1\\n1 1 65536\\n' > /proc/7/uid_map && "
        "printf '0 0 1\\n1 1 65536\\n' > /proc/7/gid_map\n"
    )


def test_lan_batch_creates_node_ends_inside_the_nodes() -> None:
    spec = default_spec()
    pids = {n.name: 1000 + i for i, n in enumerate(spec.nodes)}
    lines = commands.lan_batch(spec, pids).splitlines()
    assert lines[:2] == ["link add br0 type bridge mcast_snooping 0", "link set br0 up"]
    assert "link add web1 type veth peer name eth1 address 02:00:0a:00:00:15 netns 1002" in lines
    assert "link set web1 master br0" in lines
    assert len(lines) == 2 + 3 * len(spec.nodes)


def test_lan_argv_enters_only_the_network_namespace() -> None:
    assert commands.lan_argv(42) == ["nsenter", "-t", "42", "-U", "-n", "--", "ip", "-batch", "-"]


def test_node_net_script(tmp_path: Path) -> None:
    spec = default_spec()
    script = commands.node_net_script(spec, spec.node("haproxy1"))
    lines = script.splitlines()
    assert (
        "sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1" in lines
    )
    assert lines[-2:] == ["ip addr add 10.0.0.11/24 brd + dev eth1", "ip link set eth1 up"]
    # At a boot, the node applies the net.* lines of its own /etc/sysctl.conf, nothing else
    # (a kernel.* or vm.* line would change this machine's kernel from inside the node).
    conf = tmp_path / "sysctl.conf"
    conf.write_text(
        "# comment\nnet.ipv4.ip_forward=1\n  net.ipv4.ip_nonlocal_bind = 1 # lab\n"
        "vm.swappiness=10\nkernel.panic=1\n#net.ipv4.conf.all.rp_filter=0\n"
    )
    boot = next(line for line in lines if "/etc/sysctl.conf" in line)
    boot = boot.replace("/etc/sysctl.conf", str(conf)).replace("sysctl -qw", "echo")
    ran = subprocess.run(["sh", "-c", boot], capture_output=True, text=True, check=True)
    assert ran.stdout.splitlines() == ["net.ipv4.ip_forward=1", "net.ipv4.ip_nonlocal_bind=1"]


def test_nsenter_argv_uses_the_holders_pid_for_children() -> None:
    assert nsenter_argv(77, ["ip", "a"]) == [
        "nsenter",
        "-t",
        "77",
        "-U",
        "-n",
        "-m",
        "-u",
        "-i",
        "--pid=/proc/77/ns/pid_for_children",
        "--",
        "ip",
        "a",
    ]
    # Another working folder is the node's, reached from its own "/" (nsenter's --wd would
    # open it on this machine: the command's folder outside the node's read-only view).
    assert nsenter_argv(77, ["bash"], workdir="/root")[-6:] == [
        "--",
        "/bin/sh",
        "-c",
        'cd "$0" && exec "$@"',
        "/root",
        "bash",
    ]
    assert not [a for a in nsenter_argv(77, ["bash"], workdir="/root") if a.startswith("--wd")]


def test_node_env_marks_the_lab() -> None:
    env = node_env("tp", "web1")
    assert env["LABTOOL_LAB"] == "tp"
    assert env["LABTOOL_NODE"] == "web1"
    assert env["PATH"].startswith("/usr/local/sbin:")
    assert env["LABTOOL_OWNER"] == str(os.geteuid())  # (root's labs and a user's stay apart)


def test_every_holder_makes_every_mount_read_only_before_its_own_folders() -> None:
    """The read-only pass is a bind remount (the node's view only: a plain remount would make
    this machine's filesystem read-only), and runs before the node's folders are mounted,
    which are then writable again."""
    lines = commands.holder_script("web1", [("/x/tmp", "/tmp")]).splitlines()
    remount = next(i for i, line in enumerate(lines) if 'remount,bind,ro$kept" "$mp"' in line)
    bind = lines.index("mount --bind /x/tmp /tmp")
    assert remount < bind
    assert lines[bind + 1] == "remount rw /tmp"
    assert not [line for line in lines if "remount,ro" in line or "remount -o ro" in line]


def test_the_read_only_pass_keeps_each_mounts_own_flags(tmp_path: Path) -> None:
    """A user namespace may not clear a mount's nosuid, nodev or noexec (the kernel locks
    them): each remount says them again (here a `mount` that records its options)."""
    record = tmp_path / "calls"
    fake = tmp_path / "mount"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {record}\n')
    fake.chmod(0o755)
    (tmp_path / "unshare").write_text("#!/bin/sh\nexit 0\n")  # (stage 2: not here)
    (tmp_path / "unshare").chmod(0o755)
    script = commands.holder_script(None, [])
    done = subprocess.run(
        ["sh", "-c", script],
        env={"PATH": f"{tmp_path}:/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert done.returncode == 0, done.stderr
    calls = record.read_text().splitlines()
    mounts = {
        line.split()[4]: line.split()[5]
        for line in Path("/proc/self/mountinfo")  # (the topmost of each point)
        .read_text()
        .splitlines()
    }
    for point, opts in mounts.items():
        if point.startswith("/proc"):
            continue
        flags = opts.split(",")[1:]  # (the first is rw or ro)
        assert f"-o remount,bind,ro{''.join(',' + f for f in flags)} {point}" in calls


def test_the_read_only_pass_leaves_what_the_nodes_own_folders_cover(tmp_path: Path) -> None:
    """Mount points at or under one of the node's own folders (every other lab's folder under
    /run among them: one per lab on this machine) are not remounted, their bind covers them;
    every other point is, a path that merely starts alike (/runx) too. Here `mount` records."""
    record = tmp_path / "calls"
    fake = tmp_path / "mount"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {record}\n')
    fake.chmod(0o755)
    (tmp_path / "unshare").write_text("#!/bin/sh\nexit 0\n")
    (tmp_path / "unshare").chmod(0o755)
    mountinfo = tmp_path / "mountinfo"
    points = ["/", "/run", "/run/labtool/other/nodes", "/runx", "/tmp/a", "/proc/sys", "/usr"]
    mountinfo.write_text("".join(f"1 0 0:1 / {p} rw,nosuid - tmpfs t rw\n" for p in points))
    script = commands.holder_script(None, [("/x/run", "/run/"), ("/x/tmp", "/tmp")])
    done = subprocess.run(
        ["sh", "-c", script.replace("/proc/self/mountinfo", str(mountinfo))],
        env={"PATH": f"{tmp_path}:/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert done.returncode == 0, done.stderr
    remounted = [c.split()[-1] for c in record.read_text().splitlines() if ",bind,ro" in c]
    assert remounted == ["/", "/runx", "/usr"]


def test_a_holder_fails_rather_than_leave_a_mount_writable(tmp_path: Path) -> None:
    """The read-only pass stops the holder at the first mount it cannot change (here: a
    `mount` that always fails), instead of going on with that mount writable."""
    fake = tmp_path / "mount"
    fake.write_text("#!/bin/sh\nexit 32\n")
    fake.chmod(0o755)
    script = commands.holder_script(None, [])
    done = subprocess.run(
        ["sh", "-c", script],
        env={"PATH": f"{tmp_path}:/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert done.returncode != 0
    assert "cannot make / read-only" in done.stderr or "read-only" in done.stderr
    assert "ready" not in done.stdout


def test_unplug_removes_a_stale_cable_only_if_there() -> None:
    argv = commands.unplug_argv(42, "web1")
    assert argv[:7] == ["nsenter", "-t", "42", "-U", "-n", "--", "sh"]
    assert argv[-1] == ("! ip link show dev web1 >/dev/null 2>&1 || ip link del dev web1")
