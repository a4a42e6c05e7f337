"""Small helpers of the Vagrant backend: Vagrant's environment for labtool's calls, `vagrant
ssh-config` of several machines split per machine, Vagrant's own words for a failure, and the
removal of a lab."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from labtool import runner
from labtool.errors import EnvironmentProblem, LabtoolError
from labtool.i18n import Msg
from labtool.state import lab_dir

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


def vagrant_client(root: Path) -> Any:
    """python-vagrant's client of the lab's folder; vagrant missing: how to install it."""
    if shutil.which("vagrant") is None:
        raise EnvironmentProblem(
            Msg(
                "vagrant is not installed. Fix: apt-get install -y "
                "--no-install-recommends vagrant, then labtool doctor --backend vagrant"
            )
        )
    import vagrant

    return vagrant.Vagrant(
        root=str(root),
        env=vagrant_env(),  # type: ignore[no-untyped-call]
        quiet_stdout=True,
        quiet_stderr=False,
    )


def stream_lines(lines: Iterator[str], on_line: Callable[[str], None]) -> None:
    """Each line of a vagrant command to `on_line`; a failure in vagrant's own last words."""
    last: list[str] = []
    try:
        for line in lines:
            on_line(line.rstrip())
            if line.strip():
                last = [*last[-4:], line.strip()]
    except subprocess.CalledProcessError as exc:
        raise LabtoolError(
            f"'{' '.join(map(str, exc.cmd))}' failed (exit {exc.returncode})"
            + (": " + " / ".join(last) if last else "")
        ) from None


def vagrant_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABTOOL_")}
    env["VAGRANT_CHECKPOINT_DISABLE"] = "1"
    return env


def vagrant_said(exc: subprocess.CalledProcessError) -> str:
    """Vagrant's own words for a failed command of python-vagrant's: the error of its
    machine-readable output (`ts,target,error-exit,Class,message`, commas and new lines
    escaped), its first paragraph; else the last lines it printed."""
    said = exc.output or exc.stderr or ""
    if isinstance(said, bytes):
        said = said.decode(errors="replace")
    for line in said.splitlines():
        fields = line.split(",", 4)
        if len(fields) == 5 and fields[2] == "error-exit":
            text = fields[4].replace("%!(VAGRANT_COMMA)", ",").replace("\\n", "\n")
            return " ".join(text.strip().split("\n\n")[0].split()).rstrip(".")
    lines = [line.strip() for line in said.splitlines() if line.strip()]
    return " / ".join(lines[-3:]) or f"exit {exc.returncode}"


def destroy_lab(lab: str) -> int:
    """`vagrant destroy` of the lab's machines, then its folder. A lab whose machines were never
    made (its `vagrant up` failed at once, or was killed before) has nothing to destroy."""
    root = lab_dir(lab) / VAGRANT_DIR
    machines = 0
    made = list((root / ".vagrant" / "machines").glob("*/*/id"))
    if (root / "Vagrantfile").exists() and made:
        done = runner.run(["vagrant", "destroy", "-f"], env=vagrant_env(), timeout_s=1800, cwd=root)
        if not done.succeeded:
            raise LabtoolError(
                Msg(
                    "vagrant destroy failed, the lab's folder {root} is kept: {why}",
                    root=root,
                    why=done.describe_failure(),
                )
            )
        machines = done.stdout.count("Destroying VM") or done.stdout.count("Deleting")
    folder = lab_dir(lab)
    if folder.exists():
        shutil.rmtree(folder)
    return machines
