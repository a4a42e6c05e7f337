"""A real sshd in a netns node, for testing the SSH path here: its keys, its config, and a
ProxyCommand that reaches it inside the node, never through a routed address."""

from __future__ import annotations

from pathlib import Path

from labtool import runner
from labtool.backends.netns import commands, userns
from labtool.backends.netns.layout import node_root
from labtool.errors import LabtoolError
from labtool.state import lab_dir
from labtool.transport.ssh import SshTarget


def ssh_target_for(
    lab: str, node: str, holder_pid: int, owner: tuple[int, int] | None = None
) -> SshTarget:
    """Prepare a real sshd for the node (host key, the lab's client key) and say how to reach
    it: through a ProxyCommand inside the node, never a routed address. `owner`: the node's
    root seen from here, who must own what sshd reads (root's labs)."""
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
    if owner is not None:
        userns.chown_tree(folder, *owner)
        userns.chown_tree(node_root(lab, node) / "run" / "sshd", *owner)
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
        raise LabtoolError(f"cannot make an SSH key: {result.describe_failure()}")
