"""`labtool serve`'s pages so far: signing in with a code, a student's page, the instructor's
page (a tile per student), and a student's state for scripts. Every route but the sign-in
needs a session: a student's cookie opens that student's pages alone, the instructor's every
student's; a POST from another site's page is refused (its Origin is checked); wrong codes
from one address are slowed down."""

from __future__ import annotations

import html
import threading
import time
import urllib.parse
from collections import defaultdict, deque

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from labtool.serve.store import SESSION_MAX_S, Row, Store

STUDENT_COOKIE = "labtool_session"
INSTRUCTOR_COOKIE = "labtool_instructor"
FREE_TRIES = 5  # wrong codes from one address within TRIES_WINDOW_S before it is slowed
TRIES_WINDOW_S = 60.0
MAX_FORM_BYTES = 4096
PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}}
.tiles{{display:grid;grid-template-columns:repeat(auto-fill,minmax(14rem,1fr));gap:.8rem}}
.tile{{border:1px solid #ccc;border-radius:.5rem;padding:.8rem}}
.tile.in{{border-color:#2a7}} .muted{{color:#777}}</style></head>
<body>{body}</body></html>"""


class Tries:
    """Wrong codes per client address, within a sliding window."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.failed: dict[str, deque[float]] = defaultdict(deque)

    def wait_s(self, address: str) -> float:
        """How long this address must wait before its next try (0: it may try now)."""
        now = time.monotonic()
        with self.lock:
            failed = self.failed.get(address)
            while failed and now - failed[0] > TRIES_WINDOW_S:
                failed.popleft()
            if not failed:
                self.failed.pop(address, None)  # (no address kept once its window is over)
                return 0.0
            if len(failed) < FREE_TRIES:
                return 0.0
            return max(0.0, failed[-1] + 2.0 ** (len(failed) - FREE_TRIES) - now)

    def failure(self, address: str) -> None:
        with self.lock:
            self.failed[address].append(time.monotonic())


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(PAGE.format(title=html.escape(title), body=body), status_code=status)


class Pages:
    """The routes' handlers, over the server's store (`origin`: scheme://host:port, what a
    POST's Origin must be)."""

    def __init__(self, store: Store, origin: str, tls: bool) -> None:
        self.store, self.origin, self.tls = store, origin, tls
        self.tries = Tries()

    def student_of(self, request: Request) -> str | None:
        token = request.cookies.get(STUDENT_COOKIE)
        return self.store.session(token) if token else None

    def instructor(self, request: Request) -> bool:
        key = request.cookies.get(INSTRUCTOR_COOKIE)
        return bool(key) and self.store.is_instructor(key or "")

    def same_origin(self, request: Request) -> bool:
        return request.headers.get("origin") == self.origin

    def signin_page(self, request: Request, said: str = "", status: int = 200) -> HTMLResponse:
        code = html.escape(request.query_params.get("code", ""))
        note = f'<p class="muted" role="alert">{html.escape(said)}</p>' if said else ""
        return page(
            "labtool — connexion",
            f"<h1>Cluster web</h1>{note}<form method=post action=/signin>"
            f'<label>Code <input name=code value="{code}" autocomplete=off required></label> '
            "<button>Entrer</button></form>",
            status,
        )

    async def home(self, request: Request) -> Response:
        if self.student_of(request):
            return RedirectResponse("/me", status_code=303)
        return self.signin_page(request)

    async def signin(self, request: Request) -> Response:
        if not self.same_origin(request):
            return page("refusé", "<p>Refused: this form comes from another site.</p>", 403)
        address = request.client.host if request.client else "?"
        wait = self.tries.wait_s(address)
        if wait > 0:
            slowed = self.signin_page(request, f"Trop d'essais : réessayez dans {wait:.0f} s.", 429)
            slowed.headers["Retry-After"] = str(max(1, round(wait)))
            return slowed
        body = b""
        async for chunk in request.stream():  # (a form of one short field: no more read)
            body += chunk
            if len(body) > MAX_FORM_BYTES:
                return page("refusé", "<p>Refused: too large.</p>", 413)
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        code = form.get("code", [""])[0]
        signed = self.store.sign_in(code)
        if signed is None:
            self.tries.failure(address)
            return self.signin_page(request, "Code inconnu.", 401)
        response = RedirectResponse("/me", status_code=303)
        response.set_cookie(
            STUDENT_COOKIE, signed[1], max_age=SESSION_MAX_S, httponly=True,
            samesite="strict", secure=self.tls,
        )  # fmt: skip
        return response

    async def me(self, request: Request) -> Response:
        slug = self.student_of(request)
        if slug is None:
            return self.signin_page(request, status=401)
        row = next(r for r in self.store.students() if r.slug == slug)
        return page(
            f"labtool — {row.name}",
            f'<main data-student="{html.escape(slug)}" data-steps-done="0">'
            f"<h1>{html.escape(row.name)}</h1><p>Votre lab : <code>class-{slug}</code>.</p>"
            "</main>",
        )

    async def teacher(self, request: Request) -> Response:
        key = request.query_params.get("key")
        if key is not None:  # the link: its key into a cookie, out of the address bar
            if not self.store.is_instructor(key):
                return page("refusé", "<p>This instructor link opens nothing.</p>", 403)
            response = RedirectResponse("/instructor", status_code=303)
            response.set_cookie(
                INSTRUCTOR_COOKIE, key, max_age=SESSION_MAX_S, httponly=True,
                samesite="strict", secure=self.tls,
            )  # fmt: skip
            return response
        if not self.instructor(request):
            return self.signin_page(request, status=401)
        tiles = "".join(_tile(r) for r in self.store.students())
        return page("labtool — la classe", f'<h1>La classe</h1><div class="tiles">{tiles}</div>')

    async def state(self, request: Request) -> Response:
        slug = request.path_params["slug"]
        if self.student_of(request) != slug and not self.instructor(request):
            return JSONResponse({"error": "not yours"}, status_code=403)
        row = next((r for r in self.store.students() if r.slug == slug), None)
        if row is None:
            return JSONResponse({"error": "no such student"}, status_code=404)
        return JSONResponse(_state(row))


def make_app(store: Store, origin: str, tls: bool) -> Starlette:
    """The app, serving at `origin` (scheme://host:port)."""
    pages = Pages(store, origin, tls)
    return Starlette(
        routes=[
            Route("/", pages.home),
            Route("/signin", pages.signin, methods=["POST"]),
            Route("/me", pages.me),
            Route("/instructor", pages.teacher),
            Route("/api/students/{slug}/state", pages.state),
        ]
    )


def _state(row: Row) -> dict[str, object]:
    return {
        "student": row.slug,
        "lab": f"class-{row.slug}",
        "signed_in": row.signed_in_at is not None,
        "last_seen": row.last_seen,
        "steps_done": 0,
        "handed_in": False,
    }


def _tile(row: Row) -> str:
    signed = row.signed_in_at is not None
    seen = time.strftime("%H:%M", time.localtime(row.last_seen)) if row.last_seen else "—"
    return (
        f'<div class="tile{" in" if signed else ""}" data-student="{html.escape(row.slug)}" '
        f'data-steps-done="0" data-handed-in="false"><strong>{html.escape(row.name)}</strong>'
        f"<br><span class=muted>{'connecté' if signed else 'pas connecté'} · {seen}</span></div>"
    )
