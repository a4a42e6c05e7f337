"""The CLI's shared options and its choices, as enums (Typer checks them and lists them)."""

from __future__ import annotations

import weakref
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import click
import typer

from labtool.backends import BACKENDS, DEFAULT_BACKEND, backend_cli


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
    gradescope = "gradescope"


class _Backends(click.Choice[str]):
    """The registry's backends, as they are when the command line is read."""

    def __init__(self) -> None:
        super().__init__(list(BACKENDS))

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(BACKENDS)

    @choices.setter
    def choices(self, value: object) -> None:
        pass


BackendOption = Annotated[
    str,
    typer.Option(
        click_type=_Backends(),
        help=f"Where the nodes run ({DEFAULT_BACKEND}: namespaces here, no VM).",
    ),
]
BACKEND_OPTIONS = "backend_options"  # (a command context's meta: the backends' own options)


def _heard(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """A command's --lang, once read: the language of its own messages too, when asked for
    (given on the command line or by LABTOOL_LANG, or by `labtool --lang`)."""
    from labtool.cli.console import Speech

    source = ctx.get_parameter_source(param.name or "")
    if value is not None and source is not click.core.ParameterSource.DEFAULT:
        Speech.lang = str(value)
    return value


def hear_lang(command: click.Command) -> None:
    """A command's --lang also sets the language of its errors and progress (above)."""
    for param in command.params:
        if param.name == "lang" and param.callback is None:
            param.callback = _heard
            param.envvar = param.envvar or LANG_ENV


LANG_ENV = "LABTOOL_LANG"


def _keep(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    if param.name is not None:
        ctx.meta.setdefault(BACKEND_OPTIONS, {})[param.name] = value
    return value


def add_backend_options(command: click.Command) -> None:
    """Each backend's own options of a command that takes --backend (Vagrant's --provider
    and --box on `up`), from the backend's `cli` module; their values go to the context's
    meta, read with `given_backend_options`. Once per command."""
    params = command.params
    if command in _EXTENDED or not any(p.name == "backend" for p in params):
        return
    _EXTENDED.add(command)
    known = {p.name for p in params}
    for name in BACKENDS:
        cli = backend_cli(name)
        for option in cli.OPTIONS.get(command.name, list)() if cli is not None else []:
            if option.name not in known:
                option.expose_value, option.callback = False, _keep
                params.append(option)
                known.add(option.name)


_EXTENDED: weakref.WeakSet[click.Command] = weakref.WeakSet()


def given_backend_options() -> dict[str, Any]:
    """The values of the backends' own options on the command line being run."""
    found: dict[str, Any] = click.get_current_context().meta.get(BACKEND_OPTIONS, {})
    return found


NameOption = Annotated[
    str | None, typer.Option("--name", "-n", help="Lab name (default: the only lab up, else 'tp').")
]
LabOption = Annotated[Path | None, typer.Option("--lab", help="Lab file (TOML).")]
LangOption = Annotated[Lang, typer.Option("--lang", help="fr (the lab's) or en.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
OutputOption = Annotated[
    Path | None, typer.Option("-o", "--output", help="Write here instead of stdout.")
]
