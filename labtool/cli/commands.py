"""The `labtool` command: the Typer app, its one error boundary, and its commands.

Results and JSON go to stdout; progress and errors go to stderr, so `--json | jq` stays clean.
A `LabtoolError` becomes one message and its exit code, never a traceback. Each command is a
thin function in this package; what it does is in the library.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from labtool import __version__
from labtool.cli import grading, lab, machine, scenarios
from labtool.cli.console import err, fail, out
from labtool.errors import ExitCode, LabtoolError


class LabtoolGroup(TyperGroup):
    """The one error boundary: a LabtoolError becomes one message and its exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except LabtoolError as exc:
            fail(exc.message, exc.exit_code)
        except KeyboardInterrupt:
            err.print("labtool: interrupted")
            raise typer.Exit(ExitCode.INTERRUPTED) from None


app = typer.Typer(
    cls=LabtoolGroup,
    name="labtool",
    help="Build the 'Cluster web' HA lab (HAProxy + keepalived + Apache), break it, measure it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback(invoke_without_command=True)
def main_callback(
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
) -> None:
    if version:
        out.print(f"labtool {__version__}")
        raise typer.Exit()


for module in (lab, scenarios, grading, machine):
    module.register(app)
