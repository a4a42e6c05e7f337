"""The Backend is the only seam: a backend is one module and one line in BACKENDS. The toy
backend of tests/toy_backend.py (folders for nodes, stand-ins for the daemons: see its
docstring) plugs in with that one line and runs `up`, `status` and `down` through the same
provisioning path as netns and Vagrant."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from labtool.backends import BACKENDS
from labtool.provision import lab
from labtool.provision.converge import converge
from labtool.provision.files import Adaptation
from labtool.spec.load import default_spec

REPO = Path(__file__).parents[3]


class Quiet:
    def __init__(self) -> None:
        self.steps: list[str] = []

    def step(self, text: str) -> None:
        self.steps.append(text)

    def adaptation(self, change: Adaptation) -> None:
        self.steps.append(f"adapted {change.file}")

    def waiting(self, text: str, elapsed_s: float, expected_s: float) -> None:
        return None


def test_a_toy_backend_plugs_in_with_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LABTOOL_STATE_DIR", str(tmp_path))
    monkeypatch.setitem(BACKENDS, "toy", "tests.toy_backend.ToyBackend")  # the one line
    progress = Quiet()
    report = lab.up(default_spec("seam"), progress, backend_name="toy")

    assert report.vip_s is not None and report.first_answer == "test web1"
    assert report.vip_holder == "haproxy1"
    # keepalived on the intended MASTER first, on the others after (the lab's order)
    assert progress.steps.index(
        "keepalived started on haproxy1, the intended MASTER"
    ) < progress.steps.index("keepalived started on haproxy2")
    root = tmp_path / "seam" / "toy"
    assert (
        "server  app2 10.0.0.22:80 check" in (root / "haproxy2/etc/haproxy/haproxy.cfg").read_text()
    )
    assert (root / "web1/var/www/html/index.html").read_text() == "test web1\n"
    assert "net.ipv4.ip_nonlocal_bind=1" in (root / "haproxy1/etc/sysctl.conf").read_text()

    # The same path again changes nothing, and says so.
    _, _, backend = lab.open_lab("seam")
    transports = {n.name: backend.transport(n.name) for n in backend.spec.nodes}
    again = converge(backend.spec, transports, installs_packages=False)
    assert [c.describe() for c in again] == [
        f"{n} (this machine): no change" for n in ("haproxy1", "haproxy2", "web1", "web2", "client")
    ]

    status = lab.status("seam").as_dict()
    assert status["backend"] == "toy" and status["vip_holder"] == "haproxy1"
    assert all(n["up"] and all(n["daemons"].values()) for n in status["nodes"])  # type: ignore[index]

    assert lab.up(default_spec("seam"), Quiet(), backend_name="toy").already_up
    assert lab.down("seam") == 5
    assert not (tmp_path / "seam").exists()
    assert lab.down("seam") is None


def test_callers_do_not_probe_backends_for_attributes() -> None:
    """What a backend offers is declared in its base class, not found with getattr."""
    pattern = re.compile(r"(getattr|hasattr|setattr)\(\s*(self\.)?backend\b|backend\.name\s*[!=]=")
    hits = [
        f"{p.relative_to(REPO)}:{i}"
        for p in (REPO / "labtool").rglob("*.py")
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert hits == []


def test_a_toy_backend_is_chosen_on_the_command_line_with_that_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The CLI's choices, `doctor` and `up` of a backend come from the registry alone."""
    from typer.testing import CliRunner

    from labtool.cli import app

    monkeypatch.setenv("LABTOOL_STATE_DIR", str(tmp_path))
    monkeypatch.setitem(BACKENDS, "toy", "tests.toy_backend.ToyBackend")  # the one line
    runner = CliRunner()
    assert "toy" in runner.invoke(app, ["up", "-h"], terminal_width=200).output
    doctor = runner.invoke(app, ["doctor", "--backend", "toy"])
    assert doctor.exit_code == 0 and "this machine can run the lab on toy" in doctor.output
    up = runner.invoke(app, ["up", "--backend", "toy", "--name", "seam2"])
    assert up.exit_code == 0, up.output
    assert lab.status("seam2").as_dict()["backend"] == "toy"
    assert lab.down("seam2") == 5


def test_no_backend_is_named_outside_backends() -> None:
    """No code outside labtool/backends/ asks for a backend by its name (a string "netns",
    "vagrant", or their modules): what a backend does is declared on its class, its own
    options and commands are in its package. Text for a person may name them (sentences)."""
    import ast

    from labtool.backends import BACKENDS as REGISTRY

    names = set(REGISTRY)
    hits = []
    for path in (REPO / "labtool").rglob("*.py"):
        if "backends" in path.relative_to(REPO / "labtool").parts[:1]:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
                if text in names or any(f"backends.{n}" in text for n in names):
                    hits.append(f"{path.relative_to(REPO)}:{node.lineno}: {text!r}")
            module = node.module if isinstance(node, ast.ImportFrom) else None
            if module and any(module.startswith(f"labtool.backends.{n}") for n in names):
                hits.append(f"{path.relative_to(REPO)}:{node.lineno}: {node.module}")
    assert hits == []
