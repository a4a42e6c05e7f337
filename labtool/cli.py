"""The `labtool` command: thin Typer commands over the library, one error boundary.

Results and JSON go to stdout; progress and errors go to stderr, so `--json | jq` stays clean.
A `LabtoolError` becomes one message and its exit code, never a traceback.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from labtool import __version__, cli_grading, cli_scenarios, doctor, runner
from labtool import lab as labmod
from labtool.backends import backend_class
from labtool.console import ConsoleProgress, NameOption, err, fail, out
from labtool.errors import ExitCode, LabtoolError
from labtool.spec import load_lab


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


@app.command()
def up(
    lab: Annotated[
        Path | None,
        typer.Option("--lab", help="Lab file (TOML) to use instead of the default lab."),
    ] = None,
    name: NameOption = None,
    bare: Annotated[
        bool,
        typer.Option(
            help="Nodes with the packages and the distribution's "
            "default configs only, no daemon started."
        ),
    ] = False,
    wait: Annotated[bool, typer.Option(help="Wait until the VIP answers HTTP.")] = True,
    backend: Annotated[
        str,
        typer.Option(
            help="netns (this machine's namespaces) or vagrant (VMs from the lab's Vagrantfile)."
        ),
    ] = "netns",
    provider: Annotated[
        str, typer.Option(help="With vagrant: virtualbox, vmware_desktop or libvirt.")
    ] = "virtualbox",
    box: Annotated[
        str | None, typer.Option(help="With vagrant: the box (default: the lab's, centos7-custom).")
    ] = None,
) -> None:
    """Build the lab's cluster and start its daemons (idempotent)."""
    spec = load_lab(lab, name)
    if backend not in ("netns", "vagrant"):
        fail(f"unknown backend '{backend}'. Fix: use netns or vagrant", ExitCode.USAGE)
    backend_class(backend).check_machine()
    options = {"provider": provider, "box": box or spec.box} if backend == "vagrant" else {}
    err.print(
        f"labtool: lab '{spec.name}' on {backend}: "
        + ", ".join(f"{n.name} {n.address}" for n in spec.nodes)
        + f", VIP {spec.vip}"
    )
    progress = ConsoleProgress()
    try:
        report = labmod.up(
            spec, progress, bare=bare, wait_vip=wait, backend_name=backend, options=options
        )
    finally:
        progress.close()
    if report.already_up:
        out.print(f"lab '{spec.name}' is already up; nothing changed.")
        return
    if bare:
        out.print(
            f"lab '{spec.name}' is up, bare, in {report.nodes_s:.2f} s: packages and "
            "default configs only, no daemon started. Start with "
            f"'labtool shell {spec.by_role('lb')[0].name}'."
        )
        return
    out.print(f"nodes up, daemons running: {report.nodes_s:.2f} s")
    if report.vip_s is not None:
        out.print(
            f"http://{spec.vip}/ answers from {spec.client.name}: "
            f'"{report.first_answer}" (VIP on {report.vip_holder or "?"}) after '
            f"{report.vip_s:.2f} s"
        )
    out.print(
        f"lab '{spec.name}' is up. Try: labtool status, labtool shell "
        f"{spec.by_role('web')[0].name}, labtool down"
    )


@app.command()
def status(
    name: NameOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Per node: up or down, its daemons, and who holds the VIP."""
    result = labmod.status(labmod.resolve_name(name))
    if as_json:
        out.print_json(json.dumps(result.as_dict()))
        return
    table = Table(title=f"lab '{result.name}' ({result.backend}, {result.phase})")
    for column in ("node", "role", "address", "state", "daemons", "VIP"):
        table.add_column(column)
    for node in result.nodes:
        daemons = (
            ", ".join(f"{d} {'running' if ok else 'stopped'}" for d, ok in node.daemons.items())
            or "-"
        )
        table.add_row(
            node.name,
            node.role,
            node.address,
            "up" if node.up else "DOWN",
            daemons,
            "holds " + result.vip if result.vip in node.addresses else "",
        )
    out.print(table)
    holders = result.vip_holders
    out.print(
        f"VIP {result.vip}: "
        + (", ".join(holders) if holders else "nobody")
        + (" (duplicate!)" if len(holders) > 1 else "")
        + f"; memory of all lab processes: {result.memory_kib / 1024:.1f} MiB"
    )


@app.command(name="exec")
def exec_(
    node: Annotated[str, typer.Argument(help="Node to run on.")],
    command: Annotated[list[str], typer.Argument(help="Command and its arguments (after --).")],
    name: NameOption = None,
) -> None:
    """Run a command on a node; its output passes through and its exit code is kept."""
    _, _, backend = labmod.open_lab(labmod.resolve_name(name))
    transport = backend.transport(node)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        fail("no command given. Fix: labtool exec NODE -- COMMAND [ARGS...]", ExitCode.USAGE)
    raise typer.Exit(runner.passthrough(transport.argv(command), env=transport.env()))


@app.command()
def shell(
    node: Annotated[str, typer.Argument(help="Node to open a shell on.")],
    name: NameOption = None,
) -> None:
    """An interactive shell on a node (as 'vagrant ssh NODE' would give)."""
    _, _, backend = labmod.open_lab(labmod.resolve_name(name))
    argv, env = backend.shell_argv(node)
    err.print(f"labtool: shell on {node} (exit or Ctrl-D to leave)")
    sys.stdout.flush()
    os.execvpe(argv[0], argv, env)


@app.command()
def down(name: NameOption = None) -> None:
    """Remove every namespace, process, mount and file the lab created."""
    lab_name = labmod.resolve_name(name)
    started = time.monotonic()
    removed = labmod.down(lab_name)
    if removed is None:
        out.print(f"lab '{lab_name}' is not up; nothing to remove.")
        return
    out.print(
        f"lab '{lab_name}' removed ({removed} processes) in {time.monotonic() - started:.2f} s."
    )


@app.command()
def provision(
    name: NameOption = None,
    via: Annotated[
        str,
        typer.Option(help="nsenter, or ssh (a real sshd in each node, reached inside the node)."),
    ] = "nsenter",
) -> None:
    """Bring every node to the lab's state (recipe, files, daemons); a second run changes
    nothing and says so. Turns a bare lab into the lab's cluster."""
    from labtool.converge import converge

    if via not in ("nsenter", "ssh"):
        fail(f"unknown transport '{via}'. Fix: use nsenter or ssh", ExitCode.USAGE)
    spec, _, backend = labmod.open_lab(labmod.resolve_name(name))
    transports = {
        n.name: backend.ssh_transport(n.name) if via == "ssh" else backend.transport(n.name)
        for n in spec.nodes
    }
    progress = ConsoleProgress()
    try:
        changes = converge(spec, transports, progress.adaptation)
    finally:
        for transport in transports.values():
            transport.close()
    for node in changes:
        out.print(node.describe())
    if not any(node.changed for node in changes):
        out.print(f"lab '{spec.name}': no change (already provisioned).")


@app.command()
def vagrantfile(
    lab: Annotated[Path | None, typer.Option("--lab", help="Lab file (TOML).")] = None,
    box: Annotated[
        str,
        typer.Option(
            help="Box: centos7-custom (the seed's), centos/7, almalinux/9, debian/bookworm64..."
        ),
    ] = "centos7-custom",
    provider: Annotated[
        str, typer.Option(help="virtualbox, vmware_desktop or libvirt.")
    ] = "virtualbox",
    gui: Annotated[bool, typer.Option(help="Show the VMs' windows.")] = False,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """The lab's Vagrantfile (the seed's, for the default lab), rendered from the lab spec."""
    from labtool.vagrantfile import VagrantOptions, render

    spec = load_lab(lab)
    text = render(
        spec, VagrantOptions(box=box, provider=provider, gui=gui), str(lab) if lab else None
    )
    if output is None:
        sys.stdout.write(text)
        return
    target = output / "Vagrantfile" if output.is_dir() else output
    target.write_text(text)
    err.print(f"labtool: Vagrantfile written to {target}")


@app.command(name="doctor")
def doctor_cmd(
    backend: Annotated[str, typer.Option(help="netns or vagrant.")] = "netns",
    provider: Annotated[
        str, typer.Option(help="With vagrant: virtualbox, vmware_desktop or libvirt.")
    ] = "virtualbox",
    lab: Annotated[Path | None, typer.Option("--lab", help="Lab file (TOML).")] = None,
) -> None:
    """Check this machine: root, namespaces, each binary (or vagrant and its provider); print
    how to fix what is missing."""
    if backend == "vagrant":
        from labtool.doctor_vagrant import vagrant_checks

        checks = vagrant_checks(load_lab(lab), provider)
    elif backend == "netns":
        checks = doctor.all_checks()
    else:
        fail(f"unknown backend '{backend}'. Fix: use netns or vagrant", ExitCode.USAGE)
    for check in checks:
        mark = "[green]ok[/]  " if check.ok else "[red]FAIL[/]"
        out.print(f"{mark} {escape(check.name)}: {escape(check.detail)}", markup=True)
    missing = [c for c in checks if not c.ok]
    fixes = sorted(
        {
            c.fix
            for c in missing
            if c.fix.startswith("apt-get install -y ") and "--no-install-recommends" not in c.fix
        }
    )
    packages = " ".join(f.removeprefix("apt-get install -y ") for f in fixes)
    if packages:
        out.print(f"\nto install what is missing: apt-get update && apt-get install -y {packages}")
    for check in missing:
        if check.fix and check.fix not in fixes:
            out.print(f"fix for {check.name}: {check.fix}")
    if missing:
        raise typer.Exit(ExitCode.ENVIRONMENT)
    out.print(f"\nthis machine can run the lab on {backend}.")


cli_scenarios.register(app)
cli_grading.register(app)


def main() -> None:
    app()
