"""What the pages ask the server to do: a student hands in their lab; the instructor resets a
student's lab (their files kept or not), grades the class and downloads its exports. Each is
a POST from the server's own page (its Origin checked), by whom it is for: a student for
their own lab, the instructor for the rest."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from labtool.errors import LabtoolError
from labtool.serve import handins
from labtool.serve.classroom import Classroom
from labtool.serve.pages import Access

MAX_BODY_BYTES = 1024


class Actions:
    def __init__(self, access: Access, classroom: Classroom) -> None:
        self.access, self.classroom = access, classroom
        self.grading = threading.Lock()  # (one class grading at a time)

    def _refused(self, request: Request, instructor: bool) -> Response | None:
        if not self.access.same_origin(request):
            return JSONResponse({"error": "refused: from the server's own page only"}, 403)
        if instructor and not self.access.instructor(request):
            return JSONResponse({"error": "the instructor's only"}, 403)
        if not instructor and self.access.student_of(request) != request.path_params["slug"]:
            return JSONResponse({"error": "not yours"}, 403)
        return None

    async def hand_in(self, request: Request) -> Response:
        refused = self._refused(request, instructor=False)
        row = self.access.store.student(request.path_params["slug"])
        if refused or row is None:
            return refused or JSONResponse({"error": "no such student"}, 404)
        live = self.classroom.of(row)
        if live.phase != "up":
            return JSONResponse({"error": "votre lab n'est pas démarré"}, 409)
        folder = self.classroom.folder(live.student)
        placement, store = self.classroom.placement, self.access.store
        try:
            files = await asyncio.to_thread(handins.hand_in, placement, store, live.student, folder)
        except LabtoolError as exc:
            return JSONResponse({"error": str(exc)}, 409)
        live.bump()
        return JSONResponse({"files": files, "handed_in": True})

    async def reset(self, request: Request) -> Response:
        refused = self._refused(request, instructor=True)
        row = self.access.store.student(request.path_params["slug"])
        if refused or row is None:
            return refused or JSONResponse({"error": "no such student"}, 404)
        body = await _json(request)
        if body is None or not isinstance(body.get("keep_files"), bool):
            return JSONResponse({"error": 'send {"keep_files": true|false}'}, 400)
        live = self.classroom.of(row)
        await self.classroom.stop(live, keep_files=body["keep_files"])
        if live.watchers:  # (the student is on their page: their lab made again now)
            self.classroom.visit(row)
        return JSONResponse({"phase": live.phase, "kept": body["keep_files"]})

    async def grade(self, request: Request) -> Response:
        refused = self._refused(request, instructor=True)
        if refused:
            return refused
        if not self.grading.acquire(blocking=False):
            return JSONResponse({"error": "a grading is running"}, 409)
        try:
            students = self.access.store.folder / "students"
            graded = await asyncio.to_thread(handins.grade_class, self.access.store, students)
        except LabtoolError as exc:
            return JSONResponse({"error": str(exc)}, 409)
        finally:
            self.grading.release()
        return JSONResponse({"graded": graded, "files": list(handins.EXPORTS)})

    async def export(self, request: Request) -> Response:
        if not self.access.instructor(request):
            return JSONResponse({"error": "the instructor's only"}, 403)
        name = request.path_params["name"]
        if name not in handins.EXPORTS:
            return JSONResponse({"error": "no such file"}, 404)
        path = self.access.store.folder / handins.GRADES / name
        if not path.is_file():
            return JSONResponse({"error": "the class is not graded yet"}, 404)
        return Response(
            path.read_bytes(),
            media_type=handins.EXPORTS[name][1],
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


async def _json(request: Request) -> dict[str, Any] | None:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    try:
        found = json.loads(body or b"{}")
    except ValueError:
        return None
    return found if isinstance(found, dict) else None
