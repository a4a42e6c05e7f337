"""What keeps a submission from being run (grade --run): read from its configs, nothing run.
The lab's own configs can run; HAProxy's Lua, external checks and programs, and a keepalived
include of a file the submission does not hold, are each refused with where they are."""

from __future__ import annotations

from pathlib import Path

import pytest

from labtool.grading.lint.refusals import refusals
from labtool.grading.submission.plan import read_submission
from labtool.spec.load import default_spec
from tests.submissions import HAPROXY, KA2, correct, write

HA1 = "haproxy1/etc/haproxy/haproxy.cfg"


def refused(files: dict[str, str], folder: Path) -> list[tuple[str, str, int | None]]:
    configs, _ = read_submission(write(files, folder), default_spec())
    return [(f.message, Path(f.file).name, f.line) for f in refusals(configs)]


def test_the_labs_own_configs_can_run(tmp_path: Path) -> None:
    assert refused(correct(), tmp_path) == []


@pytest.mark.parametrize(
    ("added", "said"),
    [
        ("global\n    lua-load /tmp/x.lua\n", "'lua-load': HAProxy would run the submission's Lua"),
        ("global\n    lua-prepend-path /tmp/?.lua\n", "'lua-prepend-path'"),
        (
            "backend app\n    option external-check\n    external-check command /tmp/x\n",
            "'option external-check': HAProxy would run a health-check program",
        ),
        ("program evil\n    command /bin/sh -c id\n", "'program evil': HAProxy would start"),
    ],
)
def test_haproxy_code_is_refused_where_it_is(tmp_path: Path, added: str, said: str) -> None:
    files = correct()
    files[HA1] = HAPROXY + added
    found = refused(files, tmp_path)
    assert found, "nothing refused"
    message, name, line = found[0]
    assert message.startswith(said)
    assert name == "haproxy.cfg" and line is not None
    assert (files[HA1].splitlines()[line - 1].split() or [""])[0] in (
        added.splitlines()[1].split()[0],
        "program",
    )


def test_an_include_of_a_file_not_handed_in_is_refused(tmp_path: Path) -> None:
    files = correct()
    files[KA2] = "include /etc/shadow\n" + files[KA2]
    assert refused(files, tmp_path) == [
        (
            "'include /etc/shadow' names a file the submission does not hold: keepalived would "
            "read the grader's",
            "keepalived.conf",
            1,
        )
    ]


def test_an_include_the_submission_holds_can_run(tmp_path: Path) -> None:
    files = correct()
    files["haproxy2/etc/keepalived/vrrp.conf"] = files[KA2]
    files[KA2] = "include /etc/keepalived/vrrp.conf\n"
    assert refused(files, tmp_path) == []
