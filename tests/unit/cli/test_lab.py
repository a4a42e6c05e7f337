"""The lab's commands from the command line, without root: over the toy backend of
tests/toy_backend.py (folders for nodes, stand-ins for the daemons: see its docstring), the
CLI's own part (options, the default lab, exit codes, what it prints) is tested here; the same
commands on the real daemons are in tests/integration/test_lifecycle.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from labtool.backends import BACKENDS
from labtool.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One toy lab for the module (its up waits VRRP's start-up time, as every up does); the
    last test takes it down."""
    state = tmp_path_factory.mktemp("state")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LABTOOL_STATE_DIR", str(state))
        patch.setitem(BACKENDS, "toy", "tests.toy_backend.ToyBackend")
        up = runner.invoke(app, ["up", "--backend", "toy", "--name", "cli"])
        assert up.exit_code == 0, up.output
        yield state / "cli" / "toy"
        runner.invoke(app, ["down", "--name", "cli"])


def test_up_says_what_it_built_and_a_second_up_changes_nothing(toy: Path) -> None:
    again = runner.invoke(app, ["up", "--backend", "toy", "--name", "cli"])
    assert again.exit_code == 0, again.output
    assert "already up" in again.output


def test_status_as_json(toy: Path) -> None:
    shown = runner.invoke(app, ["status", "--json", "--name", "cli"])
    assert shown.exit_code == 0, shown.output
    status = json.loads(shown.stdout)
    assert status["lab"] == "cli" and status["backend"] == "toy"
    assert status["vip_holder"] == "haproxy1"


def test_exec_keeps_the_command_s_exit_code(toy: Path) -> None:
    page = runner.invoke(
        app, ["exec", "-n", "cli", "web1", "--", "cat", "/var/www/html/index.html"]
    )
    assert page.exit_code == 0  # (its output goes straight to the terminal, not through here)
    failed = runner.invoke(app, ["exec", "-n", "cli", "web1", "--", "sh", "-c", "exit 7"])
    assert failed.exit_code == 7
    unknown = runner.invoke(app, ["exec", "-n", "cli", "web9", "--", "true"])
    assert unknown.exit_code == 2 and "no node named 'web9'" in unknown.output


def test_halt_and_up_node_power_a_node(toy: Path) -> None:
    halted = runner.invoke(app, ["halt", "-n", "cli", "web1"])
    assert halted.exit_code == 0, halted.output
    assert not (toy / "web1" / "power").exists()
    back = runner.invoke(app, ["up", "-n", "cli", "web1"])
    assert back.exit_code == 0, back.output
    assert (toy / "web1" / "power").exists()
    assert (toy / "web1" / "run" / "active" / "apache2").exists()  # its daemon started again


def test_collect_writes_the_lab_as_a_submission(toy: Path, tmp_path: Path) -> None:
    out = tmp_path / "handed-in"
    done = runner.invoke(app, ["collect", "-n", "cli", "-o", str(out)])
    assert done.exit_code == 0, done.output
    assert (out / "web1" / "var" / "www" / "html" / "index.html").read_text() == "test web1\n"
    assert "vrrp_instance" in (out / "haproxy1/etc/keepalived/keepalived.conf").read_text()


def test_down_removes_the_lab_and_a_second_down_says_so(toy: Path) -> None:
    removed = runner.invoke(app, ["down", "--name", "cli"])
    assert removed.exit_code == 0 and "removed" in removed.output
    assert not toy.exists()
    again = runner.invoke(app, ["down", "--name", "cli"])
    assert again.exit_code == 0 and "not up" in again.output
