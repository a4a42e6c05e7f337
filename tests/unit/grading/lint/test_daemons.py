"""keepalived -t run by a normal user (found trying the README's lint example as one): in the
check's user namespace this machine's files belong to nobody, so keepalived calls every track
script "insecure" and exits 5; that is not the student's mistake. The real keepalived runs in
the integration tier as root; here its output as a normal user's check printed it."""

from __future__ import annotations

import pytest

from labtool.grading.lint import daemons

AS_A_USER = "Disabling track script chk_haproxy due to insecure\n"


def test_only_insecure_scripts_is_no_refusal_for_a_normal_user(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(daemons.os, "geteuid", lambda: 1000)
    assert daemons.insecure_only(AS_A_USER)
    assert not daemons.insecure_only(AS_A_USER + "(Line 3) Unknown keyword 'vrrp_instanc'\n")
    assert not daemons.insecure_only("")


def test_root_sees_an_insecure_script_as_the_students(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(daemons.os, "geteuid", lambda: 0)
    assert not daemons.insecure_only(AS_A_USER)
