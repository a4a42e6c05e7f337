"""`labtool serve`'s live routes: a student's lab as its pages follow it (`/state`, server-sent
`/events`), its terminals (a WebSocket per node: keys in, the screen out; the instructor's
mirror reads only), and the class for the instructor's page (`/api/class`). Each checks who
asks first: a student's session opens that student's lab alone, the instructor's every lab
(read-only); a WebSocket from another site's page is refused (its Origin is checked)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from labtool.errors import LabtoolError
from labtool.serve.classroom import Classroom, Live
from labtool.serve.pages import Access, signin_page
from labtool.serve.terms import Term

KEEPALIVE_S = 15.0
POLICY = 1008  # WebSocket close codes: refused; the lab not up (yet)
TRY_AGAIN = 1013
MAKE_WAIT_S = 600.0  # a terminal opened while its lab is being made waits this long for it


async def _made(live: Live) -> bool:
    """Whether the lab is up, once it is made if it is being made (MAKE_WAIT_S at most)."""
    deadline = asyncio.get_running_loop().time() + MAKE_WAIT_S
    while live.phase == "making":
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            return False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(live.changed.wait(), left)
    return live.phase == "up"


class LiveRoutes:
    def __init__(self, access: Access, classroom: Classroom, nodes: list[str]) -> None:
        self.access, self.classroom, self.nodes = access, classroom, nodes

    def _live(self, request: Request) -> tuple[Live | None, str | None, Response | None]:
        """The lab asked for and who asks, where the asker may see it (else the answer to
        give)."""
        slug = request.path_params["slug"]
        who = self.access.who(request, slug)
        if who is None:
            if self.access.student_of(request) is None:  # (no session: sign in first)
                return None, None, signin_page(request, status=401)
            return None, None, JSONResponse({"error": "not yours"}, status_code=403)
        row = self.access.store.student(slug)
        if row is None:
            return None, None, JSONResponse({"error": "no such student"}, status_code=404)
        return self.classroom.of(row), who, None

    async def state(self, request: Request) -> Response:
        live, _, refused = self._live(request)
        if live is None:
            return refused or Response(status_code=500)
        return JSONResponse(self.whole(live))

    def whole(self, live: Live) -> dict[str, Any]:
        row = self.access.store.student(live.student.slug)
        return {**self.access.tile(row), **live.as_json()} if row else live.as_json()

    async def events(self, request: Request) -> Response:
        """The lab's state now, then each time it changes (its page open: the lab is made,
        and checked while it is looked at)."""
        live, who, refused = self._live(request)
        if live is None:
            return refused or Response(status_code=500)
        if who == "student":
            self.classroom.visit(live.student)
        return StreamingResponse(
            self._stream(live),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    async def _stream(self, live: Live) -> AsyncIterator[str]:
        live.watchers += 1
        live.active_at = time.monotonic()
        try:
            while True:
                changed = live.changed  # (before the state is read: no change missed)
                yield f"data: {json.dumps(self.whole(live))}\n\n"
                while not changed.is_set():
                    try:
                        await asyncio.wait_for(changed.wait(), KEEPALIVE_S)
                    except TimeoutError:
                        yield ": keepalive\n\n"
        finally:
            live.watchers -= 1
            live.active_at = time.monotonic()

    async def class_state(self, request: Request) -> Response:
        if not self.access.instructor(request):
            if self.access.student_of(request) is None:
                return signin_page(request, status=401)
            return JSONResponse({"error": "the instructor's only"}, status_code=403)
        tiles = []
        for row in self.access.store.students():
            live = self.classroom.live.get(row.slug)
            tiles.append({**self.access.tile(row), "phase": live.phase if live else "none"})
            if live is not None and live.check is not None:
                tiles[-1].update(steps_done=live.check["done"], steps_total=live.check["total"])
            view = self.classroom.views.open.get(row.slug)
            if view is not None:  # (its live view open: what it sees now)
                with view.hub.lock:  # (the feed's threads change it)
                    holders = sorted(view.hub.vip_nodes)
                tiles[-1]["vip_holder"] = holders[0] if len(holders) == 1 else None
        return JSONResponse({"students": tiles})

    async def terminal(self, socket: WebSocket) -> None:
        slug, node = socket.path_params["slug"], socket.path_params["node"]
        who = self.access.who(socket, slug)
        row = self.access.store.student(slug)
        if who is None or row is None or not self.access.same_origin(socket):
            await socket.close(POLICY)
            return
        live = self.classroom.visit(row) if who == "student" else self.classroom.of(row)
        if node not in self.nodes or not await _made(live):
            await socket.close(TRY_AGAIN)
            return
        term = await self._term(live, node, mirror=who == "instructor")
        if term is None and who == "student" and await self.classroom.lost(live):
            self.classroom.visit(live.student)  # (its lab went from under the server: again)
            term = await self._term(live, node, mirror=False) if await _made(live) else None
        if term is None:
            await socket.close(TRY_AGAIN)
            return
        await socket.accept()
        await self._pump(socket, live, term, typing=who == "student")

    async def _term(self, live: Live, node: str, mirror: bool) -> Term | None:
        slug = live.student.slug
        term = self.classroom.terms.get(slug, node)
        if term is not None or mirror:  # (a mirror shows a shell; it does not start one)
            return term
        try:
            argv = await asyncio.to_thread(self.classroom.placement.shell, live.student, node)
        except LabtoolError:
            return None
        return self.classroom.terms.start(slug, node, argv, lambda: self.classroom.printed(live))

    async def _pump(self, socket: WebSocket, live: Live, term: Term, typing: bool) -> None:
        """The screen out, the keys in (a mirror's keys go nowhere), until either side ends."""
        screen = term.watch()

        async def out() -> None:
            while (chunk := await screen.queue.get()) is not None:
                await socket.send_bytes(chunk)

        async def keys() -> None:
            while True:
                message = await socket.receive_text()
                if not typing or not message:
                    continue
                if message[0] == "0":
                    data = message[1:].encode("utf-8", "replace")
                    self.classroom.typed(live, data)
                    term.type(data)
                elif message[0] == "1":
                    with contextlib.suppress(ValueError, KeyError, TypeError):
                        size = json.loads(message[1:])
                        term.resize(int(size["cols"]), int(size["rows"]))

        tasks = [asyncio.ensure_future(out()), asyncio.ensure_future(keys())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            with contextlib.suppress(WebSocketDisconnect, asyncio.CancelledError, Exception):
                await asyncio.gather(*tasks, return_exceptions=True)
            term.unwatch(screen)
            live.active_at = time.monotonic()  # (idle from when the last screen went)
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await socket.close()  # (the page may have gone first)
