"""Domain errors and exit codes.

Library code raises a `LabtoolError` carrying one message a user can act on; only the CLI
turns it into output and an exit code. Nothing here prints.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes of the `labtool` command, documented once in the README."""

    OK = 0
    ERROR = 1  # the lab or the command failed
    USAGE = 2  # bad command line or bad input file
    ENVIRONMENT = 3  # not root, a missing binary, a kernel feature missing
    INTERRUPTED = 130  # Ctrl-C


class LabtoolError(Exception):
    """An error with one clear message for the user."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LabFileError(LabtoolError):
    """A lab file (or an option naming lab values) is invalid."""

    exit_code = ExitCode.USAGE


class EnvironmentProblem(LabtoolError):
    """The machine cannot run the lab: not root, a binary or kernel feature missing."""

    exit_code = ExitCode.ENVIRONMENT


class UsageError(LabtoolError):
    """The command line asks for something that cannot be (a missing path, nothing to do)."""

    exit_code = ExitCode.USAGE
