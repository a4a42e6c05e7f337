"""`labtool serve`: the roster read, the state folder brought up to date, the address and its
TLS checked, all before anything listens; then the pages served (uvicorn, on a socket bound
here first) until Ctrl-C, a closed terminal or SIGTERM."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from labtool.errors import LabtoolError
from labtool.i18n import Msg
from labtool.serve.listen import Listen, listening
from labtool.serve.prepare import CODES, prepare
from labtool.serve.roster import read_roster

if TYPE_CHECKING:
    from labtool.serve.classroom import Classroom


WS_MAX_BYTES = 64 * 1024  # a terminal's message: keys typed, a paste at most


def _stop_labs(classroom: Classroom, say: Callable[[str], None]) -> None:
    """Every student's lab this server made or found, stopped, their work kept first (their
    next visit to a server started again gives it back)."""
    labs = [live.student for live in classroom.live.values() if live.phase != "none"]
    if labs:
        say(f"stopping {len(labs)} students' labs (their work is kept)")
    for student in labs:
        try:
            classroom.placement.keep(student, classroom.folder(student))
        except (LabtoolError, OSError) as exc:
            say(f"{student.lab}: its work could not be kept: {exc}")
        try:
            classroom.placement.remove(student)
        except LabtoolError as exc:
            say(f"{student.lab}: {exc}")


def bind(listen: Listen) -> socket.socket:
    family = socket.AF_INET6 if ":" in listen.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((listen.host, listen.port))
    except OSError as exc:
        sock.close()
        raise LabtoolError(
            Msg(
                "cannot listen on {url}: {why}. Fix: another --bind ADDRESS:PORT",
                url=listen.url,
                why=exc.strerror or exc,
            )
        ) from None
    sock.listen(128)
    return sock


def serve(
    roster: Path,
    folder: Path,
    bind_to: str,
    tls: tuple[Path | None, Path | None, bool],
    say: Callable[[str], None],
    bare: bool = True,
    idle_stop_s: float | None = None,
) -> None:
    """Serve the class until stopped (each student's lab `bare`, or built); `say` gets where,
    the files written, the end."""
    import uvicorn

    from labtool import doctor
    from labtool.serve.app import make_app
    from labtool.serve.classroom import Classroom
    from labtool.serve.placement import ThisMachine
    from labtool.watch.serve import serve_until_stopped

    students = read_roster(roster)
    listen = listening(bind_to, *tls, folder)
    doctor.require_root(doctor.ROOT_FOR_SERVING)
    sock = bind(listen)
    listen = replace(listen, port=sock.getsockname()[1])  # (port 0: the one given)
    try:
        prepared = prepare(folder, students, listen.url)
    except BaseException:
        sock.close()
        raise
    placement = ThisMachine()
    classroom = Classroom(prepared.store, placement, bare, idle_stop_s=idle_stop_s)
    app = make_app(classroom, listen.url, listen.tls, placement.nodes())
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        ws_max_size=WS_MAX_BYTES,
        timeout_graceful_shutdown=2,
        ssl_certfile=str(listen.cert) if listen.cert else None,
        ssl_keyfile=str(listen.key) if listen.key else None,
    )

    try:
        say(f"{len(students)} students; {prepared.new_codes} new codes in {folder / CODES}")
        for change in placement.prepare(len(students)):  # (the machine's, said)
            say(change)
        if listen.fingerprint:
            say(f"TLS certificate's SHA-256 fingerprint: {listen.fingerprint}")
        say(f"the instructor's page: {prepared.instructor_url}  (Ctrl-C: stop)")
        serve_until_stopped(config, sock)
    finally:
        sock.close()
        _stop_labs(classroom, say)
        prepared.store.close()
        say(f"serve stopped; the class's state is kept in {folder}")
