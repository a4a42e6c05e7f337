"""What refuses a normal user's labs on a kernel: each setting named, with both fixes."""

from __future__ import annotations

from pathlib import Path

from labtool.doctor import userns_refused


def test_each_setting_that_refuses_is_named_with_the_sysctl_and_sudo(tmp_path: Path) -> None:
    apparmor = tmp_path / "apparmor_restrict_unprivileged_userns"
    count = tmp_path / "max_user_namespaces"
    settings = (
        (str(count), "0", "user.max_user_namespaces", "15000"),
        (str(apparmor), "1", "kernel.apparmor_restrict_unprivileged_userns", "0"),
    )
    assert userns_refused(settings) is None  # (neither file: an older kernel, allowed)
    apparmor.write_text("1\n")
    said = userns_refused(settings)
    assert said is not None
    assert "(kernel.apparmor_restrict_unprivileged_userns=1)" in said
    assert "Fix: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0" in said
    assert "or run the lab as root: sudo labtool up" in said
    apparmor.write_text("0\n")
    count.write_text("0\n")
    assert "sudo sysctl -w user.max_user_namespaces=15000" in (userns_refused(settings) or "")
    count.write_text("63000\n")
    assert userns_refused(settings) is None
