"""Where labtool's data folders are: the checkout's top level, or inside an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """`provision` or `scenarios`: the checkout's folder if there is one, else the wheel's."""
    for candidate in (_PACKAGE.parent / name, _PACKAGE / "_data" / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"labtool data folder '{name}' is missing from the installation")


def package_file(name: str) -> Path:
    return _PACKAGE / name
