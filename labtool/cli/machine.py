"""Commands about the machine: doctor (each backend's own commands are in its cli module)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from labtool.backends import DEFAULT_BACKEND
from labtool.cli.console import VIEWS, LazyModule
from labtool.cli.options import BackendOption, LabOption, given_backend_options
from labtool.errors import ExitCode

if TYPE_CHECKING:
    from labtool.cli import views
else:
    views = LazyModule(VIEWS)


def doctor(
    backend: BackendOption = DEFAULT_BACKEND,
    lab: LabOption = None,
) -> None:
    """Check this machine: root, namespaces, each binary (or vagrant and its provider); print
    how to fix what is missing."""
    from labtool.backends import backend_class, backend_options
    from labtool.spec.load import load_lab

    spec = load_lab(lab)
    found = backend_class(backend).doctor(
        spec, backend_options(backend, spec, given_backend_options())
    )
    if not views.checks(found, backend):
        raise typer.Exit(ExitCode.ENVIRONMENT)


def register(app: typer.Typer) -> None:
    app.command()(doctor)
