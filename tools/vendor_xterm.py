"""Vendor xterm.js into the package (serve's terminals): the pinned releases of `@xterm/xterm`
and `@xterm/addon-fit` fetched from the npm registry, checked against their published
integrity, and the files the page loads copied into labtool/serve/static/vendor/ with their
SHA-256 in VENDOR.json. Run by a developer when the pins change; the package then carries them:
nothing is fetched when labtool runs (tests/unit/serve/test_vendor.py checks the files).

    python3 tools/vendor_xterm.py        # fetch, check, copy
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

REGISTRY = "https://registry.npmjs.org"
VENDOR = Path(__file__).resolve().parent.parent / "labtool" / "serve" / "static" / "vendor"
# package, version, its tarball's sha512 as npm publishes it, the files kept (in -> out)
PINS = [
    (
        "@xterm/xterm",
        "6.0.0",
        "sha512-TQwDdQGtwwDt+2cgKDLn0IRaSxYu1tSUjgKarSDkUM0ZNiSRXFpjxEsvc/Zgc5kq5omJ+V0a8/kIM2WD3sMOYg==",
        {"lib/xterm.mjs": "xterm.mjs", "css/xterm.css": "xterm.css", "LICENSE": "xterm.LICENSE"},
    ),
    (
        "@xterm/addon-fit",
        "0.11.0",
        "sha512-jYcgT6xtVYhnhgxh3QgYDnnNMYTcf8ElbxxFzX0IZo+vabQqSPAjC3c1wJrKB5E19VwQei89QCiZZP86DCPF7g==",
        {"lib/addon-fit.mjs": "addon-fit.mjs", "LICENSE": "addon-fit.LICENSE"},
    ),
]


def fetch(package: str, version: str, integrity: str) -> bytes:
    base = package.rpartition("/")[2]
    url = f"{REGISTRY}/{package}/-/{base}-{version}.tgz"
    with urllib.request.urlopen(url, timeout=60) as answer:
        data: bytes = answer.read()
    digest = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if digest != integrity:
        sys.exit(f"vendor_xterm: {url} is not the release pinned ({digest} != {integrity})")
    return data


def main() -> None:
    VENDOR.mkdir(parents=True, exist_ok=True)
    record: dict[str, object] = {}
    for package, version, integrity, files in PINS:
        with tarfile.open(fileobj=io.BytesIO(fetch(package, version, integrity))) as tar:
            for inside, out in files.items():
                member = tar.extractfile(f"package/{inside}")
                assert member is not None, inside
                data = member.read()
                (VENDOR / out).write_bytes(data)
                record[out] = {
                    "package": package,
                    "version": version,
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
    (VENDOR / "VENDOR.json").write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    print(f"vendor_xterm: {len(record)} files in {VENDOR}")


if __name__ == "__main__":
    main()
