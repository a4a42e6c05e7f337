"""The `labtool` command: the Typer app, its one error boundary, and its commands.

Results and JSON go to stdout; progress and errors go to stderr, so `--json | jq` stays clean.
A `LabtoolError` becomes one message and its exit code, never a traceback. Each command is a
thin function in this package; what it does is in the library.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from typing import Annotated, Any

import click
import typer
from typer.core import TyperGroup

from labtool import __version__
from labtool.backends import BACKENDS, backend_cli
from labtool.cli import grading, lab, machine, scenarios, serve
from labtool.cli.console import Speech, err, fail, out, said
from labtool.cli.options import LANG_ENV, Lang, add_backend_options, hear_lang
from labtool.errors import ExitCode, LabtoolError
from labtool.i18n import Msg


class LabtoolGroup(TyperGroup):
    """The one error boundary: a LabtoolError becomes one message and its exit code; so does
    anything else a user can cause (a full disk, a path, a tool's own failure): never a
    traceback, unless LABTOOL_DEBUG asks for one."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_backend_commands()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name) or _backend_commands().get(cmd_name)
        if command is not None:
            add_backend_options(command)
            hear_lang(command)
        return command

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except LabtoolError as exc:
            fail(exc.message, exc.exit_code)
        except KeyboardInterrupt:
            err.print(said(Msg("labtool: interrupted")))
            raise typer.Exit(ExitCode.INTERRUPTED) from None
        except (typer.Exit, typer.Abort, click.exceptions.ClickException):
            raise
        except BrokenPipeError:  # `labtool ... | head`: the reader has what it wanted
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # (Python's own flush at exit, quiet)
            raise typer.Exit(ExitCode.ERROR) from None  # (as click does, for its own output)
        except Exception as exc:
            if os.environ.get("LABTOOL_DEBUG"):
                raise
            fail(_in_words(exc))


def _in_words(exc: Exception) -> str:
    """Any other error, in one message: the machine's, a tool's, else a bug's."""
    if isinstance(exc, OSError):
        from labtool.paths import os_error

        return os_error(exc).message
    if isinstance(exc, subprocess.CalledProcessError):
        return _tool_failure(exc)
    return (
        f"unexpected {type(exc).__name__}: {exc}. This is a bug in labtool: "
        "LABTOOL_DEBUG=1 shows where"
    )


def _tool_failure(exc: subprocess.CalledProcessError) -> str:
    """A tool's failure (python-vagrant's `vagrant ...`) in that tool's own last words."""
    command = exc.cmd if isinstance(exc.cmd, str) else " ".join(map(str, exc.cmd))
    said = exc.stderr or exc.output or ""
    if isinstance(said, bytes):
        said = said.decode(errors="replace")
    lines = [line for line in said.strip().splitlines() if line.strip()][-5:]
    return f"'{command}' failed (exit {exc.returncode})" + (
        ": " + " / ".join(lines) if lines else ""
    )


app = typer.Typer(
    cls=LabtoolGroup,
    name="labtool",
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Build the 'Cluster web' HA lab (HAProxy + keepalived + Apache), break it, measure it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
    lang: Annotated[
        Lang | None,
        typer.Option(
            "--lang",
            envvar=LANG_ENV,
            help="The language of everything labtool writes (fr or en; each command's own "
            "--lang wins). Without it: each command's own default, and English for errors "
            "and progress.",
            show_default=False,
        ),
    ] = None,
) -> None:
    Speech.lang = lang.value if lang is not None else "en"
    if lang is not None:  # every command's --lang defaults to it
        ctx.default_map = {name: {"lang": lang.value} for name in _command_names(ctx)}
    if version:
        out.print(f"labtool {__version__}")
        raise typer.Exit()


for module in (lab, scenarios, grading, machine, serve):
    module.register(app)


def _command_names(ctx: typer.Context) -> list[str]:
    group = ctx.command
    return group.list_commands(ctx) if isinstance(group, click.Group) else []


@functools.cache
def _backend_commands() -> dict[str, click.Command]:
    """The commands of the backends' own (`labtool vagrantfile`), looked up only when a
    command is not one of labtool's (their modules are imported then, not at each start)."""
    found: dict[str, click.Command] = {}
    for name in BACKENDS:
        cli = backend_cli(name)
        if cli is not None and hasattr(cli, "register"):
            sub = typer.Typer(cls=LabtoolGroup, pretty_exceptions_enable=False)
            cli.register(sub)
            group = typer.main.get_group(sub)
            found.update(group.commands)
    return found


@app.command("help")
def help_(
    ctx: typer.Context,
    command: Annotated[str | None, typer.Argument(help="A command.")] = None,
) -> None:
    """Show the help of labtool, or of one command (as -h does)."""
    parent = ctx.parent
    assert parent is not None
    group = parent.command
    if command is None:
        out.print(parent.get_help())
        return
    assert isinstance(group, click.Group)
    found = group.get_command(parent, command)
    if found is None:
        raise LabtoolError(Msg("no command '{command}'. Fix: labtool help", command=command))
    with click.Context(found, info_name=command, parent=parent) as sub:
        out.print(found.get_help(sub))
