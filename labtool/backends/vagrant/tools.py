"""Small helpers of the Vagrant backend: Vagrant's environment for labtool's calls, and `vagrant
ssh-config` of several machines split per machine."""

from __future__ import annotations

import os

VAGRANT_DIR = "vagrant"
STATES_TTL_S = 2.0
LIBVIRT_URI = "qemu:///system"  # as Vagrantfile.j2 sets it


def split_ssh_config(text: str) -> dict[str, str]:
    """`vagrant ssh-config` of several machines: each machine's own `Host` block."""
    blocks: dict[str, str] = {}
    name = None
    for line in text.splitlines(keepends=True):
        words = line.split()
        if len(words) == 2 and words[0] == "Host":
            name = words[1]
            blocks[name] = ""
        if name is not None:
            blocks[name] += line
    return blocks


def vagrant_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABTOOL_")}
    env["VAGRANT_CHECKPOINT_DISABLE"] = "1"
    return env
