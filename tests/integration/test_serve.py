"""`labtool serve` for real: the command as an instructor starts it (on 127.0.0.1, a port of its
own), two students in two headless chromiums (each its own profile: its own cookies), the
instructor in a third. Each student signs in with their code, gets their own confined lab,
types the lab's first command in haproxy1's terminal (xterm.js, a WebSocket to the node's
shell) and sees yum's output; the check list and the instructor's tiles follow within 2 s.
Screenshots of both pages are kept in $LABTOOL_ARTIFACTS (1280x800) and were looked at."""

from __future__ import annotations

import csv
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
from tests.integration.test_watch import ARTIFACTS

CHECK_WITHIN_S = 2.0
ROSTER = "id,name,email\nit-sa,Alice Martin,alice@example.org\nit-sb,Bruno Diaz,bruno@example.org\n"
LABS = ("class-it-sa", "class-it-sb")


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


def start_serve(folder: Path) -> Served:
    roster = folder.parent / "roster.csv"
    roster.write_text(ROSTER)
    proc = subprocess.Popen(
        [sys.executable, "-m", "labtool", "serve", "--roster", str(roster), "-o", str(folder),
         "--bind", "127.0.0.1:0"],
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


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("serve") / "class"
    running = start_serve(folder)
    try:
        yield running
    finally:
        running.stop()
        for lab in LABS:  # (a failed test's labs too)
            labtool("down", "--name", lab)


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
    finally:
        for browser in (*students.values(), instructor):
            browser.close()


def test_ctrl_c_stops_every_lab_and_keeps_the_state(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    running = start_serve(folder)
    try:
        browser = Browser(1280, 800)
        try:
            sign_in(browser, running, "it-sa")
            browser.wait_for("document.getElementById('student').dataset.phase === 'up'", 60)
            browser.wait_for("!!document.querySelector('.screen[data-connected=\"true\"]')", 20)
        finally:
            browser.close()
        assert procs.lab_marked("class-it-sa")
    finally:
        said = running.stop()
        labtool("down", "--name", "class-it-sa")
    assert running.proc.returncode == 0, said
    assert "stopping 1 students' labs" in said
    assert procs.lab_marked("class-it-sa") == {}
    assert (folder / "state.db").exists() and (folder / "codes.csv").exists()
