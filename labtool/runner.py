"""The one seam every subprocess goes through, so tests can observe the exact argv.

Nothing here knows about labs: it runs a command and hands back what it printed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

# The daemons and tools labtool runs live in sbin, which a normal user's PATH lacks.
SBIN = ("/usr/local/sbin", "/usr/sbin", "/sbin")


def with_sbin(path: str) -> str:
    """A PATH with the sbin folders at its end (where missing)."""
    parts = path.split(os.pathsep)
    return os.pathsep.join([*parts, *(p for p in SBIN if p not in parts)])


def which(name: str) -> str | None:
    """A binary on the PATH or in the sbin folders (a normal user's PATH has none of them)."""
    return shutil.which(name, path=with_sbin(os.environ.get("PATH", os.defpath)))


@dataclass(frozen=True)
class CommandResult:
    """What one command did."""

    argv: tuple[str, ...]
    exit_status: int
    stdout: str
    stderr: str

    @property
    def succeeded(self) -> bool:
        return self.exit_status == 0

    def describe_failure(self) -> str:
        """A one-paragraph account of a failed command, for an error message."""
        detail = (self.stderr.strip() or self.stdout.strip()).splitlines()[-5:]
        tail = ("\n  " + "\n  ".join(detail)) if detail else ""
        return f"'{' '.join(self.argv)}' exited with {self.exit_status}{tail}"


def run(
    argv: Sequence[str],
    *,
    input_text: str | None = None,
    timeout_s: float | None = 60.0,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    shielded: bool = False,
) -> CommandResult:
    """Run argv to completion and capture its output (never raises on a non-zero exit).

    `shielded`: the command runs in a session of its own, so a Ctrl-C or a closed terminal
    never reaches it, and a Ctrl-C that reaches labtool meanwhile waits for it to finish
    (within its timeout) before it is raised: a node is never left half-changed by one
    command (a daemon stopped and not yet started again)."""
    try:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE if input_text is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",  # (a daemon may print a student's bytes back: never a crash)
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=shielded,
        )
    except FileNotFoundError:
        return CommandResult(tuple(argv), 127, "", f"{argv[0]}: command not found")
    interrupted: KeyboardInterrupt | None = None
    deadline = time.monotonic() + timeout_s if timeout_s is not None else None
    given = input_text
    while True:
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            out, err = proc.communicate(given, timeout=left)
            break
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            if interrupted is not None:
                raise interrupted from None
            return CommandResult(tuple(argv), 124, out or "", f"timed out after {timeout_s} s")
        except KeyboardInterrupt as exc:
            if not shielded:
                proc.kill()
                proc.wait()
                raise
            interrupted = exc  # finish first; a second Ctrl-C waits too
            given = None
    if interrupted is not None:
        raise interrupted
    return CommandResult(tuple(argv), proc.returncode, out, err)


def spawn(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    stderr: IO[str] | int | None = subprocess.DEVNULL,
    new_session: bool = False,
    stdin_pipe: bool = False,
) -> subprocess.Popen[str]:
    """Start argv without waiting: stdout a pipe, stderr to the given file (default: dropped),
    stdin closed or a pipe (closing it is how labtool asks its probes to stop)."""
    return subprocess.Popen(
        list(argv),
        stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env=dict(env) if env is not None else None,
        start_new_session=new_session,
    )


def passthrough(argv: Sequence[str], *, env: Mapping[str, str] | None = None) -> int:
    """Run argv on this terminal (stdin, stdout, stderr shared) and return its exit code,
    128 + N for a command killed by signal N, as a shell reports it."""
    code = subprocess.call(list(argv), env=dict(env) if env is not None else None)
    return code if code >= 0 else 128 - code
