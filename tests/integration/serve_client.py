"""A script's way into a running `labtool serve` (what a browser does, without one): sign in
with a code, type into a node's terminal over its WebSocket, POST from the server's page."""

from __future__ import annotations

import contextlib
import http.client
import json
import time
import urllib.parse
from typing import Any

from websockets.sync.client import ClientConnection, connect


class Client:
    def __init__(self, url: str, cookie: str = "") -> None:
        self.url, self.cookie = url, cookie
        self.host = url.split("://")[1]

    def request(
        self, method: str, path: str, body: bytes | None = None, kind: str = "application/json"
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(self.host, timeout=300)
        headers = {"Origin": self.url}
        if self.cookie:
            headers["Cookie"] = self.cookie
        if body is not None:
            headers["Content-Type"] = kind
        connection.request(method, path, body, headers)
        answer = connection.getresponse()
        data = answer.read()
        connection.close()
        return answer.status, dict(answer.getheaders()), data

    @classmethod
    def student(cls, url: str, code: str) -> Client:
        form = urllib.parse.urlencode({"code": code}).encode()
        status, headers, _ = cls(url).request(
            "POST", "/signin", form, "application/x-www-form-urlencoded"
        )
        assert status == 303, status
        return cls(url, headers["set-cookie"].split(";")[0])

    @classmethod
    def instructor(cls, instructor_url: str) -> Client:
        url = instructor_url.split("/instructor")[0]
        status, headers, _ = cls(url).request("GET", instructor_url[len(url) :])
        assert status == 303, status
        return cls(url, headers["set-cookie"].split(";")[0])

    def json(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        status, _, data = self.request(
            method, path, None if body is None else json.dumps(body).encode()
        )
        return status, json.loads(data or b"null")

    def terminal(self, slug: str, node: str) -> Terminal:
        url = self.url.replace("http://", "ws://") + f"/api/students/{slug}/term/{node}"
        origin: Any = self.url
        return Terminal(connect(url, additional_headers={"Cookie": self.cookie},
                                origin=origin, open_timeout=180))  # fmt: skip

    def state(self, slug: str, ready: str = "steps", timeout_s: float = 10) -> Any:
        """The student's lab's state, once it has `ready` (its first check's steps)."""
        deadline = time.monotonic() + timeout_s
        while True:
            status, state = self.json("GET", f"/api/students/{slug}/state")
            assert status == 200, state
            if state.get(ready) or time.monotonic() > deadline:
                return state
            time.sleep(0.1)


class Terminal:
    """A node's shell as its page has it: keys in, the screen out."""

    def __init__(self, socket: ClientConnection) -> None:
        self.stack = contextlib.ExitStack()
        self.socket = self.stack.enter_context(socket)
        self.seen = b""

    def run(self, line: str, until: str, timeout_s: float = 60) -> str:
        """A command line typed, then the screen read until `until` shows after it."""
        start = len(self.seen)
        self.socket.send("0" + line + "\r")
        deadline = time.monotonic() + timeout_s
        while until.encode() not in self.seen[start:]:
            left = deadline - time.monotonic()
            assert left > 0, self.seen[start:].decode(errors="replace")
            try:
                chunk = self.socket.recv(timeout=left)
            except TimeoutError:
                continue
            self.seen += chunk if isinstance(chunk, bytes) else chunk.encode()
        return self.seen[start:].decode(errors="replace")

    def close(self) -> None:
        self.stack.close()
