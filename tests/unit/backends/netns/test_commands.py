"""Exact commands the netns backend builds (pure builders, as testinfra tests its backends)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from labtool.backends.netns import commands
from labtool.spec.load import default_spec
from labtool.transport.nsenter import node_env, nsenter_argv


def test_holder_argv_makes_all_node_namespaces() -> None:
    argv = commands.holder_argv("echo ready")
    assert argv == ["unshare", "--net", "--mount", "--pid", "--uts", "--ipc", "--mount-proc",
                    "--fork", "--kill-child", "--propagation", "private", "--",
                    "/bin/sh", "-c", "echo ready"]


def test_holder_script_mounts_then_says_ready_then_becomes_tini() -> None:
    script = commands.holder_script("web1", [("/x/run", "/run"), ("/x/log", "/var/log")])
    assert script.splitlines() == [
        "set -e", "hostname web1", "mount --bind /x/run /run", "mount --bind /x/log /var/log",
        "echo ready", "exec tini -s -- sleep infinity </dev/null >/dev/null 2>&1"]


def test_lan_batch_creates_node_ends_inside_the_nodes() -> None:
    spec = default_spec()
    pids = {n.name: 1000 + i for i, n in enumerate(spec.nodes)}
    lines = commands.lan_batch(spec, pids).splitlines()
    assert lines[:2] == ["link add br0 type bridge mcast_snooping 0", "link set br0 up"]
    assert "link add web1 type veth peer name eth1 address 02:00:0a:00:00:15 netns 1002" in lines
    assert "link set web1 master br0" in lines
    assert len(lines) == 2 + 3 * len(spec.nodes)


def test_lan_argv_enters_only_the_network_namespace() -> None:
    assert commands.lan_argv(42) == ["nsenter", "-t", "42", "-n", "--", "ip", "-batch", "-"]


def test_node_net_script(tmp_path: Path) -> None:
    spec = default_spec()
    script = commands.node_net_script(spec, spec.node("haproxy1"))
    lines = script.splitlines()
    assert "sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1" \
        in lines
    assert lines[-2:] == ["ip addr add 10.0.0.11/24 brd + dev eth1", "ip link set eth1 up"]
    # At a boot, the node applies the net.* lines of its own /etc/sysctl.conf, nothing else
    # (a kernel.* or vm.* line would change this machine's kernel from inside the node).
    conf = tmp_path / "sysctl.conf"
    conf.write_text("# comment\nnet.ipv4.ip_forward=1\n  net.ipv4.ip_nonlocal_bind = 1 # lab\n"
                    "vm.swappiness=10\nkernel.panic=1\n#net.ipv4.conf.all.rp_filter=0\n")
    boot = next(line for line in lines if "/etc/sysctl.conf" in line)
    boot = boot.replace("/etc/sysctl.conf", str(conf)).replace("sysctl -qw", "echo")
    ran = subprocess.run(["sh", "-c", boot], capture_output=True, text=True, check=True)
    assert ran.stdout.splitlines() == ["net.ipv4.ip_forward=1", "net.ipv4.ip_nonlocal_bind=1"]


def test_nsenter_argv_uses_the_holders_pid_for_children() -> None:
    assert nsenter_argv(77, ["ip", "a"]) == [
        "nsenter", "-t", "77", "-n", "-m", "-u", "-i", "--pid=/proc/77/ns/pid_for_children",
        "--wd=/", "--", "ip", "a"]


def test_node_env_marks_the_lab() -> None:
    env = node_env("tp", "web1")
    assert env["LABTOOL_LAB"] == "tp"
    assert env["LABTOOL_NODE"] == "web1"
    assert env["PATH"].startswith("/usr/local/sbin:")


def test_a_confined_holder_makes_every_mount_read_only_before_its_own_folders() -> None:
    """The read-only pass is a bind remount (the node's view only: a plain remount would make
    this machine's filesystem read-only), and runs before the node's folders are mounted,
    which are then writable again."""
    lines = commands.holder_script("web1", [("/x/tmp", "/tmp")], read_only=True).splitlines()
    remount = next(i for i, line in enumerate(lines) if "remount,bind,ro" in line)
    bind = lines.index("mount --rbind /x/tmp /tmp")
    assert remount < bind
    assert lines[bind + 1] == "mount -o remount,bind,rw /tmp"
    assert not [line for line in lines if "remount,ro" in line or "remount -o ro" in line]
    assert lines[-2:] == ["echo ready", "exec tini -s -- sleep infinity </dev/null >/dev/null 2>&1"]


def test_a_confined_holder_fails_rather_than_leave_a_mount_writable(tmp_path: Path) -> None:
    """The read-only pass stops the holder at the first mount it cannot change (here: a
    `mount` that always fails), instead of going on with that mount writable."""
    fake = tmp_path / "mount"
    fake.write_text("#!/bin/sh\nexit 32\n")
    fake.chmod(0o755)
    script = commands.holder_script(None, [], read_only=True)
    done = subprocess.run(["sh", "-c", script], env={"PATH": f"{tmp_path}:/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=10)
    assert done.returncode != 0
    assert "cannot make / read-only" in done.stderr or "read-only" in done.stderr
    assert "ready" not in done.stdout


def test_unplug_removes_a_stale_cable_only_if_there() -> None:
    argv = commands.unplug_argv(42, "web1")
    assert argv[:6] == ["nsenter", "-t", "42", "-n", "--", "sh"]
    assert argv[-1] == ("! ip link show dev web1 >/dev/null 2>&1 || ip link del dev web1")


def test_what_a_confined_node_still_needs_under_its_own_tmp_is_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """labtool checked out in /tmp (a CI clone): the node's own /tmp would hide the probe
    agent; the checkout is mounted read-only inside it first, at its own path."""
    import sys

    import labtool
    from labtool.backends.netns import layout as backend

    monkeypatch.setattr(sys, "prefix", "/tmp/clone/.venv")
    monkeypatch.setattr(labtool, "__file__", "/tmp/clone/labtool/__init__.py")
    kept = backend.kept_paths("grade-1-0", "web1")
    assert kept == [("/tmp/clone", str(backend.node_root("grade-1-0", "web1") / "tmp/clone"))]
    lines = commands.holder_script("web1", [("/n/tmp", "/tmp")], read_only=True,
                                   keeps=kept).splitlines()
    keep = lines.index(f"mount --bind /tmp/clone {kept[0][1]}")
    assert lines[keep + 1] == f"mount -o remount,bind,ro {kept[0][1]}"
    assert keep < lines.index("mount --rbind /n/tmp /tmp")
    monkeypatch.setattr(sys, "prefix", "/opt/venv")
    monkeypatch.setattr(labtool, "__file__", "/work/labtool/__init__.py")
    assert backend.kept_paths("grade-1-0", "web1") == []
