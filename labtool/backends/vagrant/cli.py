"""The Vagrant backend's own part of the command line: its options of `up` and `doctor`
(--provider, --box), and `labtool vagrantfile`. python-vagrant and Fabric are not imported
here (the backend imports them when it runs)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import click
import typer

from labtool.backends.vagrant.vagrantfile import PROVIDERS
from labtool.spec.model import LabSpec


def _provider() -> click.Option:
    return click.Option(
        ["--provider"],
        type=click.Choice(PROVIDERS),
        default=PROVIDERS[0],
        show_default=True,
        help="With vagrant: the provider.",
    )


# command -> its options that are this backend's (the CLI adds them; `options` reads them)
OPTIONS = {
    "up": lambda: [
        _provider(),
        click.Option(["--box"], default=None, help="With vagrant: the box (default: the lab's)."),
    ],
    "doctor": lambda: [_provider()],
}


def options(spec: LabSpec, given: Mapping[str, Any]) -> dict[str, str]:
    """The lab's options on this backend (kept in its state) from the command line's."""
    return {
        "provider": str(given.get("provider") or PROVIDERS[0]),
        "box": str(given.get("box") or spec.box),
    }


def vagrantfile(
    lab: Annotated[Path | None, typer.Option("--lab", help="Lab file (TOML).")] = None,
    box: Annotated[
        str | None,
        typer.Option(
            help="The lab file's box by default (the seed's centos7-custom); centos/7, "
            "almalinux/9, debian/..."
        ),
    ] = None,
    provider: Annotated[
        str, typer.Option(click_type=click.Choice(PROVIDERS), help="The Vagrant provider.")
    ] = PROVIDERS[0],
    gui: Annotated[bool, typer.Option(help="Show the VMs' windows.")] = False,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """The lab's Vagrantfile (the seed's, for the default lab), rendered from the lab spec."""
    from labtool.backends.vagrant.vagrantfile import VagrantOptions, render
    from labtool.cli.console import err
    from labtool.paths import output_file
    from labtool.spec.load import load_lab

    target = output_file(output, folder_ok=True)
    spec = load_lab(lab)
    chosen = VagrantOptions(box=box or spec.box, provider=provider, gui=gui)
    text = render(spec, chosen, str(lab) if lab else None)
    if target is None:
        sys.stdout.write(text)
        return
    target = target / "Vagrantfile" if target.is_dir() else target
    target.write_text(text)
    err.print(f"labtool: Vagrantfile written to {target}")


def register(app: typer.Typer) -> None:
    app.command()(vagrantfile)
