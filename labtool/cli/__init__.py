"""The command line (layer above the library): `labtool.cli.main` is the entry point.

`labtool --version` answers before anything heavy is imported; every command imports the
library it needs when it runs.
"""

from __future__ import annotations

import os
import sys
from typing import Any


def main() -> None:
    from labtool.runner import with_sbin

    os.environ["PATH"] = with_sbin(os.environ.get("PATH", os.defpath))
    if sys.argv[1:] == ["--version"]:
        from labtool import __version__

        sys.stdout.write(f"labtool {__version__}\n")
        return
    from labtool.cli.commands import app

    app()


def __getattr__(name: str) -> Any:
    if name == "app":  # `from labtool.cli import app` (tests, typer's CliRunner)
        from labtool.cli.commands import app

        return app
    raise AttributeError(name)
