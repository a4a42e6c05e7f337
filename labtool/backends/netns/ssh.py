"""A real sshd in a netns node, for testing the SSH path here: its keys, its config, and a
ProxyCommand that reaches it inside the node, never through a routed address."""

from __future__ import annotations

import os
from pathlib import Path

from labtool import runner
from labtool.backends.netns import commands, userns
from labtool.backends.netns.layout import node_root
from labtool.errors import LabtoolError
from labtool.i18n import Msg
from labtool.state import lab_dir
from labtool.transport.ssh import SshTarget


def ssh_target_for(lab: str, node: str, holder_pid: int) -> SshTarget:
    """Prepare a real sshd for the node (host key, the lab's client key) and say how to reach
    it: through a ProxyCommand inside the node, never a routed address. What sshd reads is
    given to the node's root, who owns the node's folder (root's labs: not this process)."""
    keys = lab_dir(lab) / "ssh"
    keys.mkdir(mode=0o700, exist_ok=True)
    client_key = keys / "id_ed25519"
    if not client_key.exists():
        _keygen(client_key, f"labtool@{lab}")
    folder = node_root(lab, node) / commands.SSH_DIR.lstrip("/")
    folder.mkdir(parents=True, exist_ok=True)
    (node_root(lab, node) / "run" / "sshd").mkdir(mode=0o755, exist_ok=True)
    if not (folder / "host_key").exists():
        _keygen(folder / "host_key", node)
    (folder / "authorized_keys").write_text((keys / "id_ed25519.pub").read_text())
    (folder / "sshd_config").write_text(commands.sshd_config())
    owner = node_root(lab, node).stat()
    if owner.st_uid != os.geteuid():
        userns.chown_tree(folder, owner.st_uid, owner.st_gid)
        userns.chown_tree(node_root(lab, node) / "run" / "sshd", owner.st_uid, owner.st_gid)
    return SshTarget(
        host=node,
        user="root",
        identity_files=(str(client_key),),
        proxy_command=commands.sshd_proxy_command(holder_pid),
    )


def _keygen(path: Path, comment: str) -> None:
    result = runner.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)]
    )
    if not result.succeeded:
        raise LabtoolError(Msg("cannot make an SSH key: {why}", why=result.describe_failure()))
