"""The house's rules, read from the code: no module takes another's private name."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[2] / "labtool"


def test_no_module_imports_another_s_private_name() -> None:
    """A name that starts with "_" is its module's own: a name two modules share is public.
    (`from x import y as _y`, a public name kept private here, is allowed.)"""
    hits = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                hits += [
                    f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_") and not alias.name.startswith("__")
                ]
    assert hits == []
