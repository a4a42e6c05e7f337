"""Commands about the machine and the lab's VMs: vagrantfile, doctor."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from labtool.cli.console import VIEWS, LazyModule, err
from labtool.cli.options import BackendName, LabOption, OutputOption, Provider
from labtool.errors import ExitCode

if TYPE_CHECKING:
    from labtool.cli import views
else:
    views = LazyModule(VIEWS)


def vagrantfile(
    lab: LabOption = None,
    box: Annotated[
        str | None,
        typer.Option(
            help="The lab file's box by default (the seed's centos7-custom); centos/7, "
            "almalinux/9, debian/..."
        ),
    ] = None,
    provider: Annotated[Provider, typer.Option(help="The Vagrant provider.")] = Provider.virtualbox,
    gui: Annotated[bool, typer.Option(help="Show the VMs' windows.")] = False,
    output: OutputOption = None,
) -> None:
    """The lab's Vagrantfile (the seed's, for the default lab), rendered from the lab spec."""
    from labtool.paths import output_file
    from labtool.spec.load import load_lab
    from labtool.spec.vagrantfile import VagrantOptions, render

    target = output_file(output, folder_ok=True)
    spec = load_lab(lab)
    options = VagrantOptions(box=box or spec.box, provider=provider.value, gui=gui)
    text = render(spec, options, str(lab) if lab else None)
    if target is None:
        sys.stdout.write(text)
        return
    target = target / "Vagrantfile" if target.is_dir() else target
    target.write_text(text)
    err.print(f"labtool: Vagrantfile written to {target}")


def doctor(
    backend: Annotated[BackendName, typer.Option(help="netns or vagrant.")] = BackendName.netns,
    provider: Annotated[Provider, typer.Option(help="With vagrant.")] = Provider.virtualbox,
    lab: LabOption = None,
) -> None:
    """Check this machine: root, namespaces, each binary (or vagrant and its provider); print
    how to fix what is missing."""
    from labtool import doctor as checks
    from labtool.spec.load import load_lab

    if backend is BackendName.vagrant:
        from labtool.doctor.vagrant import vagrant_checks

        found = vagrant_checks(load_lab(lab), provider.value)
    else:
        found = checks.all_checks()
    if not views.checks(found, backend.value):
        raise typer.Exit(ExitCode.ENVIRONMENT)


def register(app: typer.Typer) -> None:
    app.command()(vagrantfile)
    app.command()(doctor)
