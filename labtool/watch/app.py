"""The watch's web application (Starlette): the page, `/state` (`labtool status --json`'s
object and what the page shows besides), `/events` (server-sent events, one JSON object per
event) and `POST /action`. Every request needs the token; a request for another host, or a
POST from another origin, is refused: a page on another site cannot drive the lab."""

from __future__ import annotations

import asyncio
import hmac
import html
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from labtool.errors import LabtoolError
from labtool.resources import package_file
from labtool.watch.actions import Actions, Busy
from labtool.watch.hub import Hub, Subscriber

KEEPALIVE_S = 15.0
STATIC = {"watch.js": "text/javascript", "watch.css": "text/css"}


class Guard:
    """Token, host and origin checks before any route (pure ASGI: streams pass untouched)."""

    def __init__(self, app: ASGIApp, token: str, port: int) -> None:
        self.app, self.token = app, token
        self.hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
        self.origins = {f"http://{host}" for host in self.hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = self.refusal(scope)
        if refused:
            await PlainTextResponse(refused, status_code=403)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def refusal(self, scope: Scope) -> str | None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if headers.get("host") not in self.hosts:
            return "refused: this page is served for 127.0.0.1 only\n"
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given = headers.get("x-labtool-token") or (query.get("token") or [""])[0]
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            return "refused: the token is missing or wrong (use the URL labtool watch printed)\n"
        if scope["method"] not in ("GET", "HEAD"):
            if headers.get("origin") not in self.origins:
                return "refused: a change comes from the watch's own page only\n"
            if headers.get("sec-fetch-site", "same-origin") != "same-origin":
                return "refused: a change comes from the watch's own page only\n"
        return None


async def _stream(hub: Hub, subscriber: Subscriber, start: Any) -> AsyncIterator[str]:
    """Server-sent events: the state first, then each event, a keepalive comment while
    nothing happens; until the page goes or falls behind."""
    try:
        yield f"data: {json.dumps(start)}\n\n"
        while True:
            try:
                event = await asyncio.wait_for(subscriber.queue.get(), KEEPALIVE_S)
            except TimeoutError:
                yield ": keepalive\n\n"
                continue
            if event is None or subscriber.dropped:
                return
            yield f"data: {json.dumps(event)}\n\n"
    finally:
        hub.unsubscribe(subscriber)


def routes(hub: Hub, actions: Actions, token: str) -> list[Route]:
    """The watch's routes on one lab (behind `Guard` here; behind serve's own checks in
    `labtool serve`, each student's)."""

    async def page(request: Request) -> Response:
        text = package_file("watch/static/index.html").read_text()
        return HTMLResponse(text.replace("{{TOKEN}}", html.escape(token)))

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return PlainTextResponse("not found\n", status_code=404)
        content = package_file(f"watch/static/{name}").read_text()
        return Response(content, media_type=STATIC[name], headers={"Cache-Control": "no-store"})

    async def state(request: Request) -> Response:
        return JSONResponse(hub.state())

    async def events(request: Request) -> Response:
        loop = asyncio.get_running_loop()
        subscriber, start = hub.subscribe(loop)
        actions.feed.wake()  # (a first page: the probes start now, not at the next poll)
        return StreamingResponse(
            _stream(hub, subscriber, start),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    async def action(request: Request) -> Response:
        if request.headers.get("content-type", "").split(";")[0] != "application/json":
            return PlainTextResponse("refused: send JSON\n", status_code=415)
        try:
            body: Any = json.loads(await request.body())
            if not isinstance(body, dict):
                raise ValueError("not an object")
            started = actions.start(body)
        except Busy as exc:
            return JSONResponse({"error": str(exc)}, status_code=409)
        except (LabtoolError, ValueError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(started, status_code=202)

    return [
        Route("/", page),
        Route("/static/{name}", static),
        Route("/state", state),
        Route("/events", events),
        Route("/action", action, methods=["POST"]),
    ]


def make_app(hub: Hub, actions: Actions, token: str, port: int) -> ASGIApp:
    return Guard(Starlette(routes=routes(hub, actions, token)), token, port)
