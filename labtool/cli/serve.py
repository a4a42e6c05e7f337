"""`labtool serve`: the lab for a whole class in the browser (issue 23, in the making)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from labtool.cli.console import err

DEFAULT_STATE = Path("labtool-class")


class Mode(StrEnum):
    bare = "bare"
    built = "built"


def serve(
    roster: Annotated[
        Path, typer.Option("--roster", help="The class: Moodle's, Canvas's or a plain CSV.")
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="The state folder (kept between runs).")
    ] = DEFAULT_STATE,
    bind: Annotated[
        str, typer.Option(help="ADDRESS:PORT; beyond 127.0.0.1 only with TLS.")
    ] = "127.0.0.1:8443",
    tls_cert: Annotated[Path | None, typer.Option(help="A TLS certificate (PEM).")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="Its private key (PEM).")] = None,
    self_signed: Annotated[
        bool, typer.Option(help="Make a certificate for the address; say its fingerprint.")
    ] = False,
    mode: Annotated[
        Mode, typer.Option(help="bare: each student builds the lab by hand; built: it is up.")
    ] = Mode.bare,
    idle_stop: Annotated[
        float | None,
        typer.Option(min=0.1, help="Stop a lab nobody used for this many minutes (its work kept)."),
    ] = None,
) -> None:
    """Serve the class: each student signs in with their code (codes.csv in the state
    folder), the instructor opens instructor.url (Ctrl-C: stop; the state is kept)."""
    from labtool.serve.server import serve as run

    run(roster, output, bind, (tls_cert, tls_key, self_signed),
        lambda text: err.print(f"labtool: {text}", soft_wrap=True, markup=False),
        bare=mode is Mode.bare, idle_stop_s=idle_stop * 60 if idle_stop else None)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.command()(serve)
