"""A submission's configs as grade --run runs them: scripts unprivileged, HAProxy as the same
user, each change said."""

from __future__ import annotations

from labtool.grading.run import confine
from tests.submissions import HAPROXY, KEEPALIVED

KA = KEEPALIVED.replace("{state}", "MASTER").replace("{priority}", "101")


def which(name: str) -> str | None:
    return {"killall": "/usr/bin/killall", "pidof": "/usr/bin/pidof"}.get(name)


def test_scripts_run_as_haproxy_with_script_security_whatever_the_submission_says() -> None:
    text, said = confine.confine_keepalived(KA, which)
    head = text.split("\n\n")[0].splitlines()
    assert head[1:] == [
        "global_defs {",
        "    script_user haproxy",
        "    enable_script_security",
        "}",
    ]
    assert "# (labtool grade --run) script_user root" in text
    assert "# (labtool grade --run) enable_script_security" in text
    live = [line.strip() for line in text.splitlines() if not line.strip().startswith("#")]
    assert live.count("script_user haproxy") == 1 and "script_user root" not in live
    assert any("replaced" in s for s in said)


def test_a_script_without_its_path_gets_the_path_found_here() -> None:
    """The lab's own `killall -0 haproxy`: keepalived with script security refuses it."""
    lab = 'vrrp_script reload_haproxy {\n        script "killall -0 haproxy"\n}\n'
    text, said = confine.confine_keepalived(lab, which)
    assert 'script "/usr/bin/killall -0 haproxy"' in text
    assert any("/usr/bin/killall" in s for s in said)
    text, _ = confine.confine_keepalived('    notify_master "/etc/keepalived/m.sh"\n', which)
    assert 'notify_master "/etc/keepalived/m.sh"' in text
    text, said = confine.confine_keepalived('    script "nosuch -x"\n', which)
    assert 'script "nosuch -x"' in text and not [s for s in said if "nosuch" in s]


def test_haproxy_runs_as_the_scripts_user() -> None:
    text, said = confine.run_as_user(HAPROXY)
    assert said == []  # the submission's own `user haproxy`, `group haproxy`
    bare = HAPROXY.replace("    user        haproxy\n", "").replace("    group       haproxy\n", "")
    text, said = confine.run_as_user(bare)
    globals_ = text.split("defaults")[0]
    assert "    user haproxy" in globals_ and "    group haproxy" in globals_
    assert said and "added" in said[0]
    text, said = confine.run_as_user(HAPROXY.replace("user        haproxy", "user root"))
    assert "user haproxy" in text and "user root" not in text
    text, said = confine.run_as_user("frontend main\n    bind *:80\n")
    assert text.startswith("global\n    user haproxy\n    group haproxy\n")


def test_lvs_sync_is_left_out_as_up_does() -> None:
    text, had = confine.without_lvs_sync("    lvs_sync_daemon_interface eth1\n    interface eth1\n")
    assert had and text.startswith("    # (labtool) lvs_sync_daemon_interface eth1")
    assert confine.without_lvs_sync("interface eth1\n") == ("interface eth1\n", False)


def test_the_stats_socket_the_probes_read_is_added_once() -> None:
    from labtool.grading.run.confine import with_stats_socket

    path = "/var/lib/haproxy/stats"
    theirs = "global\n    daemon\n\ndefaults\n    mode http\n"
    added = with_stats_socket(theirs, path)
    assert added.splitlines()[:2] == [
        "global",
        f"    stats socket {path}  # labtool grade --run: its probes",
    ]
    assert with_stats_socket(added, path) == added
    centos = "global\n    stats socket /var/lib/haproxy/stats level admin\n"
    assert with_stats_socket(centos, path) == centos
    bare = with_stats_socket("frontend f\n    bind *:80\n", path)
    assert bare.startswith("global\n    stats socket") and "frontend f" in bare
