"""labtool doctor on a student's machine (labtool/doctor_host.py): the rules over a machine's
facts. Stand-ins: this machine is Debian on x86_64, so WSL2, Windows with Hyper-V and macOS
are given as the facts `Host.here` reads there (kernel release, platform, HypervisorPresent)."""

from __future__ import annotations

from labtool.backends.vagrant.doctor import vagrant_checks
from labtool.backends.vagrant.host import RANGE_LAB, Host, host_checks
from labtool.spec.load import default_spec


def by_name(host: Host, provider: str = "virtualbox") -> dict[str, object]:
    return {c.name: c for c in host_checks(host, provider)}


def test_wsl2_says_the_netns_backend_works_there_and_how() -> None:
    found = by_name(Host("Linux", "x86_64", "5.15.153.1-microsoft-standard-WSL2"))
    check = found["WSL2"]
    assert check.ok and "netns backend works here" in check.detail  # type: ignore[attr-defined]
    assert "sudo labtool up" in check.detail  # type: ignore[attr-defined]
    assert not by_name(Host("Linux", "x86_64", "6.1.0-28-amd64"))  # plain Linux: nothing


def test_windows_with_hyperv_on_and_virtualbox() -> None:
    check = by_name(Host("Windows", "AMD64", hyperv=True))["Hyper-V"]
    assert not check.ok  # type: ignore[attr-defined]
    assert "bcdedit /set hypervisorlaunchtype off" in check.fix  # type: ignore[attr-defined]
    assert not by_name(Host("Windows", "AMD64", hyperv=False))
    assert not by_name(Host("Windows", "AMD64", hyperv=True), "libvirt")


def test_apple_silicon_and_x86_boxes() -> None:
    check = by_name(Host("Darwin", "arm64"))["Apple Silicon"]
    assert not check.ok and "do not boot" in check.detail  # type: ignore[attr-defined]
    assert "VirtualBox 7.1" in check.fix and "Vagrant >= 2.4.2" in check.fix  # type: ignore[attr-defined]
    assert "netns backend" in check.fix  # type: ignore[attr-defined]
    assert not by_name(Host("Darwin", "x86_64"))  # an Intel Mac boots x86 boxes


def test_vmware_fusion_and_the_labs_subnet() -> None:
    check = by_name(Host("Darwin", "x86_64"), "vmware_desktop")["VMware Fusion"]
    assert not check.ok and RANGE_LAB in check.fix  # type: ignore[attr-defined]


def test_doctor_puts_them_first() -> None:
    checks = vagrant_checks(default_spec(), "virtualbox", Host("Windows", "AMD64", hyperv=True))
    assert checks[0].name == "Hyper-V" and any(c.name == "vagrant" for c in checks)
