"""A real headless browser for the tests: Debian's chromium, driven through the DevTools
protocol over a pipe (--remote-debugging-pipe: no debugging port is opened). Its networking
to anything but the page is switched off: no background requests, no updates, no sync."""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

QUIET = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--disable-extensions",
    "--disable-client-side-phishing-detection",
    "--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
    "--password-store=basic",
    "--use-mock-keychain",
]


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def high_fd(fd: int) -> int:
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return moved


class Browser:
    """One headless chromium and one page in it."""

    def __init__(self, width: int = 1280, height: int = 800) -> None:
        binary = chromium()
        assert binary, "chromium is not installed (setup: apt-get install chromium)"
        self.profile = tempfile.mkdtemp(prefix="labtool-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # (above 9, so that handing them over as fds 3 and 4 cannot overwrite one another)
        to_browser_r, from_browser_w = (high_fd(fd) for fd in (to_browser_r, from_browser_w))
        argv = [binary, "--headless=new", "--no-sandbox", "--disable-gpu",
                "--remote-debugging-pipe", f"--user-data-dir={self.profile}",
                f"--window-size={width},{height}", *QUIET, "about:blank"]  # fmt: skip
        # chromium reads commands on fd 3 and writes answers on fd 4 (bash: dash takes fds
        # 0-9 only in a redirection)
        self.proc = subprocess.Popen(
            ["bash", "-c", f'exec "$@" 3<&{to_browser_r} 4>&{from_browser_w}', "bash", *argv],
            pass_fds=(to_browser_r, from_browser_w),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.next_id = 0
        self.waiting: dict[int, Future[dict[str, Any]]] = {}
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        try:
            target = self.send("Target.createTarget", url="about:blank")["targetId"]
            self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)[
                "sessionId"
            ]
            self.page("Page.enable")
            self.size(width, height)
        except BaseException:
            self.close()
            raise

    def _read(self) -> None:
        buffer = b""
        while chunk := os.read(self._from_browser, 1 << 16):
            buffer += chunk
            while b"\0" in buffer:
                message, buffer = buffer.split(b"\0", 1)
                data = json.loads(message)
                future = self.waiting.pop(data.get("id", -1), None)
                if future is not None:
                    future.set_result(data)

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        with self.lock:
            self.next_id += 1
            ident = self.next_id
            future: Future[dict[str, Any]] = Future()
            self.waiting[ident] = future
            message: dict[str, Any] = {"id": ident, "method": method, "params": params}
            if session:
                message["sessionId"] = session
            os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        answer = future.result(timeout=30)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        result: dict[str, Any] = answer.get("result", {})
        return result

    def page(self, method: str, **params: Any) -> dict[str, Any]:
        return self.send(method, self.session, **params)

    def size(self, width: int, height: int, mobile: bool = False) -> None:
        self.page("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=mobile)  # fmt: skip

    def goto(self, url: str) -> None:
        self.page("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete'", 15)

    def js(self, expression: str) -> Any:
        found = self.page(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in found:
            raise RuntimeError(f"{expression}: {found['exceptionDetails']}")
        return found["result"].get("value")

    def wait_for(self, expression: str, timeout_s: float) -> Any:
        deadline = time.monotonic() + timeout_s
        while True:
            value = self.js(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"not within {timeout_s} s in the page: {expression}")
            time.sleep(0.05)

    def type(self, text: str) -> None:
        """Text typed where the page's focus is, as a keyboard would (an IME's insertion)."""
        self.page("Input.insertText", text=text)

    def enter(self) -> None:
        """The Enter key, pressed and let go."""
        for kind in ("keyDown", "keyUp"):
            self.page("Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter",
                      windowsVirtualKeyCode=13, nativeVirtualKeyCode=13,
                      **({"text": "\r"} if kind == "keyDown" else {}))  # fmt: skip

    def screenshot(self, path: Path) -> Path:
        data = self.page("Page.captureScreenshot", format="png")["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, OSError, TimeoutError):
            self.send("Browser.close")
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        deadline = time.monotonic() + 5
        with contextlib.suppress(ProcessLookupError):  # its renderers and helpers too
            while time.monotonic() < deadline:
                os.killpg(self.proc.pid, signal.SIGKILL)
                time.sleep(0.05)
        for fd in (self._to_browser, self._from_browser):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self.profile, ignore_errors=True)
