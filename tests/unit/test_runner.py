"""The subprocess seam: exit codes as a shell reports them, never an exception."""

from __future__ import annotations

import time
from pathlib import Path

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


def test_a_shielded_command_finishes_before_a_ctrl_c_is_raised(tmp_path: Path) -> None:
    """Ctrl-C (SIGINT to labtool) while a node's command runs: the command is not cut, it
    runs to its end in a session of its own, and then the KeyboardInterrupt comes."""
    import os
    import signal
    import threading

    import pytest

    marker = tmp_path / "finished"
    script = f"echo $(ps -o sid= -p $$) > {tmp_path}/sid; sleep 0.6; touch {marker}"
    threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        runner.run(["sh", "-c", script], shielded=True, timeout_s=10)
    assert marker.exists() and time.monotonic() - started >= 0.6
    assert int((tmp_path / "sid").read_text()) != os.getsid(0)
    threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    with pytest.raises(KeyboardInterrupt):  # not shielded: cut at once
        runner.run(["sh", "-c", f"sleep 0.6; touch {tmp_path}/unshielded"], timeout_s=10)
    time.sleep(0.8)
    assert not (tmp_path / "unshielded").exists()
