"""A student's live view in `labtool serve --mode built`, for real: `labtool watch`'s page in
the student's own page (a real headless chromium), on their own lab: the VIP on haproxy1; a
node halted from it moves the VIP, seen there and on the instructor's tile; the instructor's
copy sees but cannot act. The screenshot is kept in $LABTOOL_ARTIFACTS and was looked at."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from tests.integration.browser import Browser
from tests.integration.serve_client import Client
from tests.integration.test_serve import Served, serving, sign_in
from tests.integration.test_watch import ARTIFACTS

ROSTER = "id,name,email\nit-live,Lea Live,lea@example.org\n"
LAB = "class-it-live"
IN_FRAME = "document.querySelector('.screen.live iframe').contentDocument"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("live") / "class"
    yield from serving(folder, ROSTER, (LAB,), "--mode", "built")


def holder(browser: Browser) -> str:
    found: str = browser.js(
        f"(({IN_FRAME} || {{}}).getElementById?.('watch') || {{dataset: {{}}}})"
        ".dataset.vipHolder || ''"
    )
    return found


def wait_holder(browser: Browser, node: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while holder(browser) != node:
        assert time.monotonic() < deadline, f"the live view shows {holder(browser)!r}"
        time.sleep(0.1)


def test_the_live_view_shows_and_drives_the_students_own_lab(served: Served) -> None:
    browser = Browser(1280, 800)
    try:
        sign_in(browser, served, "it-live")
        browser.wait_for("document.getElementById('student').dataset.phase === 'up'", 120)
        browser.js("document.querySelector('#tabs button[data-node=\"live\"]').click()")
        wait_holder(browser, "haproxy1")
        browser.wait_for("document.querySelectorAll('#step-list > li').length === 14", 10)
        browser.screenshot(ARTIFACTS / "serve-live-1280x800.png")
        teacher = Client.instructor(served.instructor_url)
        refused = teacher.request(
            "POST", "/students/it-live/watch/action",
            json.dumps({"action": "halt", "node": "haproxy1"}).encode())  # fmt: skip
        assert refused[0] == 403  # (the instructor sees, does not act)
        lea = Client(served.url, browser_cookie(browser))
        stranger = Client("http://evil.example", lea.cookie)
        stranger.host = served.url.split("://")[1]  # (her cookie, another site's Origin)
        assert stranger.request("POST", "/students/it-live/watch/action", b"{}")[0] == 403
        status, _, _ = lea.request(
            "POST", "/students/it-live/watch/action",
            json.dumps({"action": "halt", "node": "haproxy1"}).encode())  # fmt: skip
        assert status == 202
        wait_holder(browser, "haproxy2")
        deadline = time.monotonic() + 2  # (the instructor's tile: within 2 s)
        while teacher.json("GET", "/api/class")[1]["students"][0]["vip_holder"] != "haproxy2":
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        browser.close()


def browser_cookie(browser: Browser) -> str:
    cookies = browser.page("Network.getCookies")["cookies"]
    return next(f"{c['name']}={c['value']}" for c in cookies if c["name"] == "labtool_session")
