"""The CLI's error boundary: one message, a non-zero exit, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from labtool.cli import app
from labtool.errors import ExitCode

runner = CliRunner()


def test_broken_lab_file_is_one_message_and_exit_2(tmp_path: Path,
                                                   monkeypatch: object) -> None:
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
