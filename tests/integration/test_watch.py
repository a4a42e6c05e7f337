"""`labtool watch` in a real headless browser (Debian's chromium, through the DevTools
protocol): the real command serving the page, real daemons in namespaces. The page's hooks
(data-vip-holder, data-node/data-up, data-server/data-status) are what is checked; its
screenshots are kept in $LABTOOL_ARTIFACTS (default test-artifacts/) and were looked at."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from labtool.state import lab_dir
from tests.integration.browser import Browser
from tests.integration.conftest import exec_on, lab_up_during, wait_until

NAME = "it-watch"
REPO = Path(__file__).parents[2]
ARTIFACTS = Path(os.environ.get("LABTOOL_ARTIFACTS", REPO / "test-artifacts"))


class Watch:
    """`labtool watch` as a user starts it, its URL read from what it prints."""

    def __init__(
        self,
        name: str,
        cwd: Path | None = None,
        command: list[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        """`command`: how labtool is run (default: as root, this Python's)."""
        self.cwd = cwd  # (where the page's "export the report" writes it)
        self.proc = subprocess.Popen(
            [*(command or [sys.executable, "-m", "labtool"]), "watch", "--name", name,
             "--no-browser"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, start_new_session=True, cwd=cwd, env=env)  # fmt: skip
        assert self.proc.stdout is not None
        self.said: list[str] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            self.said.append(line)
            if "watching lab" in line:
                self.url = line.split(" at ")[1].split()[0]
                break
            assert line, f"labtool watch ended: {''.join(self.said)}"
        self.base = self.url.split("/?")[0]
        self.token = self.url.split("token=")[1]

    def get(self, path: str, token: bool = True, **headers: str) -> tuple[int, bytes]:
        sep = "&" if "?" in path else "?"
        url = f"{self.base}{path}{sep}token={self.token}" if token else self.base + path
        return fetch(urllib.request.Request(url, headers=headers))

    def post(self, body: dict[str, object], **headers: str) -> tuple[int, bytes]:
        request = urllib.request.Request(
            f"{self.base}/action?token={self.token}", data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", **headers}, method="POST")  # fmt: skip
        return fetch(request)

    def stop(self) -> str:
        """Ctrl-C, as a terminal sends it (to the process group)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
        out, _ = self.proc.communicate(timeout=120)
        return "".join(self.said) + out


def fetch(request: urllib.request.Request) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture(scope="module")
def lab() -> Iterator[str]:
    yield from lab_up_during(NAME)


@pytest.fixture(scope="module")
def watch(lab: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Watch]:
    running = Watch(lab, tmp_path_factory.mktemp("watch"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def page(watch: Watch) -> Iterator[Browser]:
    browser = Browser(1280, 800)
    try:
        browser.goto(watch.url)
        yield browser
    finally:
        browser.close()


def holder(page: Browser) -> str:
    value: str = page.js("document.getElementById('watch').dataset.vipHolder")
    return value


def server_status(page: Browser, lb: str, server: str) -> str | None:
    found: str | None = page.js(
        f'(document.querySelector(\'[data-node="{lb}"] [data-server="{server}"]\') || {{}})'
        ".dataset?.status ?? null"
    )
    return found


def vip_back_on_haproxy1(lab: str) -> None:
    """As the lab's steps: haproxy1's keepalived first, so that it holds the VIP."""
    exec_on(lab, "haproxy2", "systemctl", "stop", "keepalived")
    exec_on(lab, "haproxy1", "systemctl", "start", "keepalived")
    wait_until(
        lambda: exec_on(lab, "haproxy1", "ip", "-o", "addr").stdout.count("10.0.0.10") == 1,
        15,
        "the VIP on haproxy1",
    )
    exec_on(lab, "haproxy2", "systemctl", "start", "keepalived")


def test_the_page_shows_the_cluster_with_the_vip_on_haproxy1(page: Browser) -> None:
    page.wait_for("document.getElementById('watch').dataset.vipHolder === 'haproxy1'", 10)
    nodes = page.js(
        "[...document.querySelectorAll('[data-node]')].map(n => [n.dataset.node, n.dataset.up])"
    )
    assert sorted(nodes) == [
        [n, "true"] for n in ("client", "haproxy1", "haproxy2", "web1", "web2")
    ]
    for lb in ("haproxy1", "haproxy2"):
        for web in ("web1", "web2"):
            wait_until(
                lambda lb=lb, web=web: server_status(page, lb, web) == "UP",
                10,  # type: ignore[misc]
                f"{lb}'s HAProxy shows {web} UP",
            )
    page.wait_for("document.getElementById('counts').textContent.match(/web1 [1-9]/)", 10)


def test_stopping_keepalived_moves_the_vip_on_screen_within_2_s(lab: str, page: Browser) -> None:
    page.wait_for("document.getElementById('watch').dataset.vipHolder === 'haproxy1'", 10)
    page.js(
        "window.__moved = null; new MutationObserver(() => { if (document.getElementById("
        "'watch').dataset.vipHolder === 'haproxy2' && !window.__moved) window.__moved = "
        "Date.now(); }).observe(document.getElementById('watch'), {attributes: true})"
    )
    try:
        stopped = exec_on(lab, "haproxy1", "systemctl", "stop", "keepalived")
        returned = time.time()
        assert stopped.returncode == 0, stopped.stderr
        moved = page.wait_for("window.__moved", 10)
        assert moved / 1000 - returned <= 2.0, f"on screen {moved / 1000 - returned:.2f} s after"
    finally:
        vip_back_on_haproxy1(lab)
    page.wait_for("document.getElementById('watch').dataset.vipHolder === 'haproxy1'", 10)


def test_two_holders_show_as_a_split_brain_in_red(lab: str, page: Browser) -> None:
    """The VIP added by hand on the backup too (as a split brain leaves it)."""
    page.wait_for("document.getElementById('watch').dataset.vipHolder === 'haproxy1'", 10)
    added = exec_on(lab, "haproxy2", "ip", "addr", "add", "10.0.0.10/32", "dev", "eth1")
    assert added.returncode == 0, added.stderr
    try:
        page.wait_for("document.getElementById('watch').dataset.vipHolder === 'split'", 5)
        colour = page.js("getComputedStyle(document.getElementById('vip')).backgroundColor")
        assert colour == "rgb(207, 34, 46)", colour  # (--down)
        assert "split brain" in page.js("document.getElementById('vip').textContent")
    finally:
        exec_on(lab, "haproxy2", "ip", "addr", "del", "10.0.0.10/32", "dev", "eth1")
    page.wait_for("document.getElementById('watch').dataset.vipHolder === 'haproxy1'", 5)


def test_halt_and_start_from_the_page(lab: str, page: Browser) -> None:
    """The buttons of web1's card: HAProxy greys it out, then it serves again."""
    click(page, "web1", "arrêt")
    page.wait_for("document.querySelector('[data-node=\"web1\"]').dataset.state === 'halted'", 20)
    wait_until(
        lambda: server_status(page, "haproxy1", "web1") == "DOWN",
        30,
        "haproxy1's HAProxy shows web1 DOWN",
    )
    click(page, "web1", "démarrer")
    page.wait_for("document.querySelector('[data-node=\"web1\"]').dataset.up === 'true'", 30)
    wait_until(
        lambda: server_status(page, "haproxy1", "web1") == "UP",
        30,
        "haproxy1's HAProxy shows web1 UP again",
    )
    timeline = page.js("document.getElementById('timeline').textContent")
    assert "halt web1" in timeline and "up web1" in timeline


def test_a_scenario_run_from_the_page_fills_its_row(lab: str, page: Browser) -> None:
    """lose-haproxy1 with the page open: its takeover still within theory."""
    page.js(
        "document.getElementById('scenario').value = 'lose-haproxy1'; "
        "document.getElementById('run').click()"
    )
    page.wait_for(
        "document.querySelector('tr[data-row=\"haproxy\"]').dataset.state === 'running'", 10
    )
    page.wait_for(
        "document.querySelector('tr[data-row=\"haproxy\"]').dataset.state === 'done'", 180
    )
    observed = page.js(
        "document.querySelector('tr[data-row=\"haproxy\"] td:last-child').textContent"
    )
    assert "haproxy2" in observed, observed
    said = page.wait_for(
        "document.getElementById('timeline').textContent.match("
        "/lose-haproxy1: (pass|fail|error)[^\\n]*/)?.[0]",
        30,
    )
    assert said.startswith("lose-haproxy1: pass"), said


def click(page: Browser, node: str, label: str, after: str = "") -> None:
    """The button `label` of a node's card (after the daemon `after`, for a daemon's)."""
    page.js(
        f"[...document.querySelectorAll('[data-node=\"{node}\"] {after} button')]"
        f".find(b => b.textContent === '{label}').click()"
    )


def test_a_daemon_stopped_and_started_from_the_page(lab: str, page: Browser) -> None:
    running = (
        'document.querySelector(\'[data-node="web2"] [data-daemon="apache2"]\').dataset.running'
    )
    page.wait_for(f"{running} === 'true'", 10)
    click(page, "web2", "arrêter", ".daemonctl")
    page.wait_for(f"{running} === 'false'", 15)
    assert exec_on(lab, "web2", "systemctl", "is-active", "httpd").stdout.strip() == "inactive"
    click(page, "web2", "démarrer", ".daemonctl")
    page.wait_for(f"{running} === 'true'", 15)
    page.wait_for(
        "document.getElementById('timeline').textContent.includes("
        "'systemctl start httpd on web2: httpd started on web2')",
        10,
    )


def test_the_report_exported_from_the_page(watch: Watch, page: Browser) -> None:
    page.js("document.getElementById('report').click()")
    said = page.wait_for(
        "document.getElementById('said').textContent.match(/report written to .*/)?.[0]", 30
    )
    assert watch.cwd is not None
    written = watch.cwd / f"labtool-{NAME}-report.html"
    assert said == f"report written to {written}"
    assert "haproxy2" in written.read_text()  # (lose-haproxy1 ran: its row)


def test_screenshots_at_desktop_and_phone_width(page: Browser) -> None:
    """Nothing overlaps, every node within the width (the screenshots were looked at)."""
    for width, height, mobile in ((1280, 800, False), (390, 844, True)):
        page.size(width, height, mobile)
        time.sleep(0.5)
        boxes = page.js(
            "[...document.querySelectorAll('[data-node]')].map(n => { const r = "
            "n.getBoundingClientRect(); return [n.dataset.node, r.left, r.top, "
            "r.right, r.bottom]; })"
        )
        assert len(boxes) == 5
        for name, left, _top, right, bottom in boxes:
            assert left >= 0 and right <= width and right - left > 60, (width, name)
            assert bottom <= height, f"{name} below the fold at {width}x{height}"
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                apart = a[3] <= b[1] or b[3] <= a[1] or a[4] <= b[2] or b[4] <= a[2]
                assert apart, f"{a[0]} overlaps {b[0]} at {width}x{height}"
        page.screenshot(ARTIFACTS / f"watch-{width}x{height}.png")
    page.size(1280, 800)


def test_every_request_needs_the_token_and_changes_come_from_the_page(watch: Watch) -> None:
    assert watch.get("/state", token=False)[0] == 403
    assert watch.get("/", token=False)[0] == 403
    assert watch.get("/events", token=False)[0] == 403
    code, body = watch.get("/state")
    assert code == 200
    state = json.loads(body)
    assert {"lab", "vip", "vip_holder", "vip_holders", "nodes", "backend"} <= set(state)
    for origin in ({}, {"Origin": "http://evil.example"}):
        code, _ = watch.post({"action": "report"}, **origin)
        assert code == 403, origin
    code, _ = watch.post({"action": "rm -rf /"}, Origin=watch.base)
    assert code == 400


def test_it_listens_on_127_0_0_1_only(watch: Watch) -> None:
    listening = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True).stdout
    mine = [line for line in listening.splitlines() if f"pid={watch.proc.pid}," in line]
    assert mine, listening
    assert all(line.split()[3].startswith("127.0.0.1:") for line in mine), mine


def test_events_are_json_one_per_event(watch: Watch) -> None:
    request = urllib.request.Request(f"{watch.base}/events?token={watch.token}")
    with urllib.request.urlopen(request, timeout=10) as stream:
        first = stream.readline().decode()
    assert first.startswith("data: ")
    event = json.loads(first[len("data: ") :])
    assert event["kind"] == "state" and event["state"]["lab"] == NAME


def descendants(pid: int) -> dict[int, str]:
    """Every process under `pid` (its probes, run through nsenter into the nodes): args."""
    table = subprocess.run(["ps", "-eo", "pid=,ppid=,args="], capture_output=True, text=True)
    children: dict[int, list[tuple[int, str]]] = {}
    for line in table.stdout.splitlines():
        parts = line.split(None, 2)
        children.setdefault(int(parts[1]), []).append((int(parts[0]), ([*parts, ""])[2]))
    found, todo = {}, [pid]
    while todo:
        for child, args in children.get(todo.pop(), []):
            found[child] = args
            todo.append(child)
    return found


def test_ctrl_c_leaves_no_process_and_no_probe(lab: str) -> None:
    """The client's agent is a process in its node; each load balancer's addresses are read
    by the watch itself, on a socket of the node's network namespace (probes.addresses)."""
    logs = [lab_dir(lab) / "probes" / f"watcher-haproxy{i}.log" for i in (1, 2)]
    for log in logs:
        log.unlink(missing_ok=True)
    watch = Watch(lab)
    try:
        with urllib.request.urlopen(f"{watch.base}/events?token={watch.token}", timeout=10):
            wait_until(
                lambda: (
                    any("labtool-agent/agent.py" in a for a in descendants(watch.proc.pid).values())
                    and all(log.exists() and "opened in" in log.read_text() for log in logs)
                ),
                20,
                "the watch's probes (the client's agent, each load balancer's addresses) running",
            )
            probes = descendants(watch.proc.pid)
    finally:  # (also when the probes never came: no watch left running after the test)
        said = watch.stop()
    assert watch.proc.returncode == 0, said
    assert "no probe left running" in said
    for log in logs:  # each watcher ended before the watch did (its socket closed)
        assert "ended (exit 0)" in log.read_text(), log.read_text()
    # (a probe whose nsenter the Ctrl-C ended first is reaped by its node's init: a moment)
    wait_until(
        lambda: not any(Path(f"/proc/{pid}").exists() for pid in probes),
        5,
        f"the watch's probes gone: {probes}",
    )


def test_a_port_taken_is_one_message(lab: str, watch: Watch) -> None:
    port = watch.base.rsplit(":", 1)[1]
    run = subprocess.run(
        [sys.executable, "-m", "labtool", "watch", "--name", lab, "--port", port, "--no-browser"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1] == (
        f"labtool: error: cannot listen on 127.0.0.1:{port}: Address already in use. Fix: "
        "another --port (0: any)"
    )
