"""serve's pages against a real server (uvicorn on 127.0.0.1, a port of its own) and plain
HTTP and WebSockets: signing in with a code; a student's session opens that student's pages,
streams and terminals alone (every route that names a student walked with another's cookie:
403); no session, the sign-in page; a POST or a WebSocket from another site refused; wrong
codes slowed down; the instructor's link. The labs are a stand-in here (`Shells`: no lab is
made, a terminal runs `cat` on a pty): the real ones are tests/integration/test_serve.py's."""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
import websockets
from starlette.routing import Mount, Route, WebSocketRoute
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from labtool.serve.app import make_app
from labtool.serve.classroom import Classroom
from labtool.serve.pages import FREE_TRIES, INSTRUCTOR_COOKIE
from labtool.serve.prepare import prepare
from labtool.serve.roster import Student

CLASS = [Student("1", "Alice", "a@x", "alice"), Student("2", "Bruno", "b@x", "bruno")]


@dataclass
class Served:
    url: str
    codes: dict[str, str]
    instructor_url: str
    routes: list[str]
    sockets: list[str]
    table: list[Route]
    mounts: list[str]


class Shells:
    """A stand-in placement: every student's lab 'up' from the start, without a lab; a node's
    shell is `cat` (what is typed comes back), for the terminals' protocol and who may open
    them. (No root here: the real labs and shells are the integration tests'.)"""

    def make(self, student: Student, bare: bool) -> None:
        pass

    def running(self, student: Student) -> bool:
        return True

    def remove(self, student: Student) -> None:
        pass

    def nodes(self) -> list[str]:
        return ["haproxy1", "web1"]

    def prepare(self, labs: int) -> list[str]:
        return []

    def shell(self, student: Student, node: str) -> tuple[list[str], dict[str, str]]:
        return ["cat"], {"PATH": "/usr/bin:/bin"}

    def keep(self, student: Student, folder: Path) -> int:
        return 0

    def give_back(self, student: Student, folder: Path) -> int:
        return 0

    def hand_in(self, student: Student, archive: Path) -> int:
        archive.write_bytes(b"a stand-in's hand-in")
        return 1


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def call(
    url: str, cookie: str = "", form: dict[str, str] | None = None, origin: str | None = None
) -> tuple[int, dict[str, str], str]:
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data)
    if cookie:
        request.add_header("Cookie", cookie)
    if origin:
        request.add_header("Origin", origin)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    folder = tmp_path_factory.mktemp("class")
    prepared = prepare(folder, CLASS, url)
    codes = {
        line.split(",")[0]: line.split(",")[2]
        for line in (folder / "codes.csv").read_text().splitlines()[1:]
    }
    placement = Shells()
    app = make_app(Classroom(prepared.store, placement, bare=True), url, False, placement.nodes())
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    routes = [r.path for r in app.routes if isinstance(r, Route)]
    sockets = [r.path for r in app.routes if isinstance(r, WebSocketRoute)]
    try:
        yield Served(
            url, {"alice": codes["1"], "bruno": codes["2"]}, prepared.instructor_url, routes,
            sockets, [r for r in app.routes if isinstance(r, Route)],
            [r.path for r in app.routes if isinstance(r, Mount)],
        )  # fmt: skip
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        prepared.store.close()


def status_of(url: str, cookie: str = "") -> int:
    """The answer's status alone (a stream is not read)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def socket_status(served: Served, path: str, cookie: str = "", origin: Any = "") -> int:
    """101 where the WebSocket opens; the handshake's refusal's status otherwise."""
    headers = {"Cookie": cookie} if cookie else {}
    url = served.url.replace("http://", "ws://") + path
    try:
        with connect(url, additional_headers=headers, origin=origin or served.url,
                     open_timeout=10):  # fmt: skip
            return 101
    except InvalidStatus as refused:
        return refused.response.status_code


def sign_in(served: Served, who: str) -> str:
    status, headers, _ = call(
        f"{served.url}/signin", form={"code": served.codes[who]}, origin=served.url
    )
    assert status == 303 and headers["location"] == "/me"
    cookie = headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    return cookie.split(";")[0]


def test_a_student_signs_in_and_sees_their_page(served: Served) -> None:
    cookie = sign_in(served, "alice")
    status, _, body = call(f"{served.url}/me", cookie)
    assert status == 200 and 'data-student="alice"' in body and "Alice" in body
    status, _, body = call(f"{served.url}/me")
    assert status == 401 and 'name="code"' in body.replace("name=code", 'name="code"')


INSTRUCTOR_ONLY = {"/instructor/students/{slug}", "/api/students/{slug}/reset"}


def answer(url: str, method: str, cookie: str = "", origin: str = "") -> tuple[int, str]:
    """The status (and the start of the body: a stream is not read to its end)."""
    headers = {"Cookie": cookie} if cookie else {}
    if origin:
        headers["Origin"] = origin
    data = b"{}" if method == "POST" else None
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=10) as response:
            return int(response.status), response.read(200).decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def test_another_students_routes_are_closed_to_a_student(served: Served) -> None:
    alice = sign_in(served, "alice")
    answer(f"{served.url}/api/students/alice/events", "GET", alice)  # (her lab made: up)
    deadline = time.monotonic() + 10
    while '"phase":"up"' not in call(f"{served.url}/api/students/alice/state", alice)[2]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    named = [
        (r.path, "POST" if "POST" in (r.methods or ()) else "GET")
        for r in served.table
        if "{slug}" in r.path
    ] + [(m + "/", "GET") for m in served.mounts]
    assert len(named) >= 6  # (the walk below covers every route that names a student)
    for route, method in named:
        mine, theirs = (served.url + route.replace("{slug}", who) for who in ("alice", "bruno"))
        assert answer(theirs, method, alice, served.url)[0] == 403, route
        own = 403 if route in INSTRUCTOR_ONLY else 200
        if route.endswith("/watch/"):
            own = 409  # (the live view of a lab: none here, the stand-in makes no lab)
        assert answer(mine, method, alice, served.url)[0] == own, route
        status, body = answer(mine, method, origin=served.url)
        if method == "GET":  # (no session: the sign-in page)
            assert status == 401 and "/signin" in body, route
        else:
            assert status == 403, route
    assert call(f"{served.url}/instructor", alice)[0] == 401
    assert served.sockets  # (every terminal: another's, no session, another site)
    for route in served.sockets:
        mine, theirs = (route.replace("{slug}", who).replace("{node}", "web1")
                        for who in ("alice", "bruno"))  # fmt: skip
        assert socket_status(served, theirs, alice) == 403, route
        assert socket_status(served, mine) == 403, route
        assert socket_status(served, mine, alice, origin="https://evil.example") == 403, route
        assert socket_status(served, mine, alice) == 101, route


def test_a_terminal_types_and_shows_and_the_instructor_only_watches(served: Served) -> None:
    alice = sign_in(served, "alice")
    _, headers, _ = call(served.instructor_url)
    teacher = headers["set-cookie"].split(";")[0]
    base = served.url.replace("http://", "ws://") + "/api/students/alice/term/haproxy1"
    origin: Any = served.url  # (websockets types it as its own Origin, a str)
    with (
        connect(base, additional_headers={"Cookie": alice}, origin=origin) as mine,
        connect(base, additional_headers={"Cookie": teacher}, origin=origin) as watching,
    ):
        mine.send("0hello\r")
        assert b"hello" in _until(mine, b"hello\r\nhello")
        assert b"hello" in _until(watching, b"hello\r\nhello")
        watching.send("0typed by the instructor\r")  # (a mirror's keys go nowhere)
        mine.send("0again\r")
        seen = _until(mine, b"again\r\nagain")
        assert b"instructor" not in seen


def _until(socket: websockets.sync.client.ClientConnection, wanted: bytes) -> bytes:
    seen = b""
    deadline = time.monotonic() + 10
    while wanted not in seen and time.monotonic() < deadline:
        chunk = socket.recv(timeout=10)
        seen += chunk if isinstance(chunk, bytes) else chunk.encode()
    return seen


def test_a_post_from_another_site_is_refused(served: Served) -> None:
    form = {"code": served.codes["alice"]}
    assert call(f"{served.url}/signin", form=form)[0] == 403  # (no Origin)
    assert call(f"{served.url}/signin", form=form, origin="https://evil.example")[0] == 403


def test_wrong_codes_are_slowed_down(served: Served) -> None:
    statuses = [
        call(f"{served.url}/signin", form={"code": "WRNG-CODE"}, origin=served.url)[0]
        for _ in range(10)
    ]
    assert statuses[:FREE_TRIES] == [401] * FREE_TRIES and 429 in statuses[FREE_TRIES:]
    status, headers, _ = call(
        f"{served.url}/signin", form={"code": served.codes["bruno"]}, origin=served.url
    )
    assert status == 429 and int(headers["retry-after"]) >= 1  # (even a right one waits)


def test_the_instructors_link_opens_every_students_tile(served: Served) -> None:
    status, headers, _ = call(served.instructor_url)
    assert status == 303 and headers["location"] == "/instructor"
    cookie = headers["set-cookie"].split(";")[0]
    assert cookie.startswith(INSTRUCTOR_COOKIE + "=")
    status, _, body = call(f"{served.url}/instructor", cookie)
    assert status == 200
    assert 'data-student="alice"' in body and 'data-student="bruno"' in body
    assert body.count("data-handed-in=") == 2
    for who in ("alice", "bruno"):
        assert call(f"{served.url}/api/students/{who}/state", cookie)[0] == 200
    assert call(f"{served.url}/instructor?key=forged")[0] == 403


def test_wrong_codes_are_forgotten_after_their_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    from labtool.serve import pages as module

    now = [1000.0]
    monkeypatch.setattr(module.time, "monotonic", lambda: now[0])
    tries = module.Tries()
    for _ in range(FREE_TRIES):
        tries.failure("192.0.2.1")
    assert tries.wait_s("192.0.2.1") == 1.0 and tries.wait_s("192.0.2.2") == 0.0
    tries.failure("192.0.2.1")
    assert tries.wait_s("192.0.2.1") == 2.0  # (each failure more: twice the wait)
    now[0] += module.TRIES_WINDOW_S + 1
    assert tries.wait_s("192.0.2.1") == 0.0 and tries.failed == {}
