"""What a student's own machine means for the lab (`labtool doctor --backend vagrant`): WSL2,
Windows with Hyper-V on, Apple Silicon, VMware Fusion. Each finding says what will go wrong and
the exact fix. The machine's facts are read once (`Host.here`), the rules are pure."""

from __future__ import annotations

import platform
import shutil
from dataclasses import dataclass
from pathlib import Path

from labtool import runner
from labtool.doctor import Check

RANGE_LAB = "examples/virtualbox-range.toml"  # the lab on 192.168.56.0/24


@dataclass(frozen=True)
class Host:
    system: str  # platform.system(): Linux, Darwin, Windows
    machine: str  # platform.machine(): x86_64, arm64, AMD64...
    kernel: str = ""  # Linux: /proc/sys/kernel/osrelease ("...-microsoft-standard-WSL2")
    hyperv: bool | None = None  # Windows: a hypervisor is running (None: not known)

    @classmethod
    def here(cls) -> Host:
        system, machine = platform.system(), platform.machine()
        kernel = ""
        if system == "Linux":
            try:
                kernel = Path("/proc/sys/kernel/osrelease").read_text().strip()
            except OSError:
                kernel = ""
        hyperv = None
        if system == "Windows" and shutil.which("powershell"):
            done = runner.run(
                [
                    "powershell",
                    "-NoProfile",
                    "-Command",
                    "(Get-CimInstance Win32_ComputerSystem).HypervisorPresent",
                ],
                timeout_s=30,
            )
            if done.succeeded:
                hyperv = done.stdout.strip().lower() == "true"
        return cls(system, machine, kernel, hyperv)

    @property
    def wsl2(self) -> bool:
        return self.system == "Linux" and "microsoft" in self.kernel.lower()

    @property
    def apple_silicon(self) -> bool:
        return self.system == "Darwin" and self.machine.lower() in ("arm64", "aarch64")


def host_checks(host: Host, provider: str) -> list[Check]:
    checks = []
    if host.wsl2:
        checks.append(
            Check(
                "WSL2",
                True,
                "this is WSL2: the netns backend works here (real daemons in namespaces, no VM), "
                "as root (sudo labtool up) or as you (labtool up: your user namespace, your "
                "range in /etc/subuid). The Vagrant backend needs Windows' own Vagrant and "
                "VirtualBox instead",
                "for the lab without VMs: sudo ./setup.sh, then labtool up (inside WSL2); for "
                "VMs, run labtool from Windows (pip install labtool) with --backend vagrant",
            )
        )
    if host.system == "Windows" and host.hyperv and provider == "virtualbox":
        checks.append(
            Check(
                "Hyper-V",
                False,
                "Hyper-V is on: VirtualBox then runs its VMs through it, very slowly, or fails to "
                "start them (VERR_NEM_*, 'not in a hypervisor partition')",
                "turn it off and reboot: bcdedit /set hypervisorlaunchtype off (as administrator; "
                "WSL2 and Docker Desktop need it back on: bcdedit /set hypervisorlaunchtype auto), "
                "or keep it and run the lab without VMs inside WSL2 (netns backend): wsl, then "
                "sudo ./setup.sh && labtool up",
            )
        )
    if host.apple_silicon:
        checks.append(
            Check(
                "Apple Silicon",
                False,
                "an arm64 Mac: x86 boxes (the lab's centos7-custom) do not boot here, whatever the "
                "provider",
                "VirtualBox 7.1 or later with Vagrant >= 2.4.2 and an arm64 box (labtool up "
                "--backend vagrant --box NAME, an arm64 Debian 12 or Rocky 9 box), or a Linux VM "
                "(UTM, arm64 Debian 12) to run the netns backend in: sudo ./setup.sh && sudo "
                "labtool up",
            )
        )
    if host.system == "Darwin" and provider in ("vmware_desktop", "vmware_fusion"):
        checks.append(
            Check(
                "VMware Fusion",
                False,
                "VMware Fusion does not give Vagrant custom private subnets: the lab's 10.0.0.0/24 "
                "private_network is not created",
                f"use the lab on Fusion's own host-only range: labtool up --backend vagrant "
                f"--provider vmware_desktop --lab {RANGE_LAB} (or edit its subnet to Fusion's "
                "vmnet1 range, see: cat '/Library/Preferences/VMware Fusion/networking')",
            )
        )
    return checks
