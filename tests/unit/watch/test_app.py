"""The watch's guard: the token on every request, 127.0.0.1's host only, and changes (POST)
from the watch's own page only (requests as an ASGI server hands them over)."""

from __future__ import annotations

from typing import Any

import pytest

from labtool.watch.app import Guard

TOKEN = "s3cret-token"
PORT = 8123


def scope(method: str = "GET", query: str = "", **headers: str) -> dict[str, Any]:
    base = {"host": f"127.0.0.1:{PORT}"}
    base.update({k.replace("_", "-"): v for k, v in headers.items()})
    return {
        "type": "http",
        "method": method,
        "query_string": query.encode(),
        "headers": [(k.encode(), v.encode()) for k, v in base.items()],
    }


guard = Guard(lambda *a: None, TOKEN, PORT)  # type: ignore[arg-type]


def test_the_token_is_needed_on_every_request() -> None:
    assert guard.refusal(scope(query=f"token={TOKEN}")) is None
    assert guard.refusal(scope(x_labtool_token=TOKEN)) is None
    assert "token" in (guard.refusal(scope()) or "")
    assert "token" in (guard.refusal(scope(query="token=s3cret")) or "")
    assert "token" in (guard.refusal(scope(query=f"token={TOKEN}x")) or "")


def test_another_host_is_refused() -> None:
    """A name that points at 127.0.0.1 (DNS rebinding) is not the watch's host."""
    assert "127.0.0.1" in (
        guard.refusal(scope(query=f"token={TOKEN}", host=f"evil.example:{PORT}")) or ""
    )
    assert guard.refusal(scope(query=f"token={TOKEN}", host=f"localhost:{PORT}")) is None


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no Origin: not a page's fetch
        {"origin": "http://evil.example"},
        {"origin": f"http://127.0.0.1:{PORT + 1}"},
        {"origin": f"http://127.0.0.1:{PORT}", "sec_fetch_site": "cross-site"},
    ],
)
def test_a_post_from_elsewhere_is_refused(headers: dict[str, str]) -> None:
    assert "own page" in (guard.refusal(scope("POST", f"token={TOKEN}", **headers)) or "")


def test_a_post_from_the_page_passes() -> None:
    assert (
        guard.refusal(
            scope(
                "POST",
                f"token={TOKEN}",
                origin=f"http://127.0.0.1:{PORT}",
                sec_fetch_site="same-origin",
            )
        )
        is None
    )
