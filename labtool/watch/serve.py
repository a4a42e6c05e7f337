"""`labtool watch`: the page served on 127.0.0.1 (uvicorn, on a socket bound here first, so
that nothing else is ever listened on), its URL with a fresh token, and a clean end: Ctrl-C, a
closed terminal or SIGTERM stop the server, let a running scenario restore the cluster, stop
every probe."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import sys
import webbrowser
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING

from labtool.errors import LabtoolError, UsageError
from labtool.i18n import Msg
from labtool.provision import lab as labmod
from labtool.watch.actions import Actions
from labtool.watch.feed import Feed
from labtool.watch.hub import Hub

if TYPE_CHECKING:
    import uvicorn

HOST = "127.0.0.1"  # the only address the watch listens on


def serve_until_stopped(
    config: uvicorn.Config, sock: socket.socket, on_exit: Callable[[], None] | None = None
) -> None:
    """Serve on `sock` until Ctrl-C (a second one: at once), a closed terminal (SIGHUP) or
    SIGTERM; `on_exit` runs at each (so that the server can stop). Not uvicorn's own handler,
    which raises the signal again once served: a SIGTERM would then end labtool before its
    cleanup."""
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            if on_exit is not None:
                on_exit()
            if self.should_exit and sig == signal.SIGINT:
                self.force_exit = True
            self.should_exit = True

    server = Server(config)
    previous = signal.signal(signal.SIGHUP, lambda sig, frame: server.handle_exit(sig, frame))
    try:
        server.run(sockets=[sock])
    finally:
        signal.signal(signal.SIGHUP, previous)


def bind(port: int) -> socket.socket:
    """The listening socket, on 127.0.0.1 only (port 0: a free one)."""
    if not 0 <= port <= 65535:
        raise UsageError(Msg("--port {port}: a port is 0 to 65535 (0: any free one)", port=port))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise LabtoolError(
            Msg(
                "cannot listen on {host}:{port}: {strerror}. Fix: another --port (0: any)",
                host=HOST,
                port=port,
                strerror=exc.strerror,
            )
        ) from exc
    sock.listen(64)
    return sock


def can_open_browser() -> bool:
    """A browser to open the page in: a desktop session (or macOS, Windows)."""
    return sys.platform in ("darwin", "win32") or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )


def watch(
    name: str | None,
    port: int,
    lang: str,
    open_browser: bool,
    say: Callable[[str], None],
) -> None:
    """Serve the page until a signal stops it; `say` gets the URL, then what the end does."""
    import uvicorn

    from labtool.watch.app import make_app

    spec, state, backend = labmod.open_lab(labmod.resolve_name(name))
    sock = bind(port)
    port = sock.getsockname()[1]
    token = secrets.token_urlsafe(18)
    hub = Hub(spec.name, state.backend, str(spec.vip), lang)
    feed = Feed(spec, backend, hub)
    actions = Actions(spec, backend, hub, feed, lang)
    app = make_app(hub, actions, token, port)

    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=2
    )
    try:
        feed.start()
        url = f"http://{HOST}:{port}/?token={token}"
        say(f"watching lab '{spec.name}' at {url}  (Ctrl-C: stop)")
        if open_browser and can_open_browser():
            webbrowser.open(url)
        serve_until_stopped(config, sock, on_exit=hub.close)  # (every page's stream ends)
    finally:
        hub.close()
        if actions.thread is not None and actions.thread.is_alive():
            say("waiting for the running action to finish (a scenario restores the cluster)")
        actions.finish()
        feed.stop()
        sock.close()
        say("watch stopped: no probe left running")
