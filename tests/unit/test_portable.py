"""The core runs where there is no fcntl, termios, pty or resource (Windows): every module
outside backends/netns imports, and `labtool --help`, `vagrantfile`, `lint --no-daemons` and
`grade --no-daemons` run. A stand-in: this machine is Linux, so the four modules are made
unavailable to the interpreter (an import raises as it would on Windows)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

CORPUS = Path(__file__).parents[1] / "corpus" / "grading"

SCRIPT = textwrap.dedent("""
    import importlib, json, pkgutil, sys, warnings
    BLOCKED = ("fcntl", "termios", "pty", "resource")

    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"No module named {name!r} (as on Windows)")
            return None

    for name in BLOCKED:
        sys.modules.pop(name, None)
    sys.meta_path.insert(0, Block())
    warnings.simplefilter("ignore")  # filelock: "only soft file lock is available"
    import labtool
    imported = []
    for info in pkgutil.walk_packages(labtool.__path__, "labtool."):
        if info.name.startswith("labtool.backends.netns") or info.name == "labtool.__main__":
            continue
        importlib.import_module(info.name)
        imported.append(info.name)
    from typer.testing import CliRunner
    from labtool.cli import app
    runs = {}
    for args in (["--help"], ["vagrantfile"], ["lint", "--no-daemons", sys.argv[1]],
                 ["grade", "--no-daemons", "--format", "json", sys.argv[2]]):
        result = CliRunner().invoke(app, args)
        runs[args[0]] = [result.exit_code, repr(result.exception)
                         if result.exception and not isinstance(result.exception, SystemExit)
                         else None, result.stdout]
    print(json.dumps({"imported": imported, "runs": runs}))
""")


def test_the_core_without_posix_only_modules(tmp_path: Path) -> None:
    import json

    config = CORPUS / "jules-noreport" / "haproxy1" / "etc" / "keepalived" / "keepalived.conf"
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(config), str(CORPUS / "emma-proxmox")],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "LABTOOL_STATE_DIR": str(tmp_path / "state"),
        },
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.splitlines()[-1])
    assert "labtool.cli" in report["imported"] and "labtool.state" in report["imported"]
    assert "labtool.probes.agent" in report["imported"]
    assert "labtool.backends.vagrant" in report["imported"]
    for command, (code, error, _) in report["runs"].items():
        assert code == 0 and error is None, (command, report["runs"][command])
    assert json.loads(report["runs"]["grade"][2])[0]["grade"] == 19  # emma's, as on Linux
