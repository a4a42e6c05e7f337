"""`labtool serve` for real: the command as an instructor starts it (on 127.0.0.1, a port of its
own), two students in two headless chromiums (each its own profile: its own cookies), the
instructor in a third. Each student signs in with their code, gets their own confined lab,
types the lab's first command in haproxy1's terminal (xterm.js, a WebSocket to the node's
shell) and sees yum's output; the check list and the instructor's tiles follow within 2 s.
Screenshots of both pages are kept in $LABTOOL_ARTIFACTS (1280x800) and were looked at."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from labtool.backends.netns import procs
from tests.integration.browser import Browser
from tests.integration.conftest import labtool
from tests.integration.serve_client import Client
from tests.integration.test_watch import ARTIFACTS

CHECK_WITHIN_S = 2.0
ROSTER = "id,name,email\nit-sa,Alice Martin,alice@example.org\nit-sb,Bruno Diaz,bruno@example.org\n"
LABS = ("class-it-sa", "class-it-sb")
AGAIN = "id,name,email\nit-sk,Karim Ait,karim@example.org\n"  # (the restarts' own student)


@dataclass
class Served:
    proc: subprocess.Popen[str]
    url: str
    instructor_url: str
    codes: dict[str, str]  # student id -> code
    folder: Path
    said: list[str]

    def stop(self) -> str:
        """Ctrl-C, as a terminal sends it (to the process group)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
        out, _ = self.proc.communicate(timeout=120)
        return "".join(self.said) + out


def start_serve(folder: Path, roster_text: str = ROSTER, *extra: str) -> Served:
    roster = folder.parent / "roster.csv"
    roster.write_text(roster_text)
    proc = subprocess.Popen(
        [sys.executable, "-m", "labtool", "serve", "--roster", str(roster), "-o", str(folder),
         "--bind", "127.0.0.1:0", *extra],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)  # fmt: skip
    assert proc.stdout is not None
    said: list[str] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        said.append(line)
        assert line, f"labtool serve ended: {''.join(said)}"
        if "the instructor's page:" in line:
            instructor_url = line.split("page: ")[1].split()[0]
            break
    with (folder / "codes.csv").open() as file:
        codes = {row["id"]: row["code"] for row in csv.DictReader(file)}
    url = instructor_url.split("/instructor")[0]
    return Served(proc, url, instructor_url, codes, folder, said)


def serving(folder: Path, roster: str, labs: tuple[str, ...], *extra: str) -> Iterator[Served]:
    """`labtool serve` while a test module runs: stopped after it, its labs removed (a
    failed test's too)."""
    running = start_serve(folder, roster, *extra)
    try:
        yield running
    finally:
        running.stop()
        for lab in labs:
            labtool("down", "--name", lab)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from serving(tmp_path_factory.mktemp("serve") / "class", ROSTER, LABS)


def sign_in(browser: Browser, served: Served, student: str) -> None:
    browser.goto(f"{served.url}/?code={served.codes[student]}")
    browser.js("document.querySelector('form button').click()")
    browser.wait_for("location.pathname === '/me'", 10)
    browser.wait_for("document.readyState === 'complete'", 10)


def screen_text(browser: Browser) -> str:
    text: str = browser.js(
        "(document.querySelector('.screen.shown .xterm-rows') || {innerText: ''}).innerText"
    )
    return text


def missing(browser: Browser, step: str) -> str:
    text: str = browser.js(
        f"(document.querySelector('li[data-step=\"{step}\"] .missing') || {{innerText: ''}})"
        ".innerText"
    )
    return text


def install_on(browser: Browser, node: str) -> float:
    """The lab's first command typed in the node's terminal; when yum said it was done."""
    browser.js(f"document.querySelector('#tabs button[data-node=\"{node}\"]').click()")
    browser.wait_for(
        f'!!document.querySelector(\'.screen.shown[data-node="{node}"][data-connected="true"]\')',
        20,
    )
    browser.wait_for("document.querySelector('.screen.shown .xterm-rows').innerText"
                     ".includes('# ')", 10)  # fmt: skip
    browser.js("document.querySelector('.screen.shown textarea').focus()")
    browser.type("sudo yum install -y keepalived haproxy")
    browser.enter()
    deadline = time.monotonic() + 30
    while "Complete!" not in screen_text(browser):
        assert time.monotonic() < deadline, screen_text(browser)
        time.sleep(0.05)
    return time.monotonic()


def test_two_students_type_the_first_command_and_everyone_sees_it(served: Served) -> None:
    students = {"it-sa": Browser(1280, 800), "it-sb": Browser(1280, 800)}
    instructor = Browser(1280, 800)
    try:
        instructor.goto(served.instructor_url)
        instructor.wait_for("document.querySelectorAll('.tile[data-student]').length === 2", 10)
        for student, browser in students.items():
            sign_in(browser, served, student)
            assert browser.js("document.getElementById('student').dataset.student") == student
            browser.wait_for("document.getElementById('student').dataset.phase === 'up'", 60)
            browser.wait_for("document.querySelectorAll('#step-list > li').length === 14", 10)
            assert "haproxy1: keepalived n" in missing(browser, "packages")
        for browser in students.values():
            done = install_on(browser, "haproxy1")
            assert "Installed:" in screen_text(browser)
            browser.wait_for(
                "!document.querySelector('li[data-step=\"packages\"] .missing')"
                ".innerText.includes('haproxy1')",
                CHECK_WITHIN_S - (time.monotonic() - done),
            )
            assert "haproxy2: keepalived n" in missing(browser, "packages")
        for student, browser in students.items():
            done = install_on(browser, "haproxy2")
            browser.wait_for(
                "document.querySelector('li[data-step=\"packages\"]').dataset.ok === 'true'",
                CHECK_WITHIN_S - (time.monotonic() - done),
            )
            assert browser.js("document.getElementById('student').dataset.stepsDone") == "1"
            instructor.wait_for(
                f"document.querySelector('.tile[data-student=\"{student}\"]')"
                ".dataset.stepsDone === '1'",
                CHECK_WITHIN_S - (time.monotonic() - done),
            )
        students["it-sa"].screenshot(ARTIFACTS / "serve-student-1280x800.png")
        instructor.screenshot(ARTIFACTS / "serve-instructor-1280x800.png")
        mirrored(instructor, served)
    finally:
        for browser in (*students.values(), instructor):
            browser.close()


def mirrored(instructor: Browser, served: Served) -> None:
    """The instructor opens a student's page: read-only, her terminal's screen mirrored."""
    instructor.goto(f"{served.url}/instructor/students/it-sa")
    assert instructor.js("document.getElementById('student').dataset.readonly") == "true"
    instructor.wait_for("document.getElementById('student').dataset.phase === 'up'", 10)
    install_on_screen = "document.querySelector('.screen.shown .xterm-rows').innerText"
    instructor.js("document.querySelector('#tabs button[data-node=\"haproxy2\"]').click()")
    instructor.wait_for(f"({install_on_screen} || '').includes('Complete!')", 10)
    assert instructor.js("getComputedStyle(document.getElementById('handin')).display") == "none"


def test_ctrl_c_stops_every_lab_and_keeps_the_state(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    running = start_serve(folder, AGAIN)
    try:
        browser = Browser(1280, 800)
        try:
            sign_in(browser, running, "it-sk")
            browser.wait_for("document.getElementById('student').dataset.phase === 'up'", 60)
            browser.wait_for("!!document.querySelector('.screen[data-connected=\"true\"]')", 20)
        finally:
            browser.close()
        assert procs.lab_marked("class-it-sk")
    finally:
        said = running.stop()
        labtool("down", "--name", "class-it-sk")
    assert running.proc.returncode == 0, said
    assert "stopping 1 students' labs (their work is kept)" in said
    assert procs.lab_marked("class-it-sk") == {}
    assert (folder / "state.db").exists() and (folder / "codes.csv").exists()


def _written(client: Client, slug: str) -> None:
    """A student's work on their lab, typed in its terminals: a package installed and
    enabled, a file of theirs."""
    term = client.terminal(slug, "haproxy1")
    try:
        term.run("sudo yum install -y keepalived haproxy", "Complete!")
        term.run("systemctl enable haproxy; echo ENABLED$((1+1))", "ENABLED2")
        term.run("echo '# my own config' > /etc/haproxy/haproxy.cfg; echo OK$((2+2))", "OK4")
    finally:
        term.close()


def _still_there(client: Client, slug: str) -> str:
    """What the student finds on their next visit (a new lab, or the same one)."""
    term = client.terminal(slug, "haproxy1")
    try:
        return term.run(
            "cat /etc/haproxy/haproxy.cfg; stat -c 'owner=%u' /etc/haproxy/haproxy.cfg; "
            "systemctl is-enabled haproxy; echo END$((3+3))",
            "END6",
        )
    finally:
        term.close()


def test_killed_with_9_and_started_again_every_student_finds_their_files(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "class"
    first = start_serve(folder, AGAIN)
    try:
        alice = Client.student(first.url, first.codes["it-sk"])
        _written(alice, "it-sk")
        os.kill(first.proc.pid, signal.SIGKILL)  # (the server alone, as `kill -9 PID`)
        first.proc.wait(timeout=30)
        again = start_serve(folder, AGAIN)
        try:
            alice = Client(again.url, alice.cookie)  # (her session was kept too)
            found = _still_there(alice, "it-sk")
            assert "# my own config" in found and "owner=0" in found and "enabled" in found
            assert alice.state("it-sk")["phase"] == "up"
        finally:
            again.stop()
    finally:
        first.stop()
        labtool("down", "--name", "class-it-sk")
    assert procs.lab_marked("class-it-sk") == {}


def test_stopped_and_started_again_the_work_comes_back_on_other_ids(tmp_path: Path) -> None:
    """Ctrl-C keeps each student's work and stops their lab; the next server gives it back
    on a lab made anew, which another lab's ids made take other ids (shifted to them)."""
    folder = tmp_path / "class"
    first = start_serve(folder, AGAIN)
    try:
        alice = Client.student(first.url, first.codes["it-sk"])
        _written(alice, "it-sk")
    finally:
        said = first.stop()
    assert "stopping 1 students' labs (their work is kept)" in said
    assert procs.lab_marked("class-it-sk") == {}
    occupier = labtool("up", "--name", "it-occupy", "--bare")  # (the block she had, taken)
    assert occupier.returncode == 0, occupier.stderr
    again = start_serve(folder, AGAIN)
    try:
        found = _still_there(Client(again.url, alice.cookie), "it-sk")
        assert "# my own config" in found and "owner=0" in found and "enabled" in found
        packages = Client(again.url, alice.cookie).state("it-sk")
        assert packages["steps"] and packages["steps"][0]["missing"] == [
            "haproxy2: keepalived n'est pas installé",
            "haproxy2: haproxy n'est pas installé",
        ]
    finally:
        again.stop()
        labtool("down", "--name", "it-occupy")
        labtool("down", "--name", "class-it-sk")


def test_hand_in_then_grade_the_class_from_the_pages(served: Served) -> None:
    bruno = Client.student(served.url, served.codes["it-sb"])
    teacher = Client.instructor(served.instructor_url)
    assert teacher.json("POST", "/api/class/grade")[0] == 409  # (nobody handed in yet)
    term = bruno.terminal("it-sb", "haproxy1")  # (his lab up)
    term.close()
    status, handed = bruno.json("POST", "/api/students/it-sb/handin")
    assert status == 200 and handed["files"] > 0, handed
    assert (served.folder / "students/it-sb/handin.tar.gz").stat().st_size > 0
    tiles = {t["student"]: t for t in teacher.json("GET", "/api/class")[1]["students"]}
    assert tiles["it-sb"]["handed_in"] and not tiles["it-sa"]["handed_in"]
    assert Client(served.url, bruno.cookie).json("POST", "/api/class/grade")[0] == 403
    status, graded = teacher.json("POST", "/api/class/grade")
    assert status == 200 and graded["graded"] == 1, graded
    status, _, moodle = teacher.request("GET", "/api/class/grades/moodle.csv")
    assert status == 200 and b"bruno@example.org" in moodle
    status, _, table = teacher.request("GET", "/api/class/grades/grades.json")
    assert status == 200 and json.loads(table)[0]["submission"] == "it-sb"
    assert bruno.request("GET", "/api/class/grades/moodle.csv")[0] == 403


def test_the_instructor_resets_a_lab_with_or_without_its_files(served: Served) -> None:
    alice = Client.student(served.url, served.codes["it-sa"])
    teacher = Client.instructor(served.instructor_url)
    term = alice.terminal("it-sa", "web1")
    term.run("echo mine > /root/notes; echo W$((5+5))", "W10")
    term.close()
    assert alice.json("POST", "/api/students/it-sa/reset", {"keep_files": True})[0] == 403
    status, reset = teacher.json("POST", "/api/students/it-sa/reset", {"keep_files": True})
    assert status == 200 and reset["kept"], reset
    term = alice.terminal("it-sa", "web1")
    assert "mine" in term.run("cat /root/notes; echo R$((6+6))", "R12")
    term.close()
    status, _ = teacher.json("POST", "/api/students/it-sa/reset", {"keep_files": False})
    assert status == 200
    term = alice.terminal("it-sa", "web1")
    assert "No such file" in term.run("cat /root/notes; echo S$((7+7))", "S14")
    term.close()


def test_an_idle_lab_is_stopped_and_comes_back_with_the_work(tmp_path: Path) -> None:
    """--idle-stop 0.1 (6 s): no page, no terminal: the lab stops, its work kept; the
    student's next visit makes it again with their files."""
    served = start_serve(tmp_path / "class", AGAIN, "--idle-stop", "0.1")
    try:
        karim = Client.student(served.url, served.codes["it-sk"])
        _written(karim, "it-sk")  # (its terminal closed after)
        teacher = Client.instructor(served.instructor_url)
        deadline = time.monotonic() + 60
        while teacher.json("GET", "/api/students/it-sk/state")[1]["phase"] != "none":
            assert time.monotonic() < deadline, "the idle lab was not stopped"
            time.sleep(0.5)
        assert procs.lab_marked("class-it-sk") == {}
        found = _still_there(karim, "it-sk")
        assert "# my own config" in found and "enabled" in found
    finally:
        served.stop()
        labtool("down", "--name", "class-it-sk")
