"""The CLI's shared options and its choices, as enums (Typer checks them and lists them)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class BackendName(StrEnum):
    netns = "netns"
    vagrant = "vagrant"


class Provider(StrEnum):
    virtualbox = "virtualbox"
    vmware_desktop = "vmware_desktop"
    libvirt = "libvirt"


class Via(StrEnum):
    nsenter = "nsenter"
    ssh = "ssh"


class Lang(StrEnum):
    fr = "fr"
    en = "en"


class ReportFormat(StrEnum):
    md = "md"
    json = "json"
    html = "html"


class LintFormat(StrEnum):
    text = "text"
    json = "json"


class GradeFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    md = "md"
    moodle = "moodle"
    canvas = "canvas"


NameOption = Annotated[
    str | None, typer.Option("--name", "-n", help="Lab name (default: the only lab up, else 'tp').")
]
LabOption = Annotated[Path | None, typer.Option("--lab", help="Lab file (TOML).")]
LangOption = Annotated[Lang, typer.Option("--lang", help="fr (the lab's) or en.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
OutputOption = Annotated[
    Path | None, typer.Option("-o", "--output", help="Write here instead of stdout.")
]
