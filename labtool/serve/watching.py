"""Each student's live view: `labtool watch`'s page, state, stream and actions on their own lab
(the VIP, HAProxy's view, the client's requests, the lab's table; scenarios, halt and start a
node, the report), served under /students/SLUG/watch/ behind serve's own checks: the student
sees and acts, the instructor sees only; an action comes from the server's own page. A view's
probes run while a page streams it (the watch's own rule); a view nobody has streamed for
LINGER_S is stopped."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import HTTPConnection, Request
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from labtool.errors import LabtoolError
from labtool.provision import lab as labmod
from labtool.serve.pages import Access, signin_page
from labtool.serve.roster import LAB_PREFIX
from labtool.watch.actions import Actions
from labtool.watch.app import routes
from labtool.watch.feed import Feed
from labtool.watch.hub import Hub

LINGER_S = 120.0
TOKEN = "serve"  # (the watch's own token: serve's session checks stand in for it)


@dataclass(eq=False)
class View:
    hub: Hub
    feed: Feed
    actions: Actions
    app: Starlette
    seen_at: float = field(default_factory=time.monotonic)

    def close(self) -> None:
        self.hub.close()
        self.actions.finish()
        self.feed.stop()


class Views:
    """The live views open, one per student at most."""

    def __init__(self, lang: str = "fr") -> None:
        self.lang = lang
        self.open: dict[str, View] = {}

    def view(self, lab: str, slug: str) -> View:
        found = self.open.get(slug)
        if found is None:
            spec, state, backend = labmod.open_lab(lab)
            hub = Hub(spec.name, state.backend, str(spec.vip), self.lang)
            feed = Feed(spec, backend, hub)
            actions = Actions(spec, backend, hub, feed, self.lang)
            app = Starlette(routes=routes(hub, actions, TOKEN))
            found = self.open[slug] = View(hub, feed, actions, app)
            feed.start()
        found.seen_at = time.monotonic()
        return found

    def sweep(self, streaming: set[str]) -> None:
        """Views no page has looked at for LINGER_S (and none streams), stopped."""
        now = time.monotonic()
        for slug in [s for s, v in self.open.items() if s not in streaming]:
            if now - self.open[slug].seen_at > LINGER_S and not self.open[slug].hub.watched:
                self.open.pop(slug).close()

    def close(self, slug: str | None = None) -> None:
        for key in [k for k in self.open if slug is None or k == slug]:
            self.open.pop(key).close()


class WatchRoutes:
    """The live views' ASGI app (/students/{slug}/watch/...), behind serve's checks."""

    def __init__(self, access: Access, views: Views, acted: Callable[[str], None]) -> None:
        self.access, self.views, self.acted = access, views, acted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        asker = HTTPConnection(scope)
        slug = scope["path_params"]["slug"]
        who = self.access.who(asker, slug)
        refused = None
        if who is None:
            refused = "not yours"
        elif scope["method"] not in ("GET", "HEAD") and (
            who != "student" or not self.access.same_origin(asker)
        ):
            refused = "refused: an action comes from the student's own page"
        row = self.access.store.student(slug) if refused is None else None
        if refused is None and row is None:
            refused = "no such student"
        if who is None and self.access.student_of(asker) is None:  # (no session: sign in)
            await signin_page(Request(scope), status=401)(scope, receive, send)
            return
        if refused is not None or row is None:
            await PlainTextResponse(refused or "refused", status_code=403)(scope, receive, send)
            return
        try:
            view = self.views.view(LAB_PREFIX + slug, slug)
        except LabtoolError as exc:
            await PlainTextResponse(f"{exc}\n", status_code=409)(scope, receive, send)
            return
        await view.app(scope, receive, send)
        if scope["method"] == "POST":  # (an act on the lab: its steps looked at after it)
            self.acted(slug)
