"""The lab's commands: up, status, exec, shell, down, provision."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from labtool.backends import DEFAULT_BACKEND
from labtool.cli.console import VIEWS, ConsoleProgress, LazyModule, err, fail, out
from labtool.cli.options import (
    BackendOption,
    JsonOption,
    LabOption,
    Lang,
    NameOption,
    Via,
    given_backend_options,
)
from labtool.errors import ExitCode
from labtool.i18n import Msg

if TYPE_CHECKING:
    from labtool.backends.base import Backend
    from labtool.cli import views
    from labtool.spec.model import LabSpec
    from labtool.state import LabState
else:
    views = LazyModule(VIEWS)


def up(
    node: Annotated[
        str | None,
        typer.Argument(
            help="One node of the running lab: power it back on (its enabled daemons start)."
        ),
    ] = None,
    lab: LabOption = None,
    name: NameOption = None,
    bare: Annotated[
        bool, typer.Option(help="Nodes with the distribution's default configs only, no daemon.")
    ] = False,
    wait: Annotated[bool, typer.Option(help="Wait until the VIP answers HTTP.")] = True,
    backend: BackendOption = DEFAULT_BACKEND,
) -> None:
    """Build the lab's cluster and start its daemons; a lab up but not whole is repaired, its
    files kept (idempotent). With NODE: that node's power back on."""
    from labtool.backends import backend_options
    from labtool.provision import lab as labmod
    from labtool.spec.load import load_lab

    if node is not None:
        return _node_up(node, name)
    spec = load_lab(lab, name)
    options = backend_options(backend, spec, given_backend_options())
    labmod.check_machine(spec.name, backend, options)
    err.print(f"labtool: lab '{spec.name}' on {backend}: {spec.describe()}")
    with ConsoleProgress() as progress:
        report = labmod.up(spec, progress, bare=bare, wait_vip=wait, backend_name=backend,
                           options=options, repair=_repair, checked=True)  # fmt: skip
    views.up(spec, report, bare)


def _repair(spec: LabSpec, state: LabState, backend: Backend) -> list[str]:
    from labtool.scenarios.cluster import repair

    return repair(spec, state, backend)


def _node_up(node: str, name: str | None) -> None:
    from labtool.provision import lab as labmod
    from labtool.provision.power import power_up

    spec, state, backend = labmod.open_lab(labmod.resolve_name(name))
    views.power(power_up(spec, state, backend, node), up=True)


def check(
    name: NameOption = None,
    lang: Annotated[Lang, typer.Option("--lang", help="fr or en.")] = Lang.fr,
    as_json: JsonOption = False,
    watch: Annotated[
        bool, typer.Option("--watch", help="Check again every 2 s while you work (Ctrl-C: stop).")
    ] = False,
    steps: Annotated[
        Path | None, typer.Option("--steps", help="Another steps file (TOML; default: the lab's).")
    ] = None,
) -> None:
    """The lab's steps as a checklist, read from the live nodes: done or not, what is missing,
    a hint. Exit 0 when every step is done, 1 otherwise."""
    from labtool.steps.run import check_lab

    while True:
        report = check_lab(name, lang.value, steps)
        views.steps(report, lang.value, as_json, clear=watch)
        if not watch:
            raise typer.Exit(0 if report.done == len(report.steps) else 1)
        time.sleep(2)


def halt(
    node: Annotated[str, typer.Argument(help="The node to halt.")],
    name: NameOption = None,
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Cut the power: no daemon stops first.")
    ] = False,
) -> None:
    """Halt a node, as `vagrant halt`: its daemons stop as at a shutdown (--force: the power
    is cut); `labtool up NODE` brings it back."""
    from labtool.provision import lab as labmod
    from labtool.provision.power import halt as power_halt

    spec, state, backend = labmod.open_lab(labmod.resolve_name(name))
    views.power(power_halt(spec, state, backend, node, force), up=False)


def status(
    name: NameOption = None,
    as_json: JsonOption = False,
) -> None:
    """Per node: up or down, its daemons, and who holds the VIP."""
    from labtool.provision import lab as labmod

    views.status(labmod.status(labmod.resolve_name(name)), as_json)


def exec_(
    node: Annotated[str, typer.Argument(help="Node to run on.")],
    command: Annotated[list[str], typer.Argument(help="Command and its arguments (after --).")],
    name: NameOption = None,
) -> None:
    """Run a command on a node; its output passes through and its exit code is kept."""
    from labtool import runner
    from labtool.provision import lab as labmod

    command = command[1:] if command[:1] == ["--"] else command
    if not command:
        fail(Msg("no command given. Fix: labtool exec NODE -- COMMAND [ARGS...]"), ExitCode.USAGE)
    _, _, backend = labmod.open_lab(labmod.resolve_name(name))
    transport = backend.transport(node)
    raise typer.Exit(runner.passthrough(transport.argv(command), env=transport.env()))


def shell(
    node: Annotated[str, typer.Argument(help="Node to open a shell on.")],
    name: NameOption = None,
) -> None:
    """An interactive shell on a node (as 'vagrant ssh NODE' would give)."""
    from labtool.provision import lab as labmod

    _, _, backend = labmod.open_lab(labmod.resolve_name(name))
    argv, env = backend.shell_argv(node)
    err.print(f"labtool: shell on {node} (exit or Ctrl-D to leave)")
    sys.stdout.flush()
    os.execvpe(argv[0], argv, env)


def down(name: NameOption = None) -> None:
    """Remove every namespace, process, mount and file the lab created."""
    from labtool.provision import lab as labmod

    lab_name = labmod.resolve_name(name)
    started = time.monotonic()
    removed = labmod.down(lab_name)
    if removed is None:
        out.print(f"lab '{lab_name}' is not up; nothing to remove.")
        return
    took = time.monotonic() - started
    out.print(f"lab '{lab_name}' removed ({removed} processes) in {took:.2f} s.")


def provision(
    name: NameOption = None,
    via: Annotated[
        Via, typer.Option(help="nsenter, or ssh (a real sshd in each node, reached inside it).")
    ] = Via.nsenter,
) -> None:
    """Bring every node to the lab's state (recipe, files, daemons); a second run changes
    nothing and says so. Turns a bare lab into the lab's cluster."""
    from labtool.provision import lab as labmod

    with ConsoleProgress() as progress:
        changes = labmod.provision(name, via.value, progress)
    for node in changes:
        out.print(node.describe())
    if not any(node.changed for node in changes):
        out.print(f"lab '{labmod.resolve_name(name)}': no change (already provisioned).")


def watch(
    name: NameOption = None,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: any free one).")] = 0,
    browser: Annotated[bool, typer.Option(help="Open the page in a browser, if any.")] = True,
    lang: Annotated[Lang, typer.Option("--lang", help="fr or en.")] = Lang.fr,
) -> None:
    """The cluster live in the browser: who holds the VIP, HAProxy's view of its servers, the
    client's requests; run a scenario, halt or start a node from the page (Ctrl-C: stop)."""
    from labtool.watch.serve import watch as serve

    serve(name, port, lang.value, browser,
          lambda text: err.print(f"labtool: {text}", soft_wrap=True, markup=False))  # fmt: skip


def register(app: typer.Typer) -> None:
    app.command()(up)
    app.command()(watch)
    app.command()(halt)
    app.command()(check)
    app.command()(status)
    app.command(name="exec")(exec_)
    for command in (shell, down, provision):
        app.command()(command)
