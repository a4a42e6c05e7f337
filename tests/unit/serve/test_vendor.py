"""xterm.js as the package carries it (tools/vendor_xterm.py put it there from npm's pinned
releases): each file as VENDOR.json recorded it, and the pages load nothing from elsewhere."""

from __future__ import annotations

import hashlib
import json
import re

from labtool.resources import package_file
from labtool.serve.pages import STATIC

VENDOR = package_file("serve/static/vendor")


def test_every_vendored_file_is_the_release_recorded() -> None:
    record = json.loads((VENDOR / "VENDOR.json").read_text())
    assert {"xterm.mjs", "xterm.css", "addon-fit.mjs"} <= set(record)
    for name, entry in record.items():
        digest = hashlib.sha256((VENDOR / name).read_bytes()).hexdigest()
        assert digest == entry["sha256"], f"{name} is not {entry['package']} {entry['version']}"
    assert {f"vendor/{n}" for n in ("xterm.mjs", "xterm.css", "addon-fit.mjs")} <= set(STATIC)


def test_the_pages_fetch_nothing_from_elsewhere() -> None:
    for name in ("student.html", "student.js", "instructor.js", "serve.css"):
        text = package_file(f"serve/static/{name}").read_text()
        assert not re.search(r"(src|href|import)[^\n]*https?://", text), name
    for name in ("xterm.mjs", "addon-fit.mjs"):
        text = (VENDOR / name).read_text()
        assert not re.search(r"""\bimport\s*[\("'{]""", text), name  # (no module of its own)
