"""`labtool serve`'s pages: signing in with a code, a student's page (their lab: its steps,
its terminals), the instructor's page (a tile per student) and a student's page as the
instructor sees it (read-only). Every route but the sign-in needs a session (`Access`): a
student's cookie opens that student's pages alone, the instructor's every student's; a POST
from another site's page is refused (its Origin is checked); wrong codes from one address are
slowed down."""

from __future__ import annotations

import html
import threading
import time
import urllib.parse
from collections import defaultdict, deque

from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from labtool.resources import package_file
from labtool.serve.store import SESSION_MAX_S, Row, Store

STUDENT_COOKIE = "labtool_session"
INSTRUCTOR_COOKIE = "labtool_instructor"
FREE_TRIES = 5  # wrong codes from one address within TRIES_WINDOW_S before it is slowed
TRIES_WINDOW_S = 60.0
MAX_FORM_BYTES = 4096
ACTIONS = (  # the instructor's page's actions: grade the class, its exports
    '<div class="actions"><button id="grade">Noter les rendus</button>'
    '<span id="graded" class="muted"></span>'
    + "".join(
        f'<a href="/api/class/grades/{name}" download>{name}</a>'
        for name in ("grades.csv", "moodle.csv", "canvas.csv", "grades.json", "summary.md")
    )
    + "</div>"
)
STATIC = {
    "serve.css": "text/css",
    "student.js": "text/javascript",
    "instructor.js": "text/javascript",
    "vendor/xterm.mjs": "text/javascript",
    "vendor/xterm.css": "text/css",
    "vendor/addon-fit.mjs": "text/javascript",
}
PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/serve.css"></head>
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


def signin_page(request: Request, said: str = "", status: int = 200) -> HTMLResponse:
    code = html.escape(request.query_params.get("code", ""))
    note = f'<p class="muted" role="alert">{html.escape(said)}</p>' if said else ""
    return page(
        "labtool — connexion",
        f"<h1>Cluster web</h1>{note}<form method=post action=/signin>"
        f'<label>Code <input name=code value="{code}" autocomplete=off required></label> '
        "<button>Entrer</button></form>",
        status,
    )


class Access:
    """Who asks: a student (their session's cookie) or the instructor (their key's cookie)."""

    def __init__(self, store: Store, origin: str, tls: bool) -> None:
        self.store, self.origin, self.tls = store, origin, tls

    def student_of(self, asker: HTTPConnection) -> str | None:
        token = asker.cookies.get(STUDENT_COOKIE)
        return self.store.session(token) if token else None

    def instructor(self, asker: HTTPConnection) -> bool:
        key = asker.cookies.get(INSTRUCTOR_COOKIE)
        return bool(key) and self.store.is_instructor(key or "")

    def who(self, asker: HTTPConnection, slug: str) -> str | None:
        """'student' (theirs), 'instructor' (anyone's, read-only), None (not to be seen)."""
        if self.student_of(asker) == slug:
            return "student"
        return "instructor" if self.instructor(asker) else None

    def same_origin(self, asker: HTTPConnection) -> bool:
        return asker.headers.get("origin") == self.origin

    def tile(self, row: Row) -> dict[str, object]:
        """What the instructor's page shows of a student."""
        return {
            "student": row.slug,
            "name": row.name,
            "lab": f"class-{row.slug}",
            "signed_in": row.signed_in_at is not None,
            "last_seen": row.last_seen,
            "steps_done": row.steps_done,
            "steps_total": row.steps_total,
            "vip_holder": row.vip_holder,
            "handed_in": row.handed_in_at is not None,
            "handed_in_at": row.handed_in_at,
        }


class Pages:
    """The pages' handlers, over the server's store (`access.origin`: scheme://host:port,
    what a POST's Origin must be)."""

    def __init__(self, access: Access, nodes: list[str]) -> None:
        self.access, self.store, self.nodes = access, access.store, nodes
        self.tries = Tries()

    async def home(self, request: Request) -> Response:
        if self.access.student_of(request):
            return RedirectResponse("/me", status_code=303)
        return signin_page(request)

    async def signin(self, request: Request) -> Response:
        if not self.access.same_origin(request):
            return page("refusé", "<p>Refused: this form comes from another site.</p>", 403)
        address = request.client.host if request.client else "?"
        wait = self.tries.wait_s(address)
        if wait > 0:
            slowed = signin_page(request, f"Trop d'essais : réessayez dans {wait:.0f} s.", 429)
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
            return signin_page(request, "Code inconnu.", 401)
        response = RedirectResponse("/me", status_code=303)
        response.set_cookie(
            STUDENT_COOKIE, signed[1], max_age=SESSION_MAX_S, httponly=True,
            samesite="strict", secure=self.access.tls,
        )  # fmt: skip
        return response

    async def me(self, request: Request) -> Response:
        slug = self.access.student_of(request)
        row = self.store.student(slug) if slug else None
        if row is None:
            return signin_page(request, status=401)
        return self.student_page(row, readonly=False)

    def student_page(self, row: Row, readonly: bool) -> HTMLResponse:
        text = package_file("serve/static/student.html").read_text(encoding="utf-8")
        for key, value in (
            ("SLUG", row.slug),
            ("NAME", row.name),
            ("NODES", " ".join(self.nodes)),
            ("READONLY", "true" if readonly else "false"),
        ):
            text = text.replace("{{" + key + "}}", html.escape(value))
        return HTMLResponse(text, headers={"Cache-Control": "no-store"})

    async def a_student(self, request: Request) -> Response:
        """A student's page as the instructor sees it: read-only, their terminals mirrored."""
        if not self.access.instructor(request):
            if self.access.student_of(request):
                return page("refusé", "<p>Refused: the instructor's page.</p>", 403)
            return signin_page(request, status=401)
        row = self.store.student(request.path_params["slug"])
        if row is None:
            return page("inconnu", "<p>No such student.</p>", 404)
        return self.student_page(row, readonly=True)

    async def teacher(self, request: Request) -> Response:
        key = request.query_params.get("key")
        if key is not None:  # the link: its key into a cookie, out of the address bar
            if not self.store.is_instructor(key):
                return page("refusé", "<p>This instructor link opens nothing.</p>", 403)
            response = RedirectResponse("/instructor", status_code=303)
            response.set_cookie(
                INSTRUCTOR_COOKIE, key, max_age=SESSION_MAX_S, httponly=True,
                samesite="strict", secure=self.access.tls,
            )  # fmt: skip
            return response
        if not self.access.instructor(request):
            return signin_page(request, status=401)
        tiles = "".join(_tile(r) for r in self.store.students())
        return page(
            "labtool — la classe",
            f"<h1>La classe</h1>{ACTIONS}"
            f'<div id="tiles" class="tiles">{tiles}</div><table id="grades" class="grades">'
            '</table><script type="module" src="/static/instructor.js"></script>',
        )

    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return Response("not found\n", status_code=404, media_type="text/plain")
        content = package_file(f"serve/static/{name}").read_bytes()
        return Response(content, media_type=STATIC[name], headers={"Cache-Control": "no-cache"})


def _tile(row: Row) -> str:
    """A student's tile as the page is first sent (instructor.js keeps it live)."""
    signed = row.signed_in_at is not None
    seen = time.strftime("%H:%M", time.localtime(row.last_seen)) if row.last_seen else "—"
    slug = html.escape(row.slug)
    return (
        f'<a class="tile{" in" if signed else ""}" href="/instructor/students/{slug}" '
        f'data-student="{slug}" data-steps-done="{row.steps_done}" '
        f'data-handed-in="{"true" if row.handed_in_at else "false"}">'
        f"<strong>{html.escape(row.name)}</strong><br><span class=muted>"
        f"{'connecté' if signed else 'pas connecté'} · {seen}</span><br>"
        f'<span class="steps">{row.steps_done}/{row.steps_total or "?"}</span> '
        f'<span class="vip">{html.escape(row.vip_holder or "")}</span></a>'
    )
