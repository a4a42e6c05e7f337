"""A netns node's folders: its private folders under the lab's folder, laid out with the
distribution's defaults (none on a bare node), the node's own systemctl and the CentOS 7
commands the lab types, and the bind mounts that show them inside the node."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

from labtool.backends.netns import commands, userns
from labtool.errors import LabtoolError
from labtool.i18n import Msg
from labtool.probes import agent
from labtool.resources import package_file
from labtool.spec.model import Node
from labtool.state import lab_dir

DISTRIBUTION_DIRS = ("/etc/keepalived", "/etc/haproxy", "/var/www/html")
# The node's own /etc/shadow: root with no password (sshd refuses an account it cannot read
# as locked), as a VM's before any `passwd`.
SHADOW = "root:*:19000:0:99999:7:::\n"


def nodes_dir(lab: str) -> Path:
    """Every node's private folders (a confined lab's: a disk of bounded size, bounds.py)."""
    return lab_dir(lab) / "nodes"


def node_root(lab: str, node: str) -> Path:
    """The node's private folders live here, mounted over the node's own paths."""
    return nodes_dir(lab) / node


def host_path(lab: str, node: str, path: str) -> Path:
    """Where a file of the node's private folders is, seen from the root namespace."""
    for private in (*commands.NODE_PRIVATE_DIRS, *commands.NODE_PRIVATE_FILES):
        if path == private or path.startswith(private.rstrip("/") + "/"):
            return node_root(lab, node) / private.lstrip("/") / os.path.relpath(path, private)
    raise LabtoolError(
        Msg("{node}: {path} is not in a folder of the node's own", node=node, path=path)
    )


def layout_node(
    lab: str, node: Node, *, bare: bool = False, owner: tuple[int, int] | None = None
) -> None:
    """Create the node's private folders, with the distribution's defaults in them (as a
    machine with the packages installed has), a minimal /etc/hosts and the host's
    /etc/sysctl.conf, its own /tmp, /var/tmp and /dev/shm, and the probe agent's files; the
    lab's files come later, through the node's transport. A bare node has none of the lab's
    packages yet: its folders are empty until its `yum install` (node_bin/yum) lays CentOS 7's
    files there. `owner`: the node's root as seen here (uid, gid), given every file (root's
    labs: this process is not the node's root)."""
    root = node_root(lab, node.name)
    for folder in (lab_dir(lab), lab_dir(lab) / "nodes"):
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o711)  # (the node's root enters to mount its folders; nothing to list)
    for private in commands.SCRATCH_DIRS:
        target = root / private.lstrip("/")
        target.mkdir(parents=True, exist_ok=True)
        target.chmod(0o1777)
    for private in commands.NODE_PRIVATE_DIRS:
        target = root / private.lstrip("/")
        if private in DISTRIBUTION_DIRS and Path(private).is_dir() and not bare:
            shutil.copytree(private, target, symlinks=True, dirs_exist_ok=True)
        target.mkdir(parents=True, exist_ok=True)
    (root / "run" / "lock").mkdir(exist_ok=True)
    (root / "run" / "haproxy").mkdir(exist_ok=True)  # (Debian's haproxy.cfg: its stats socket)
    (root / "var/log/apache2").mkdir(exist_ok=True)
    (root / "bin").mkdir(exist_ok=True)
    shim = root / "bin" / "systemctl"
    shutil.copyfile(package_file("backends/netns/systemctl.sh"), shim)
    shim.chmod(0o755)
    # The CentOS 7 commands the lab types (sudo, yum, nmcli, hostnamectl, journalctl), first
    # on the node's PATH; the package files its yum lays.
    for tool in package_file("backends/netns/node_bin").iterdir():
        shutil.copyfile(tool, root / "bin" / tool.name)
        (root / "bin" / tool.name).chmod(0o755)
    shutil.copyfile(root / "bin" / "yum", root / "bin" / "dnf")
    (root / "bin" / "dnf").chmod(0o755)
    shutil.copytree(
        package_file("backends/netns/centos7"),
        root / "bin" / ".labtool-centos7",
        dirs_exist_ok=True,
    )
    if bare:
        (root / "bin" / ".labtool-packages").write_text("")
    (root / "etc").mkdir(parents=True, exist_ok=True)
    host_conf = Path("/etc/sysctl.conf")
    (root / "etc" / "sysctl.conf").write_text(host_conf.read_text() if host_conf.is_file() else "")
    (root / "etc" / "hosts").write_text(f"127.0.0.1   localhost\n127.0.1.1   {node.name}\n")
    (root / "etc" / "hostname").write_text(f"{node.name}\n")  # (hostnamectl set-hostname's)
    (root / "etc" / "shadow").write_text(SHADOW)
    (root / "etc" / "shadow").chmod(0o600)
    (root / "root").chmod(0o700)
    _copy_agent(root / "bin" / Path(commands.AGENT_DIR).name)  # (bin: the node's LOCAL_SBIN)
    if owner is not None:
        userns.chown_tree(root, *owner)


def _copy_agent(folder: Path) -> None:
    """The probe agent's files (stdlib only), run in the node by a python3 the node's root can
    read: this machine's environment of labtool may be in a folder it cannot enter."""
    folder.mkdir(parents=True, exist_ok=True)
    for module in agent.AGENT_MODULES:
        shutil.copyfile(
            Path(str(agent.__file__)).with_name(f"{module}.py"), folder / f"{module}.py"
        )


def node_python() -> str:
    """A python3 a node can run the agent with: the distribution's, else this one's."""
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.access(candidate, os.X_OK):
            return candidate
    return os.path.realpath(sys.executable)


HOSTNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,62}")


def node_hostname(lab: str, node: str) -> str:
    """The node's hostname at power-up: its /etc/hostname (`hostnamectl set-hostname` writes
    it, as on CentOS 7), else its name."""
    try:
        name = (node_root(lab, node) / "etc" / "hostname").read_text().strip()
    except OSError:
        return node
    return name if HOSTNAME.fullmatch(name) else node


def node_binds(lab: str, node: str) -> list[tuple[str, str]]:
    """(source, target) bind mounts that give a node its own folders and its systemctl."""
    root = node_root(lab, node)
    own = (*commands.NODE_PRIVATE_DIRS, *commands.NODE_PRIVATE_FILES, *commands.SCRATCH_DIRS)
    binds = [(str(root / p.lstrip("/")), p) for p in own]
    binds.append((str(root / "bin"), commands.LOCAL_SBIN))
    binds += [(str(root / "bin" / "systemctl"), p) for p in commands.SYSTEMCTL_PATHS]
    binds = [(src, dst) for src, dst in binds if os.path.lexists(dst)]  # nothing made on the host
    # A target above the lab's folder (/run over /run/labtool) would hide the sources of the
    # mounts after it: mount those last.
    return sorted(binds, key=lambda b: str(root).startswith(b[1].rstrip("/") + "/"))
