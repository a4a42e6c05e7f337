"""Backends (layer 2): the lifecycle of a lab's nodes. Names map to classes, imported lazily
so that an optional dependency (python-vagrant, fabric) loads only when its backend is used.

A backend is one package and one line in BACKENDS. What it offers is declared on its class
(labtool.backends.base.Backend): its doctor checks, whether it can confine someone's configs,
its poll rate. Its own command-line options and commands, if any, live in a light module
`cli` beside it (e.g. labtool/backends/vagrant/cli.py), found by that name.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any

from labtool.errors import LabFileError, LabtoolError
from labtool.i18n import Msg

if TYPE_CHECKING:
    from labtool.backends.base import Backend
    from labtool.spec.model import LabSpec

BACKENDS = {
    "netns": "labtool.backends.netns.NetnsBackend",
    "vagrant": "labtool.backends.vagrant.VagrantBackend",
}
DEFAULT_BACKEND = next(iter(BACKENDS))  # the first: labs on this machine, no VM


def backend_class(name: str) -> type[Backend]:
    try:
        module_name, _, class_name = BACKENDS[name].rpartition(".")
    except KeyError:
        raise LabFileError(
            Msg(
                "unknown backend '{name}'. Fix: use one of {join}",
                name=name,
                join=", ".join(BACKENDS),
            )
        ) from None
    cls: type[Backend] = getattr(importlib.import_module(module_name), class_name)
    return cls


def confining_backend() -> type[Backend]:
    """The backend that runs someone's configs confined (`labtool grade --run`), by what each
    declares (`can_confine`)."""
    for name in BACKENDS:
        cls = backend_class(name)
        if cls.can_confine:
            return cls
    raise LabtoolError(Msg("no backend here can run a submission confined"))


def backend_cli(name: str) -> ModuleType | None:
    """The backend's own part of the command line (its module `cli`), or None. Asked only
    by a command that takes --backend, and for a command labtool does not have (the help)."""
    package = BACKENDS[name].rpartition(".")[0]
    try:
        found = importlib.util.find_spec(f"{package}.cli")
    except ModuleNotFoundError:  # (a backend that is one module, not a package)
        return None
    return importlib.import_module(f"{package}.cli") if found is not None else None


def backend_options(name: str, spec: LabSpec, given: Mapping[str, Any]) -> dict[str, str]:
    """The backend's options for a lab (kept in its state) from the command line's values of
    the backend's own options ({} for a backend that has none)."""
    cli = backend_cli(name)
    if cli is None:
        return {}
    options: dict[str, str] = cli.options(spec, given)
    return options
