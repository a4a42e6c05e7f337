"""Backends (layer 2): the lifecycle of a lab's nodes. Names map to classes, imported lazily
so that an optional dependency (python-vagrant, fabric) loads only when its backend is used."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from labtool.errors import LabFileError

if TYPE_CHECKING:
    from labtool.backends.base import Backend

BACKENDS = {
    "netns": "labtool.backends.netns.NetnsBackend",
    "vagrant": "labtool.backends.vagrant.VagrantBackend",
}


def backend_class(name: str) -> type[Backend]:
    try:
        module_name, _, class_name = BACKENDS[name].rpartition(".")
    except KeyError:
        raise LabFileError(
            f"unknown backend '{name}'. Fix: use one of {', '.join(BACKENDS)}"
        ) from None
    cls: type[Backend] = getattr(importlib.import_module(module_name), class_name)
    return cls
