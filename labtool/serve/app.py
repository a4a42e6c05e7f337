"""`labtool serve`'s application: its routes, each answered by the pages (`pages.py`) or the
live routes (`live.py`), and the class's labs (`classroom.py`) lived while it serves."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.routing import Mount, Route, WebSocketRoute

from labtool.serve.actions import Actions
from labtool.serve.classroom import Classroom
from labtool.serve.live import LiveRoutes
from labtool.serve.pages import Access, Pages
from labtool.serve.watching import WatchRoutes


def make_app(classroom: Classroom, origin: str, tls: bool, nodes: list[str]) -> Starlette:
    """The app, serving at `origin` (scheme://host:port); `nodes`: the lab's, a terminal each."""
    access = Access(classroom.store, origin, tls)
    pages = Pages(access, nodes)
    live = LiveRoutes(access, classroom, nodes)
    actions = Actions(access, classroom)
    watching = WatchRoutes(access, classroom.views, classroom.acted)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        checks = asyncio.get_running_loop().create_task(classroom.run())
        try:
            yield
        finally:
            checks.cancel()
            classroom.close()

    return Starlette(
        routes=[
            Route("/", pages.home),
            Route("/signin", pages.signin, methods=["POST"]),
            Route("/me", pages.me),
            Route("/instructor", pages.teacher),
            Route("/instructor/students/{slug}", pages.a_student),
            Route("/static/{name:path}", pages.static),
            Route("/api/class", live.class_state),
            Route("/api/class/grade", actions.grade, methods=["POST"]),
            Route("/api/class/grades/{name}", actions.export),
            Route("/api/students/{slug}/handin", actions.hand_in, methods=["POST"]),
            Route("/api/students/{slug}/reset", actions.reset, methods=["POST"]),
            Route("/api/students/{slug}/state", live.state),
            Route("/api/students/{slug}/events", live.events),
            WebSocketRoute("/api/students/{slug}/term/{node}", live.terminal),
            Mount("/students/{slug}/watch", app=watching),
        ],
        lifespan=lifespan,
    )
