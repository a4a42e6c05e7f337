"""The CLI's error boundary: one message, a non-zero exit, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from labtool.cli import app
from labtool.errors import ExitCode

runner = CliRunner()


def test_broken_lab_file_is_one_message_and_exit_2(tmp_path: Path, monkeypatch: object) -> None:
    lab = tmp_path / "lab.toml"
    lab.write_text('[nodes.web3]\nrole = "web"\naddress = "10.0.0.21"\n')
    result = runner.invoke(app, ["up", "--lab", str(lab)])
    assert result.exit_code == ExitCode.USAGE
    assert "Traceback" not in result.output
    assert f"{lab}: nodes.web3.address: 10.0.0.21 is already used by web1" in result.output
    assert "Fix:" in result.output


def test_exec_without_a_command_is_a_usage_error() -> None:
    result = runner.invoke(app, ["exec", "web1"])
    assert result.exit_code == ExitCode.USAGE


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("labtool ")


def test_every_command_has_help() -> None:
    for command in ("up", "status", "exec", "shell", "down", "doctor"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0, command


def test_an_error_quoting_brackets_is_printed_not_parsed(tmp_path: Path) -> None:
    """HAProxy says '[/etc/haproxy/haproxy.cfg:29]': rich must not read it as a tag."""
    from labtool.cli.console import ConsoleProgress, fail
    from labtool.provision.files import Adaptation

    ConsoleProgress().step("==> [/etc/haproxy/haproxy.cfg:29] : warning")
    ConsoleProgress().adaptation(Adaptation("[/x]", "[/y]", "[/z]", "[/w]"))
    with pytest.raises(typer.Exit):
        fail("haproxy: [/etc/haproxy/haproxy.cfg:29] : 'pidfile' already specified")


@pytest.mark.parametrize(
    ("raised", "says"),
    [
        (
            OSError(28, "No space left on device", "/x/report.md"),
            "cannot use /x/report.md: the disk is full",
        ),
        (
            __import__("subprocess").CalledProcessError(
                1, ["vagrant", "status"], output="1,,error-exit,E,No usable default provider\n"
            ),
            "'vagrant status' failed (exit 1): 1,,error-exit,E,No usable default provider",
        ),
        (RuntimeError("boom"), "unexpected RuntimeError: boom. This is a bug in labtool"),
    ],
)
def test_any_error_a_user_can_cause_is_one_message(
    raised: Exception, says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not only labtool's own errors: the machine's (a full disk), a tool's, a bug's."""
    from labtool.spec import load

    def fail(*args: object, **kwargs: object) -> None:
        raise raised

    monkeypatch.delenv("LABTOOL_DEBUG", raising=False)
    monkeypatch.setattr(load, "load_lab", fail)
    result = runner.invoke(app, ["vagrantfile"])
    assert result.exit_code == ExitCode.ERROR
    assert "Traceback" not in result.output
    assert result.output.count("labtool: error:") == 1
    assert says in " ".join(result.output.split()), result.output


def test_dash_h_and_help_show_the_help() -> None:
    for args in (["-h"], ["help"], ["help", "scenario"], ["up", "-h"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
        assert "Usage:" in result.output
    assert "Usage: labtool scenario" in " ".join(
        runner.invoke(app, ["help", "scenario"]).output.split()
    )
    unknown = runner.invoke(app, ["help", "nope"])
    assert unknown.exit_code == 1 and "no command 'nope'" in unknown.output


def test_a_reader_that_leaves_early_gets_no_error() -> None:
    """`labtool exec -h | head -12`: the help's last lines meet a closed pipe; no message."""
    import shlex
    import subprocess
    import sys

    labtool = f"{shlex.quote(sys.executable)} -m labtool"
    for command in (f"{labtool} exec -h | head -12", f"{labtool} help exec | head -1"):
        run = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=60)
        assert run.stderr == "", command
        assert run.stdout.count("\n") in (1, 12)
