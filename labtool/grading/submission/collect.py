"""`labtool collect`: a running lab (any backend) written as a submission, in the layout of
../shared/design.md (`<node>/<absolute path>` and `report.md`), as a folder, .tar.gz or .zip."""

from __future__ import annotations

import io
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

from labtool.backends.base import Backend
from labtool.errors import LabtoolError
from labtool.grading.submission.configset import HAPROXY_CFG, INDEX_HTML, KEEPALIVED_CONF
from labtool.i18n import Msg
from labtool.spec.model import LabSpec

FILES = {"lb": (KEEPALIVED_CONF, HAPROXY_CFG, "/etc/sysctl.conf"), "web": (INDEX_HTML,)}


def read_node_file(backend: Backend, node: str, path: str) -> bytes | None:
    done = backend.transport(node).run(["cat", "--", path], timeout_s=30)
    return done.stdout.encode() if done.succeeded else None


def gather(
    spec: LabSpec, backend: Backend, report: str | None, extras: dict[str, bytes]
) -> dict[str, bytes]:
    """relative path -> content: each node's lab files, then report.md and its figure."""
    files: dict[str, bytes] = {}
    for node in spec.nodes:
        for path in FILES.get(node.role, ()):
            data = read_node_file(backend, node.name, path)
            if data is not None:
                files[f"{node.name}{path}"] = data
    if report is not None:
        files["report.md"] = report.encode()
        files.update(extras)
    return files


def write(files: dict[str, bytes], output: Path) -> str:
    """Write the files as a folder, a .tar.gz or a .zip (by output's name), atomically: an
    existing output is never overwritten, a failed write leaves nothing."""
    if output.exists() or output.is_symlink():
        raise LabtoolError(
            Msg(
                "{output} already exists; collect never overwrites. Fix: remove it or "
                "choose another -o",
                output=output,
            )
        )
    name = output.name.lower()
    output.parent.mkdir(parents=True, exist_ok=True)
    if name.endswith((".tar.gz", ".tgz")):
        kind = "tar.gz"
    elif name.endswith(".zip"):
        kind = "zip"
    else:
        kind = "folder"
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".labtool-collect-") as tmp:
        staged = Path(tmp) / "out"
        now = time.time()
        if kind == "tar.gz":
            with tarfile.open(staged, "w:gz") as tar:
                for relative, data in sorted(files.items()):
                    info = tarfile.TarInfo(relative)
                    info.size, info.mtime, info.mode = len(data), int(now), 0o644
                    tar.addfile(info, io.BytesIO(data))
        elif kind == "zip":
            with zipfile.ZipFile(staged, "w", zipfile.ZIP_DEFLATED) as zipped:
                for relative, data in sorted(files.items()):
                    zipped.writestr(relative, data)
        else:
            for relative, data in files.items():
                target = staged / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
        staged.rename(output)
    return kind
