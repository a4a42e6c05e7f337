"""The subprocess seam: exit codes as a shell reports them, never an exception."""

from __future__ import annotations

from labtool import runner


def test_run_captures_output_and_status() -> None:
    result = runner.run(["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert (result.exit_status, result.stdout, result.stderr) == (3, "out\n", "err\n")
    assert not result.succeeded
    assert "exited with 3" in result.describe_failure()


def test_missing_command_is_127_not_an_exception() -> None:
    result = runner.run(["labtool-no-such-binary"])
    assert result.exit_status == 127
    assert "command not found" in result.stderr


def test_timeout_is_124() -> None:
    assert runner.run(["sleep", "5"], timeout_s=0.1).exit_status == 124


def test_passthrough_reports_a_signal_as_128_plus_n() -> None:
    assert runner.passthrough(["sh", "-c", "exit 5"]) == 5
    assert runner.passthrough(["sh", "-c", "kill -9 $$"]) == 137
