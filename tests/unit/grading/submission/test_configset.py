"""Config files typed by their content, whatever their names (issue 22): the README's own lint
example names the keepalived files haproxy1.conf and haproxy2.conf."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from labtool.grading.submission.configset import from_files, kind_of
from tests.submissions import correct


def _laid(folder: Path) -> list[Path]:
    files = correct()
    laid = {
        "haproxy1.conf": files["haproxy1/etc/keepalived/keepalived.conf"],
        "haproxy2.conf": files["haproxy2/etc/keepalived/keepalived.conf"],
        "haproxy.cfg": files["haproxy1/etc/haproxy/haproxy.cfg"],
    }
    for name, text in laid.items():
        (folder / name).write_text(text)
    return [folder / name for name in laid]


def test_keepalived_files_named_haproxy_are_read_as_keepalived(tmp_path: Path) -> None:
    configs = from_files(_laid(tmp_path))
    assert sorted(Path(n).name for n in configs.keepalived) == ["haproxy1.conf", "haproxy2.conf"]
    assert [Path(n).name for n in configs.haproxy] == ["haproxy.cfg"]
    assert not configs.missing


def test_the_readme_lint_example_prints_no_syntax_error(tmp_path: Path) -> None:
    """`labtool lint haproxy1.conf haproxy2.conf haproxy.cfg`, as the README writes it (an
    instructor's grade of the lab's own configs: nothing wrong)."""
    _laid(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "labtool", "lint", "haproxy1.conf", "haproxy2.conf", "haproxy.cfg"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(Path(__file__).parents[4]), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SYNTAX" not in done.stdout and "0 errors" in done.stdout, done.stdout


def test_a_comment_does_not_type_a_file_and_the_name_decides_only_when_content_is_silent(
    tmp_path: Path,
) -> None:
    haproxy = b"# copied next to my vrrp_instance notes\nglobal\n    daemon\nfrontend web\n"
    assert kind_of(tmp_path / "keepalived.conf", haproxy) == "haproxy"
    assert kind_of(tmp_path / "vrrp.txt", b"") == "keepalived"
    assert kind_of(tmp_path / "notes.conf", b"# nothing yet\n") is None
    block = b"global_defs{\n}\nvrrp_instance VI_1{\n}\n"
    assert kind_of(tmp_path / "haproxy.cfg", block) == "keepalived"
