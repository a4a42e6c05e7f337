"""The `labtool` command: thin Typer commands over the library, one error boundary.

Results and JSON go to stdout; progress and errors go to stderr, so `--json | jq` stays clean.
A `LabtoolError` becomes one message and its exit code, never a traceback.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.status import Status
from rich.table import Table
from typer.core import TyperGroup

from labtool import __version__, doctor, runner
from labtool import lab as labmod
from labtool.backends.base import Backend
from labtool.errors import ExitCode, LabtoolError
from labtool.provisioning import Adaptation
from labtool.scenarios.engine import ScenarioResult
from labtool.scenarios.model import Scenario
from labtool.spec import LabSpec, load_lab

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

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

NameOption = Annotated[str | None, typer.Option(
    "--name", "-n", help="Lab name (default: the only lab up, else 'tp').")]


def fail(message: str, code: int = ExitCode.ERROR) -> NoReturn:
    err.print(f"[bold red]labtool: error:[/] {message}", markup=True)
    raise typer.Exit(code)


class ConsoleProgress:
    """Progress of `up` on stderr: steps, the changes made to the lab's configs, the VRRP wait."""

    def __init__(self) -> None:
        self._status: Status | None = None

    def step(self, text: str) -> None:
        err.print(f"  [cyan]•[/] {text}")

    def adaptation(self, change: Adaptation) -> None:
        used = change.used_lines.replace("\n", " + ")
        err.print(f"  [yellow]changed[/] {change.file}: '{change.lab_line}' -> {used}\n"
                  f"          why: {change.reason}")

    def waiting(self, text: str, elapsed_s: float, expected_s: float) -> None:
        if self._status is None:
            self._status = err.status(text)
            self._status.start()
            if not err.is_terminal:
                err.print(f"  [cyan]•[/] {text}")
        self._status.update(f"{text}: {elapsed_s:.1f} s elapsed")

    def close(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None


@app.callback(invoke_without_command=True)
def main_callback(
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
) -> None:
    if version:
        out.print(f"labtool {__version__}")
        raise typer.Exit()


@app.command()
def up(
    lab: Annotated[Path | None, typer.Option("--lab", help="Lab file (TOML) to use "
                                             "instead of the default lab.")] = None,
    name: NameOption = None,
    bare: Annotated[bool, typer.Option(help="Nodes with the packages and the distribution's "
                                       "default configs only, no daemon started.")] = False,
    wait: Annotated[bool, typer.Option(help="Wait until the VIP answers HTTP.")] = True,
) -> None:
    """Build the lab's cluster and start its daemons (idempotent)."""
    spec = load_lab(lab, name)
    doctor.require()
    err.print(f"labtool: lab '{spec.name}' on netns: "
              + ", ".join(f"{n.name} {n.address}" for n in spec.nodes) + f", VIP {spec.vip}")
    progress = ConsoleProgress()
    try:
        report = labmod.up(spec, progress, bare=bare, wait_vip=wait)
    finally:
        progress.close()
    if report.already_up:
        out.print(f"lab '{spec.name}' is already up; nothing changed.")
        return
    if bare:
        out.print(f"lab '{spec.name}' is up, bare, in {report.nodes_s:.2f} s: packages and "
                  "default configs only, no daemon started. Start with "
                  f"'labtool shell {spec.by_role('lb')[0].name}'.")
        return
    out.print(f"nodes up, daemons running: {report.nodes_s:.2f} s")
    if report.vip_s is not None:
        out.print(f"http://{spec.vip}/ answers from {spec.client.name}: "
                  f"\"{report.first_answer}\" (VIP on {report.vip_holder or '?'}) after "
                  f"{report.vip_s:.2f} s")
    out.print(f"lab '{spec.name}' is up. Try: labtool status, labtool shell "
              f"{spec.by_role('web')[0].name}, labtool down")


@app.command()
def status(
    name: NameOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Per node: up or down, its daemons, and who holds the VIP."""
    doctor.require_root()
    result = labmod.status(labmod.resolve_name(name))
    if as_json:
        out.print_json(json.dumps(result.as_dict()))
        return
    table = Table(title=f"lab '{result.name}' ({result.backend}, {result.phase})")
    for column in ("node", "role", "address", "state", "daemons", "VIP"):
        table.add_column(column)
    for node in result.nodes:
        daemons = ", ".join(f"{d} {'running' if ok else 'stopped'}"
                            for d, ok in node.daemons.items()) or "-"
        table.add_row(node.name, node.role, node.address, "up" if node.up else "DOWN",
                      daemons, "holds " + result.vip if result.vip in node.addresses else "")
    out.print(table)
    holders = result.vip_holders
    out.print(f"VIP {result.vip}: " + (", ".join(holders) if holders else "nobody")
              + (" (duplicate!)" if len(holders) > 1 else "")
              + f"; memory of all lab processes: {result.memory_kib / 1024:.1f} MiB")


@app.command(name="exec")
def exec_(
    node: Annotated[str, typer.Argument(help="Node to run on.")],
    command: Annotated[list[str], typer.Argument(help="Command and its arguments (after --).")],
    name: NameOption = None,
) -> None:
    """Run a command on a node; its output passes through and its exit code is kept."""
    doctor.require_root()
    _, _, backend = labmod.open_lab(labmod.resolve_name(name))
    transport = backend.transport(node)
    from labtool.transport.nsenter import NsenterTransport

    assert isinstance(transport, NsenterTransport)
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
    doctor.require_root()
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
    out.print(f"lab '{lab_name}' removed ({removed} processes) in "
              f"{time.monotonic() - started:.2f} s.")


@app.command()
def scenario(
    name: Annotated[str, typer.Argument(help="A scenario (see 'labtool scenario list'), "
                                        "'all', or 'list'.")],
    lab_name: NameOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable result.")] = False,
) -> None:
    """Run a scenario (or all of them, or list them): expected vs observed."""
    from labtool.scenarios.model import list_scenarios, load_scenario

    if name == "list":
        for scenario_name in list_scenarios():
            loaded = load_scenario(scenario_name)
            out.print(f"{scenario_name:<26} {loaded.title['en']}")
        return
    doctor.require_root()
    names = list_scenarios() if name == "all" else [name]
    scenarios = [load_scenario(n) for n in names]
    spec, _, backend = labmod.open_lab(labmod.resolve_name(lab_name))
    results = [run_one(spec, backend, s, quiet=as_json) for s in scenarios]
    if as_json:
        payload = [r.as_json() for r in results]
        out.print_json(json.dumps(payload[0] if len(payload) == 1 else payload,
                                  ensure_ascii=False))
    if any(r.verdict != "pass" for r in results):
        raise typer.Exit(ExitCode.ERROR)


def run_one(spec: LabSpec, backend: Backend, loaded: Scenario, *, quiet: bool) -> ScenarioResult:
    """One scenario with its live view on stderr, then its result table on stdout."""
    from rich.live import Live

    from labtool.live import render
    from labtool.scenarios import engine

    if quiet or not err.is_terminal:
        err.print(f"labtool: running {loaded.name}: {loaded.title['en']}")
        result = engine.run(spec, backend, loaded)
    else:
        with Live(console=err, refresh_per_second=10, transient=True) as live:
            result = engine.run(spec, backend, loaded, view=lambda f: live.update(render(f)))
    if not quiet:
        print_result(result)
    return result


def print_result(result: ScenarioResult) -> None:
    table = Table(title=f"{result.scenario}: {result.title['en']} - "
                        f"{result.verdict.upper()}")
    for column in ("fact", "expected", "observed", ""):
        table.add_column(column)
    for check in result.checks:
        table.add_row(check.fact, check.expected, json.dumps(check.observed),
                      "[green]ok[/]" if check.ok else "[red]NO[/]")
    out.print(table)
    facts = result.facts
    out.print(f"  outage {facts.outage_s:.2f} s; VIP {facts.vip_holder_before} -> "
              f"{facts.vip_holder_after}; takeover {facts.vip_takeover_s} s (adverts: "
              f"{facts.advert_takeover_s} s); requests {facts.requests}, failed "
              f"{facts.failed_requests}, slow {facts.slow_requests}; served after the fault "
              f"{facts.served_after}")
    for note in result.notes:
        out.print(f"  [yellow]note:[/] {note}")


@app.command()
def report(
    lab_name: NameOption = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="md, json or html.")] = "md",
    lang: Annotated[str, typer.Option("--lang", help="fr (the lab's) or en.")] = "fr",
    output: Annotated[Path | None, typer.Option("-o", "--output",
                                                help="Write here instead of stdout.")] = None,
) -> None:
    """The lab's table and answers, from the measured scenarios, with a timeline figure."""
    from labtool import report as reportmod
    from labtool.scenarios.engine import results_dir

    if fmt not in ("md", "json", "html"):
        fail(f"unknown format '{fmt}'. Fix: use md, json or html", ExitCode.USAGE)
    if lang not in ("fr", "en"):
        fail(f"unknown language '{lang}'. Fix: use fr or en", ExitCode.USAGE)
    name = labmod.resolve_name(lab_name)
    spec, _, _ = labmod.open_lab(name)
    results = reportmod.load_results(results_dir(name))
    text, extras = reportmod.build(results, name, str(spec.vip), fmt, lang, output)
    folder = output.parent if output else Path.cwd()
    for extra, content in extras.items():
        (folder / extra).write_bytes(content)
        err.print(f"labtool: figure written to {folder / extra}")
    if output:
        output.write_text(text)
        err.print(f"labtool: report written to {output}")
    else:
        sys.stdout.write(text)


TP_SCENARIOS = ("lose-web1", "lose-haproxy1")  # the lab's table, in its order


def _preload_matplotlib() -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot  # noqa: F401


@app.command()
def tp(
    lab: Annotated[Path | None, typer.Option("--lab", help="Lab file (TOML).")] = None,
    name: NameOption = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="md, json or html.")] = "md",
    lang: Annotated[str, typer.Option("--lang", help="fr (the lab's) or en.")] = "fr",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Report file "
                                                "(default: labtool-NAME-report.md).")] = None,
) -> None:
    """Everything the lab asks, in order, on a fresh cluster: up, lose web1, lose haproxy1,
    then the report."""
    from labtool import report as reportmod
    from labtool.scenarios.engine import results_dir
    from labtool.scenarios.model import load_scenario
    from labtool.state import LabState

    spec = load_lab(lab, name)
    doctor.require()
    if LabState.load(spec.name) is not None:
        fail(f"lab '{spec.name}' is already up; labtool tp runs on a fresh cluster. Fix: "
             f"labtool down --name {spec.name}, or labtool tp --name OTHER", ExitCode.ERROR)
    scenarios = [load_scenario(n) for n in TP_SCENARIOS]
    started = time.monotonic()
    # The report's figure needs matplotlib: import it while the protocols make us wait.
    threading.Thread(target=_preload_matplotlib, daemon=True).start()
    progress = ConsoleProgress()
    try:
        built = labmod.up(spec, progress)
    finally:
        progress.close()
    waits = (built.vip_s or 0.0) - built.nodes_s  # VRRP's own wait, from keepalived's start
    out.print(f"lab '{spec.name}' up; VIP answers after {built.vip_s or 0:.2f} s")
    spec, _, backend = labmod.open_lab(spec.name)
    results = [run_one(spec, backend, s, quiet=False) for s in scenarios]
    waits += sum(r.waits_s for r in results)
    output = output or Path(f"labtool-{spec.name}-report.{fmt}")
    text, extras = reportmod.build(reportmod.load_results(results_dir(spec.name)), spec.name,
                                   str(spec.vip), fmt, lang, output)
    for extra, content in extras.items():
        (output.parent / extra).write_bytes(content)
    output.write_text(text)
    total = time.monotonic() - started
    overhead = total - waits
    out.print(f"report: {output}" + "".join(f" (figure: {output.parent / e})" for e in extras))
    out.print(f"tp: {total:.1f} s in all, {waits:.1f} s of waits the protocols impose; "
              f"labtool's own overhead {overhead:.1f} s ({100 * overhead / total:.0f} %). "
              f"The lab stays up: labtool down --name {spec.name} when done.")
    if any(r.verdict != "pass" for r in results):
        raise typer.Exit(ExitCode.ERROR)


@app.command(name="doctor")
def doctor_cmd() -> None:
    """Check this machine: root, namespaces, each binary; print how to fix what is missing."""
    checks = doctor.all_checks()
    for check in checks:
        mark = "[green]ok[/]  " if check.ok else "[red]FAIL[/]"
        out.print(f"{mark} {check.name}: {check.detail}")
    missing = [c for c in checks if not c.ok]
    fixes = sorted({c.fix for c in missing if c.fix.startswith("apt-get")})
    packages = " ".join(f.removeprefix("apt-get install -y ") for f in fixes)
    if packages:
        out.print(f"\nto install what is missing: apt-get update && apt-get install -y {packages}")
    for check in missing:
        if not check.fix.startswith("apt-get"):
            out.print(f"fix for {check.name}: {check.fix}")
    if missing:
        raise typer.Exit(ExitCode.ENVIRONMENT)
    out.print("\nthis machine can run the lab on netns.")


def main() -> None:
    app()
