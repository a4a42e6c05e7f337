"""Labs without root, and a node's root that is nobody on this machine.

A normal user made for these tests (tests/student.py: useradd, its range of ids in
/etc/subuid, labtool from a plain `pip install` into its own venv, the real command line run
through setpriv: no sudo, no capability) builds its lab, breaks it, does it by hand, watches it
in chromium and removes it, while root's lab runs beside it: neither sees the other, and
nothing of the user's is left. Then, from a node's shell, its root tries to reach this machine,
in root's lab and in the user's: every try fails."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.integration.browser import Browser
from tests.integration.conftest import Baseline, lab_up_during, labtool, wait_until
from tests.integration.test_by_hand import Hand, the_lab_by_hand
from tests.integration.test_watch import Watch
from tests.student import Student

STUDENT = "lt-student"
USER_LAB = "it-user"
USER_BARE = "it-user-hand"
ROOT_LAB = "it-rootside"


@pytest.fixture(scope="module")
def root_lab() -> Iterator[str]:
    yield from lab_up_during(ROOT_LAB)


def scenario(student: Student, lab: str, name: str) -> dict[str, Any]:
    run = student.labtool("scenario", name, "--json", "--name", lab, timeout_s=300)
    assert run.stdout, run.stderr
    result: dict[str, Any] = json.loads(run.stdout)
    return result


def test_a_students_lab_beside_roots(student: Student, root_lab: str, baseline: Baseline) -> None:
    up = student.labtool("up", "--name", USER_LAB)
    assert up.returncode == 0, up.stdout + up.stderr
    assert "answers from client" in up.stdout

    # Its processes are the student's and its range's, never root's.
    from labtool.backends.netns import procs

    mine = procs.lab_marked(USER_LAB, owner=student.uid)
    assert mine
    owners = {os.stat(f"/proc/{pid}").st_uid for pid in mine if os.path.exists(f"/proc/{pid}")}
    assert 0 not in owners and student.uid in owners

    # Each sees and chooses only its own labs, and says so when asked for the other's.
    status = student.labtool("status", "--json")  # (no --name: its only lab)
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)
    assert data["lab"] == USER_LAB and data["vip_holder"] == "haproxy1"
    theirs = student.labtool("status", "--name", ROOT_LAB)
    assert theirs.returncode == 3
    assert f"lab '{ROOT_LAB}' is root's, not yours" in theirs.stderr
    refused = student.labtool("down", "--name", ROOT_LAB)
    assert refused.returncode == 3 and "is root's" in refused.stderr
    seen_by_root = labtool("status", "--name", USER_LAB)
    assert seen_by_root.returncode == 3
    assert f"lab '{USER_LAB}' is {STUDENT}'s, not root's" in seen_by_root.stderr
    assert (
        json.loads(labtool("status", "--json", "--name", ROOT_LAB).stdout)["vip_holder"]
        == "haproxy1"
    )

    # The lab's two failures, measured as the student runs them.
    lost = scenario(student, USER_LAB, "lose-haproxy1")
    assert lost["verdict"] == "pass", lost["checks"]
    theory, metrics = lost["theory"], lost["metrics"]
    advert = (theory["vrrp_master_down_s"] - theory["vrrp_skew_s"]) / 3
    low = 2 * advert + theory["vrrp_skew_s"]  # the last advert just before the fault
    high = theory["vrrp_master_down_s"] + 0.2  # just after it (+ the netns bound's margin)
    assert low - 0.05 <= metrics["vip_takeover_s"] <= high, metrics
    web = scenario(student, USER_LAB, "lose-web1")
    assert web["verdict"] == "pass", web["checks"]
    assert set(web["metrics"]["served_after_detect"]) == {"web2"}
    others = student.labtool("scenario", "list")
    assert others.returncode == 0, others.stderr
    for name in [line.split()[0] for line in others.stdout.splitlines() if line.strip()]:
        if name in ("lose-haproxy1", "lose-web1"):
            continue
        result = scenario(student, USER_LAB, name)
        assert result["verdict"] == "pass", (name, result["checks"])

    # The student's other commands: a node halted and powered on, a shell, the answer sheet,
    # the lab collected and graded.
    halted = student.labtool("halt", "web1", "--name", USER_LAB)
    assert halted.returncode == 0, halted.stderr
    assert not json.loads(student.labtool("status", "--json").stdout)["nodes"][2]["up"]
    assert student.labtool("up", "web1", "--name", USER_LAB).returncode == 0
    shell = student.labtool(
        "shell",
        "web1",
        "--name",
        USER_LAB,
        input_text="hostname; id -u; cat /etc/hostname\nexit 0\n",
    )
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.split() == ["web1", "0", "web1"], shell.stdout
    assert "[root@web1 ~]#" in shell.stderr
    report = student.labtool("report", "--name", USER_LAB, "-o", str(student.home / "r.md"))
    assert report.returncode == 0, report.stderr
    assert "10.0.0.10" in (student.home / "r.md").read_text()
    collected = student.labtool(
        "collect", "--name", USER_LAB, "-o", str(student.home / "me.tar.gz")
    )
    assert collected.returncode == 0, collected.stderr
    graded = student.labtool("grade", str(student.home / "me.tar.gz"), "--format", "json")
    assert json.loads(graded.stdout)[0]["score"] > 15, graded.stdout

    # Root's lab did not notice.
    assert (
        json.loads(labtool("status", "--json", "--name", ROOT_LAB).stdout)["vip_holder"]
        == "haproxy1"
    )
    down = student.labtool("down", "--name", USER_LAB)
    assert down.returncode == 0, down.stderr
    assert procs.lab_marked(USER_LAB, owner=student.uid) == {}
    assert not (student.state_root() / USER_LAB).exists()

    # The whole lab in one command, as the student: up, lose web1, lose haproxy1, the report.
    tp = student.labtool("tp", "--name", USER_LAB, "-o", str(student.home / "tp.md"), timeout_s=300)
    assert tp.returncode == 0, tp.stdout + tp.stderr
    assert "haproxy2" in (student.home / "tp.md").read_text()
    assert student.labtool("down", "--name", USER_LAB).returncode == 0
    wait_until(lambda: student.processes() == [], 5, "the student's processes gone")
    baseline.assert_clean(USER_LAB)  # (namespaces and mounts; root's lab is still up)


def test_a_student_does_the_lab_by_hand_and_watches_it(
    student: Student, baseline: Baseline
) -> None:
    up = student.labtool("up", "--bare", "--name", USER_BARE)
    assert up.returncode == 0, up.stdout + up.stderr
    the_lab_by_hand(Hand(student.labtool, USER_BARE))

    watch = Watch(
        USER_BARE, student.home, command=student.argv(str(student.labtool_bin)), env=student.env()
    )
    browser = Browser(1280, 800)
    try:
        browser.goto(watch.url)
        browser.wait_for(
            "document.getElementById('watch').dataset.vipHolder === 'haproxy1'"
            " || document.getElementById('watch').dataset.vipHolder === "
            "'haproxy2'",
            15,
        )
        browser.wait_for("document.getElementById('counts').textContent.match(/web2 [1-9]/)", 15)
    finally:
        browser.close()
        watch.stop()
    down = student.labtool("down", "--name", USER_BARE)
    assert down.returncode == 0, down.stderr
    wait_until(lambda: student.processes() == [], 5, "the student's processes gone")
    assert not (student.state_root() / USER_BARE).exists()
    baseline.assert_clean(USER_BARE)


# --- a node's root against this machine ---------------------------------------------------


class Quiet(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"host")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def host_server() -> Iterator[int]:
    """A page on this machine's 127.0.0.1, which no node may reach."""
    server = HTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()


BREAK_OUT = """
touch tmp/labtool-cwd-probe
echo x >> /etc/passwd; echo "passwd $?"
echo "shadow $(cat /etc/shadow | base64 -w0)"
kill -9 {victim}; echo "kill $?"
python3 -c 'import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open("/dev/null", os.O_RDONLY)
print("module", libc.syscall(313, fd, b"", 0), ctypes.get_errno())'
# (this machine's kernel settings: the same value written back, harmless where it is allowed)
echo "$(cat /proc/sys/vm/swappiness)" > /proc/sys/vm/swappiness; echo "kernel $?"
curl -s -m 3 http://127.0.0.1:{port}/; echo "local $?"
ip route get 192.0.2.1 >/dev/null 2>&1; echo "route $?"
touch /usr/labtool-was-here; echo "usr $?"
umount /tmp 2>/dev/null; echo "umount $?"
mount -o remount,bind,rw / 2>/dev/null; echo "remount $?"
echo x > /tmp/labtool-escape-probe; touch /usr/labtool-was-here
echo "# mine" >> /etc/hosts; echo "own-file $?"
sleep 60 & kill -9 $!; echo "own-kill $?"
"""


def break_out(run: Any, lab: str, port: int) -> dict[str, str]:
    """Each try from haproxy1's shell, as the node's root; what each said."""
    victim = subprocess.Popen(["sleep", "60"])
    try:
        passwd = Path("/etc/passwd").read_bytes()
        done = run(
            "exec",
            "haproxy1",
            "--name",
            lab,
            "--",
            "bash",
            "-c",
            BREAK_OUT.format(victim=victim.pid, port=port),
        )
        assert "uid=0" in run("exec", "haproxy1", "--name", lab, "--", "id").stdout
        assert Path("/etc/passwd").read_bytes() == passwd
        assert victim.poll() is None, "a host process was killed from a node"
        assert not Path("/usr/labtool-was-here").exists()
        # (its first command's folder is the node's "/", not this machine's)
        assert not Path("/tmp/labtool-cwd-probe").exists()
        # (nor can the node unmount its own /tmp, or make this machine's view writable again)
        assert not Path("/tmp/labtool-escape-probe").exists()
    finally:
        victim.kill()
        victim.wait()
    said = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    return said


def assert_nothing_reached(said: dict[str, str]) -> None:
    """Each try on this machine failed, while the same root changes its own node (the tries
    fail for the right reason, not because nothing can run)."""
    assert said["own-file"] == "0" and said["own-kill"] == "0", said
    assert said["passwd"] != "0" and said["usr"] != "0", said
    # The node's /etc/shadow is its own, with no password; this machine's is not readable.
    shadow = base64.b64decode(said["shadow"]).decode()
    assert shadow == "root:*:19000:0:99999:7:::\n", shadow
    assert said["kill"] != "0", said  # (not even to be seen from the node)
    # EPERM: no CAP_SYS_MODULE on this machine (ENOSYS: a kernel without modules, as here)
    assert said["module"].split()[0] == "-1" and said["module"].split()[1] in ("1", "38"), said
    assert said["kernel"] != "0", said  # nor any setting of this machine's kernel
    assert said["local"] != "0", said  # this machine's 127.0.0.1 is not the node's
    assert said["route"] != "0", said  # no route off the lab's LAN
    assert said["umount"] != "0" and said["remount"] != "0", said  # (locked by the kernel)


def test_a_nodes_root_cannot_reach_this_machine_in_roots_lab(
    root_lab: str, host_server: int
) -> None:
    assert_nothing_reached(break_out(labtool, root_lab, host_server))


def test_a_nodes_root_cannot_reach_this_machine_in_a_users_lab(
    student: Student, host_server: int
) -> None:
    up = student.labtool("up", "--name", USER_LAB)
    assert up.returncode == 0, up.stdout + up.stderr
    try:
        assert_nothing_reached(break_out(student.labtool, USER_LAB, host_server))
    finally:
        assert student.labtool("down", "--name", USER_LAB).returncode == 0
