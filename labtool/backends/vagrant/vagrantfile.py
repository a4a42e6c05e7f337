"""The lab's Vagrantfile, rendered from the lab spec and Vagrantfile.j2 (pure).

For the default lab it is the seed's Vagrantfile: the same four machines, private_network
addresses, hostnames and box, no box update check, no synced folder; the provider block and
`gui` follow the options. The client node is not a VM: probes run inside a lab machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from labtool.errors import LabFileError
from labtool.i18n import Msg
from labtool.resources import package_file
from labtool.spec.model import LabSpec

PROVIDERS = ("virtualbox", "vmware_desktop", "libvirt")
BOXES = ("centos7-custom", "centos/7", "almalinux/9", "debian/bookworm64")


@dataclass(frozen=True)
class VagrantOptions:
    box: str = "centos7-custom"
    provider: str = "virtualbox"
    gui: bool = False
    libvirt_driver: str = "qemu"  # TCG: a stock guest kernel cannot boot on nested KVM here
    memory_mb: int = 512
    boot_timeout_s: int = 900


@dataclass(frozen=True)
class _Machine:
    name: str
    ruby: str  # the node's name as a Ruby block variable
    address: str


def template_path() -> Path:
    for candidate in (
        package_file("").parent / "Vagrantfile.j2",
        package_file("_data") / "Vagrantfile.j2",
    ):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("Vagrantfile.j2 is missing from the installation")


def render(
    spec: LabSpec,
    options: VagrantOptions,
    lab_file: str | None = None,
    include_client: bool = False,
) -> str:
    """The Vagrantfile; with include_client, one more small VM for labtool's probes."""
    if options.provider not in PROVIDERS:
        raise LabFileError(
            Msg(
                "unknown provider '{provider}'. Fix: use one of {join}",
                provider=options.provider,
                join=", ".join(PROVIDERS),
            )
        )
    machines = [
        _Machine(n.name, n.name.replace("-", "_"), str(n.address))
        for n in spec.nodes
        if n.role != "client" or include_client
    ]
    path = template_path()
    import jinja2  # (here: every command imports this module, few render)

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(path.parent)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    return env.get_template(path.name).render(
        spec=spec,
        nodes=machines,
        box=options.box,
        provider=options.provider,
        gui=options.gui,
        libvirt_driver=options.libvirt_driver,
        memory_mb=options.memory_mb,
        boot_timeout_s=options.boot_timeout_s,
        lab_file=lab_file,
        libvirt_network=(
            ',\n      libvirt__forward_mode: "none", libvirt__dhcp_enabled: false'
            if options.provider == "libvirt"
            else ""
        ),
    )
